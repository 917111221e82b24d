// Each sandbox host's compose file: the real compose's input, with the settings the sandbox
// depends on (host network, tini, no restart policy, the sandbox's labels, the same paths inside).
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { composeFile, projectName, sandboxId } from "../../../src/sandbox/hosts/compose-files";
import { hostSpec, layout } from "../../../src/sandbox/layout";

const L = layout("/srv/checkout");
const inputs = { images: { postgres: "delphi-sandbox/postgres:aaaa", service: "delphi-sandbox/service:bbbb" }, pgPort: 5433, telwebPort: 3001, telemetryUrl: "http://127.0.0.1:4318/api/v1/heartbeats" };

describe("compose files", () => {
  it("name each project for the sandbox and host, so sandboxes of two checkouts never share one", () => {
    expect(sandboxId(L)).toMatch(/^dr[0-9a-f]{8}$/);
    expect(sandboxId(layout("/srv/other"))).not.toBe(sandboxId(L));
    expect(projectName(L, "api7")).toBe(`${sandboxId(L)}-api7`);
  });

  it("run the database on the db host's volume folder at the same path, the backup folder at /backup and its own path", () => {
    const doc = parse(composeFile(L, hostSpec("db"), inputs)) as { name: string; services: Record<string, Record<string, unknown>>; volumes: Record<string, { driver_opts: Record<string, string> }> };
    const db = doc.services["voiceai-postgres"];
    expect(doc.name).toBe(projectName(L, "db"));
    expect(db).toMatchObject({ image: inputs.images.postgres, init: true, network_mode: "host", restart: "no", user: "postgres", command: ["postgres", "-D", L.pg.data] });
    expect(db.volumes).toEqual([`pgdata:${L.volume.mount}`, `${L.backupDir}:/backup`, `${L.backupDir}:${L.backupDir}`, `${L.pg.socketDir}:${L.pg.socketDir}`]);
    expect(doc.volumes.pgdata.driver_opts).toEqual({ type: "none", o: "bind", device: L.volume.mount });
    expect(db.labels).toEqual({ "delphi-restore.sandbox": sandboxId(L), "delphi-restore.host": "db" });
  });

  it("give TelWeb its port, the database, the password only as a mounted pgpass file, and its migrations", () => {
    const doc = parse(composeFile(L, hostSpec("web"), inputs)) as { services: Record<string, { environment: Record<string, string>; volumes: string[] }> };
    const web = doc.services["voiceai-telweb"];
    expect(web.environment).toMatchObject({ SERVICE: "voiceai-telweb", SANDBOX_HOST: "web", TELWEB_PORT: "3001", PGPORT: "5433", PGPASSFILE: "/run/delphi/pgpass", TELEMETRY_URL: inputs.telemetryUrl });
    expect(JSON.stringify(web.environment)).not.toMatch(/PGPASSWORD|postgres:\/\//);
    expect(web.volumes).toContain(`${L.pg.passFile}:/run/delphi/pgpass:ro`);
    expect(web.volumes).toContain(`${L.host("web").projectDir}/migrations:/app/migrations:ro`);
  });

  it("mount Voice's active-calls folder, and give the other services only their name and telemetry", () => {
    const voice = (parse(composeFile(L, hostSpec("voice"), inputs)) as { services: Record<string, { volumes: string[] }> }).services["voiceai-voice"];
    expect(voice.volumes).toEqual([`${L.host("voice").projectDir}/state:/state:ro`]);
    const ops = (parse(composeFile(L, hostSpec("ops"), inputs)) as { services: Record<string, Record<string, unknown>> }).services["voiceai-ops"];
    expect(ops.volumes).toBeUndefined();
    expect(Object.keys(ops.environment as object).sort()).toEqual(["IMAGE", "PROJECT", "SANDBOX_HOST", "SERVICE", "TELEMETRY_URL"]);
  });
});
