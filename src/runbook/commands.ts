// Pure: the host commands of each runbook step, from config (which host, which folder, what runs).
// ./order.ts orders them into a restore plan; the AWS plan reuses the quiesce, reconcile, resume
// and verify commands.
import { type RestoreConfig, consumerHosts } from "../config";
import type { HostCommand } from "./types";
import * as sh from "../shell";

export function dbTarget(c: RestoreConfig): sh.DbTarget {
  const d = c.database;
  if (!d) throw new Error("the plan of a self-managed restore needs `database` (config validation should have said so)");
  return { dir: sh.projectDir(c.hosts[d.host].servicesRoot, d.composeProject), container: d.container, user: d.user, name: d.name };
}

/** Consumer hosts' compose projects, in config order; the db host's projects are not stopped. */
export function serviceStops(c: RestoreConfig): { host: string; service: string; dir: string; role: string }[] {
  return consumerHosts(c).flatMap(([host, h]) => h.services.map((service) => ({ host, service, dir: sh.projectDir(h.servicesRoot, service), role: h.role })));
}

export function webHost(c: RestoreConfig): [string, RestoreConfig["hosts"][string]] {
  const web = Object.entries(c.hosts).find(([, h]) => h.role === "web");
  if (!web) throw new Error("no web host (config validation should have said so)");
  return web;
}

/** TelWeb's compose project: the web host's first, where reconcile starts it. */
function telwebProject(c: RestoreConfig): { web: string; dir: string } {
  const [web, h] = webHost(c);
  return { web, dir: sh.projectDir(h.servicesRoot, h.services[0]) };
}

export const fixed = (cmd: string) => () => cmd;

export function quiesceCommands(c: RestoreConfig): HostCommand[] {
  return serviceStops(c).map(({ host, service, dir, role }) => {
    const stop = sh.composeStop(dir);
    const stamp = `echo "stopped-at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"`;
    const guard = role === "voice" && c.voice.activeCallsCommand ? sh.activeCallsGuard(dir, c.voice.activeCallsCommand, c.voice.forceStop) : undefined;
    return {
      name: `${host}-${service}`,
      host,
      description: `docker compose stop in ${dir}${guard ? (c.voice.forceStop ? " (forced: active calls not checked)" : " (refused while Voice has active calls)") : ""}`,
      render: fixed(sh.andThen(...(guard ? [guard] : []), stop, stamp)),
      needs: [],
    };
  });
}

/**
 * Voice's active calls, asked before anything stops (with the pre-restore snapshot), so live
 * calls refuse the restore while every service is still up. Quiesce asks again right before it
 * stops Voice, since calls can start in between.
 */
export function voiceCallsCheck(c: RestoreConfig): HostCommand[] {
  if (c.voice.forceStop || !c.voice.activeCallsCommand) return [];
  const command = c.voice.activeCallsCommand;
  return serviceStops(c)
    .filter((s) => s.role === "voice")
    .map(({ host, service, dir }) => ({
      name: `${host}-${service}-active-calls`,
      host,
      description: `refuse the restore while Voice has active calls (${sh.argv(command)} in ${dir})`,
      render: fixed(sh.activeCallsGuard(dir, command, false)),
      needs: [],
    }));
}

/**
 * Right before the destructive step, every consumer project is still stopped: a host that
 * rebooted after quiesce would have its services writing to a database being replaced. What runs
 * again is stopped again and the update fails, naming the host: the operator learns of it, and the
 * re-run finds everything stopped and goes on.
 */
export function confirmStoppedCommands(c: RestoreConfig): HostCommand[] {
  return serviceStops(c).map(({ host, service, dir }) => ({
    name: `${host}-${service}`,
    host,
    description: `docker compose ps in ${dir}: still stopped since quiesce (anything running again is stopped and the update fails before the restore)`,
    render: fixed(sh.confirmStopped(dir, host)),
    needs: [],
  }));
}

/**
 * docker compose up -d in every consumer project, hosts at once. With `withTelweb` (the migrations
 * already ran against this database before anything stopped, reconcile.beforeStop), TelWeb starts
 * in the same step instead of alone before it: its project's command starts it first and waits for
 * its migrate deploy (nothing pending now) and baseline-seed lines, while the other hosts start.
 */
