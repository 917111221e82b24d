// Each sandbox host's compose project (<servicesRoot>/<project>/compose.yaml), as a Delphi host
// has one: real compose files the real `docker compose` runs on the sandbox's engine. Every
// service uses the host's network (no bridge: all traffic on loopback), tini as PID 1 (a stop
// takes milliseconds, not the 10 s grace), and labels that say which sandbox and host it is,
// which the engine's events carry (the tests read the order of operations from them).
import { createHash } from "node:crypto";
import { stringify } from "yaml";
import { DB_NAME, DB_USER, type Layout, type SandboxHostSpec } from "../layout";
import { LOOPBACK } from "../ports";

/** Inside the service containers: where TelWeb finds the libpq password file (mounted read-only). */
const PGPASS_IN_CONTAINER = "/run/delphi/pgpass";

/** A short id for one sandbox folder: compose project names and labels carry it, so sandboxes of two checkouts never mix. */
export function sandboxId(L: Pick<Layout, "dir">): string {
  return `dr${createHash("sha256").update(L.dir).digest("hex").slice(0, 8)}`;
}

/** The compose project name of a host: unique per sandbox and host (all share one engine). */
export function projectName(L: Pick<Layout, "dir">, host: string): string {
  return `${sandboxId(L)}-${host}`;
}

export const LABEL_SANDBOX = "delphi-restore.sandbox";
export const LABEL_HOST = "delphi-restore.host";

export interface ComposeInputs {
  images: { postgres: string; service: string };
  pgPort: number;
  telwebPort: number;
  telemetryUrl: string;
}

type Service = Record<string, unknown>;

function common(L: Layout, host: SandboxHostSpec, image: string): Service {
  return {
    image,
    init: true,
    network_mode: "host",
    // No restart policy: a service the restore stopped stays stopped, and a database that exits
    // during recovery stays down with its logs, not restarting in a loop (a reboot is rebootHost).
    restart: "no",
    labels: { [LABEL_SANDBOX]: sandboxId(L), [LABEL_HOST]: host.name },
  };
}

function postgresService(L: Layout, host: SandboxHostSpec, inp: ComposeInputs): Service {
  return {
    ...common(L, host, inp.images.postgres),
    user: "postgres",
    stop_grace_period: "60s",
    command: ["postgres", "-D", L.pg.data],
    // `docker compose exec voiceai-postgres psql|pg_dump -U delphi` reach the server on its socket.
    environment: { PGHOST: L.pg.socketDir, PGPORT: String(inp.pgPort) },
    volumes: [
      // The data directory lives on the db host's volume folder (the btrfs volume in volume
      // mode), seen at the same path inside, so the restore's file work on the host and the
      // server agree on every path (archive_command and restore_command included).
      `pgdata:${L.volume.mount}`,
      `${L.backupDir}:/backup`,
      `${L.backupDir}:${L.backupDir}`,
      `${L.pg.socketDir}:${L.pg.socketDir}`,
    ],
  };
}

function delphiService(L: Layout, host: SandboxHostSpec, svc: string, inp: ComposeInputs): Service {
  const env: Record<string, string> = {
    SERVICE: svc,
    SANDBOX_HOST: host.name,
    PROJECT: projectName(L, host.name),
    IMAGE: `delphi/${svc}:0.9.11 (${inp.images.service})`,
    TELEMETRY_URL: inp.telemetryUrl,
  };
  const volumes: string[] = [];
  if (svc === "voiceai-telweb") {
    Object.assign(env, { TELWEB_PORT: String(inp.telwebPort), PGHOST: LOOPBACK, PGPORT: String(inp.pgPort), PGUSER: DB_USER, PGDATABASE: DB_NAME, PGPASSFILE: PGPASS_IN_CONTAINER });
    const dir = L.host(host.name).projectDir;
    // TelWeb's image content (its migrations and seed) is mounted, so tests can add a migration.
    volumes.push(`${dir}/migrations:/app/migrations:ro`, `${dir}/seed:/app/seed:ro`, `${L.pg.passFile}:${PGPASS_IN_CONTAINER}:ro`);
  }
  if (svc === "voiceai-voice") {
    Object.assign(env, { ACTIVE_CALLS_FILE: "/state/active-calls" });
    volumes.push(`${L.host(host.name).projectDir}/state:/state:ro`);
  }
  return { ...common(L, host, inp.images.service), environment: env, ...(volumes.length ? { volumes } : {}) };
}

/** The compose file of one host's project. */
export function composeFile(L: Layout, host: SandboxHostSpec, inp: ComposeInputs): string {
  const services: Record<string, Service> = {};
  for (const svc of host.services) services[svc] = svc === "voiceai-postgres" ? postgresService(L, host, inp) : delphiService(L, host, svc, inp);
  const doc: Record<string, unknown> = { name: projectName(L, host.name), services };
  if (host.services.includes("voiceai-postgres"))
    doc.volumes = { pgdata: { driver: "local", driver_opts: { type: "none", o: "bind", device: L.volume.mount } } };
  return `# Delphi ${host.name} host (sandbox): written by \`delphi-restore sandbox up\`.\n${stringify(doc, { lineWidth: 0 })}`;
}