export function resumeCommands(c: RestoreConfig, withTelweb = false): HostCommand[] {
  const t = telwebProject(c);
  return serviceStops(c).map(({ host, service, dir }) => {
    const telweb = withTelweb && host === t.web && dir === t.dir;
    return {
      name: `${host}-${service}`,
      host,
      description: telweb
        ? `docker compose up -d ${c.reconcile.service} in ${dir}, wait ${c.reconcile.timeoutSeconds}s for 'migrate deploy' (nothing pending: they ran before the stop) and 'baseline-seed', then docker compose up -d`
        : `docker compose up -d in ${dir}`,
      render: fixed(sh.andThen(`echo "resumed-at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"`, ...(telweb ? [telwebStart(c, dir)] : []), sh.composeUp(dir))),
      needs: [],
    };
  });
}

const telwebStart = (c: RestoreConfig, dir: string) => sh.startAndWaitForLogLines(dir, c.reconcile.service, ["migrate deploy", "baseline-seed"], "migrate deploy failed", c.reconcile.timeoutSeconds);

/**
 * reconcile.beforeStop: TelWeb's migrations and baseline seed against `database` (the restored
 * database beside the live one) in a one-off container of its image, while every service still
 * runs on the live database. A failing migration fails the update here, before anything stopped.
 */
export function reconcileBeforeStopCommand(c: RestoreConfig, database: string): HostCommand {
  const { web, dir } = telwebProject(c);
  const r = c.reconcile;
  return {
    name: `${web}-${r.service}-against-${database}`,
    host: web,
    description: `docker compose run --rm ${r.service} ${sh.argv(r.migrateCommand)} in ${dir}, its ${r.databaseEnv} pointed at ${database} (the services still run on the live database)`,
    render: fixed(sh.runAgainstDatabase(dir, r.service, r.databaseEnv, database, r.migrateCommand, `${r.service}: the migrations failed against ${database} before anything stopped; every service still runs on the live database`)),
    needs: [],
  };
}

export function verifyCommands(c: RestoreConfig): HostCommand[] {
  const v = c.verify;
  const [web] = webHost(c);
  const out: HostCommand[] = [];
  if (v.telwebUrl)
    out.push({ name: "telweb-health", host: web, description: `GET ${v.telwebUrl} answers 2xx`, render: fixed(sh.httpCheck("telweb-health", v.telwebUrl, v.timeoutSeconds)), needs: [] });
  if (v.loginUrl && v.adminUser)
    out.push({ name: "admin-login", host: web, description: `admin ${v.adminUser} can log in at ${v.loginUrl}`, render: fixed(sh.loginCheck(v.loginUrl, v.adminUser, v.timeoutSeconds)), needs: [], stdinSecret: "adminPassword" });
  if (c.database) {
    const db = dbTarget(c);
    for (const s of v.spotChecks)
      out.push({ name: `sql-${s.name}`, host: c.database.host, description: `SQL spot check ${s.name}: ${s.sql} = ${s.expect}`, render: fixed(sh.spotCheck(db, s.name, s.sql, s.expect)), needs: [] });
  }
  if (v.telemetryUrl) {
    const url = v.telemetryUrl;
    out.push({
      name: "telemetry",
      host: web,
      description: `telemetry since the resume from ${v.telemetryServices.join(", ")}`,
      render: (rt) => sh.telemetryCheck(url, v.telemetryServices, sh.quote(rt.resumedAt), v.timeoutSeconds),
      needs: ["resumedAt"],
    });
  }
  if (v.testCallCommand) {
    const voice = Object.entries(c.hosts).find(([, h]) => h.role === "voice")?.[0] ?? web;
    out.push({ name: "test-call", host: voice, description: `test call: ${sh.argv(v.testCallCommand)}`, render: fixed(sh.argv(v.testCallCommand)), needs: [] });
  }
  return out;
}

export function reconcileCommand(c: RestoreConfig): HostCommand {
  const { web, dir } = telwebProject(c);
  const svc = c.reconcile.service;
  return {
    name: `${web}-${svc}`,
    host: web,
    description: `docker compose up -d ${svc} in ${dir}, wait ${c.reconcile.timeoutSeconds}s for 'migrate deploy' and 'baseline-seed'`,
    render: fixed(telwebStart(c, dir)),
    needs: [],
  };
}
