// Pure: config -> the ordered plan of a self-managed restore (every host, service and command),
// the restore point and the data-loss window. Components only translate this into resources,
// and the driver's summary is printed from it, so preview and up can never disagree.
import { type RestoreConfig, consumerHosts } from "./config";
import * as sh from "./shell";

export const STEP_ORDER = ["snapshot", "quiesce", "confirm", "restore", "repoint", "reconcile", "resume", "verify", "report"] as const;
export type StepName = (typeof STEP_ORDER)[number];

export const STEP_TITLES: Record<StepName, string> = {
  snapshot: "Pre-restore snapshot",
  quiesce: "Quiesce services",
  confirm: "Confirm services still stopped",
  restore: "Restore database",
  repoint: "Repoint services",
  reconcile: "Reconcile schema (TelWeb migrate deploy)",
  resume: "Resume services",
  verify: "Verify",
  report: "Tenant-admin report",
};

/** Values known only while `up` runs; commands that need them are rendered from these. */
export interface RuntimeValues {
  snapshotPath: string;
  restorePoint: string;
  resumedAt: string;
}

/** Placeholders shown in previews and summaries for values known only at run time. */
export const PREVIEW_VALUES: RuntimeValues = {
  snapshotPath: "<pre-restore snapshot path>",
  restorePoint: "<restore point>",
  resumedAt: "<resume time>",
};

export interface HostCommand {
  /** Resource name suffix, unique within the step. */
  name: string;
  host: string;
  description: string;
  render: (rt: RuntimeValues) => string;
  /** Which runtime values the command needs (so components wait only for those). */
  needs: (keyof RuntimeValues)[];
  /** A secret config value fed on stdin (never on the command line). */
  stdinSecret?: "adminPassword";
}

export interface StepPlan {
  step: StepName;
  title: string;
  commands: HostCommand[];
}

export interface RestorePlan {
  deployment: string;
  mechanism: RestoreConfig["mechanism"];
  order: RestoreConfig["order"];
  steps: StepPlan[];
  /** The restore point when known before the run (config, or the dump's file name). */
  restorePoint?: string;
  dump: { file?: string; description: string };
  /** The database the restore writes into (a new one in beforeSwitch mode). */
  restoreTarget: string;
  /** beforeSwitch: the name the replaced database is kept under. */
  keptOldDatabase?: string;
  downtime: string;
  stops: { host: string; service: string }[];
}

const STAMP_RE = /(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/;

/** `delphi-20261123T020000Z.dump` -> `2026-11-23T02:00:00Z`. */
export function restorePointFromName(file: string): string | undefined {
  const m = STAMP_RE.exec(file);
  if (!m) return undefined;
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`;
  return Number.isNaN(Date.parse(iso)) ? undefined : iso;
}

function dbTarget(c: RestoreConfig): sh.DbTarget {
  const d = c.database;
  if (!d) throw new Error("the plan of a self-managed restore needs `database` (config validation should have said so)");
  return { dir: sh.projectDir(c.hosts[d.host].servicesRoot, d.composeProject), container: d.container, user: d.user, name: d.name };
}

/** Consumer hosts' compose projects, in config order; the db host's projects are not stopped. */
export function serviceStops(c: RestoreConfig): { host: string; service: string; dir: string; role: string }[] {
  return consumerHosts(c).flatMap(([host, h]) => h.services.map((service) => ({ host, service, dir: sh.projectDir(h.servicesRoot, service), role: h.role })));
}

function webHost(c: RestoreConfig): [string, RestoreConfig["hosts"][string]] {
  const web = Object.entries(c.hosts).find(([, h]) => h.role === "web");
  if (!web) throw new Error("no web host (config validation should have said so)");
  return web;
}

const fixed = (cmd: string) => () => cmd;

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

export function resumeCommands(c: RestoreConfig): HostCommand[] {
  return serviceStops(c).map(({ host, service, dir }) => ({
    name: `${host}-${service}`,
    host,
    description: `docker compose up -d in ${dir}`,
    render: fixed(sh.andThen(`echo "resumed-at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"`, sh.composeUp(dir))),
    needs: [],
  }));
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
  const [web, h] = webHost(c);
  const dir = sh.projectDir(h.servicesRoot, h.services[0]);
  const svc = c.reconcile.service;
  return {
    name: `${web}-${svc}`,
    host: web,
    description: `docker compose up -d ${svc} in ${dir}, wait ${c.reconcile.timeoutSeconds}s for 'migrate deploy' and 'baseline-seed'`,
    render: fixed(sh.startAndWaitForLogLines(dir, svc, ["migrate deploy", "baseline-seed"], "migrate deploy failed", c.reconcile.timeoutSeconds)),
    needs: [],
  };
}

/** The plan of a self-managed (pg_dump archive) restore. */
export function planPgRestore(c: RestoreConfig): RestorePlan {
  const d = c.database;
  if (!d) throw new Error("pg-restore needs `database`");
  const db = dbTarget(c);
  const beforeSwitch = c.order === "beforeSwitch";
  const restoreTarget = beforeSwitch ? `${d.name}_restored` : d.name;
  const keptOld = beforeSwitch ? `${d.name}_pre_restore` : undefined;
  const dumpExpr = c.dump ? sh.quote(`${d.backupDir.replace(/\/+$/, "")}/${c.dump}`) : sh.newestDumpExpr(db, d.backupDir);
  const restorePoint = c.restorePoint ?? (c.dump ? restorePointFromName(c.dump) : undefined);

  const snapshot: StepPlan = {
    step: "snapshot",
    title: STEP_TITLES.snapshot,
    commands: [{
      name: "pg-dump",
      host: d.host,
      description: `read ${c.dump ?? "the newest *.dump"} through completely (refused before anything stops if it cannot be), then pg_dump -Fc ${d.name} to ${d.backupDir}/pre-restore-<UTC>.dump in ${d.container} and pg_restore --list it`,
      render: fixed(sh.preRestoreSnapshot(db, d.backupDir, dumpExpr)),
      needs: [],
    }, ...voiceCallsCheck(c)],
  };
  const restore: StepPlan = {
    step: "restore",
    title: STEP_TITLES.restore,
    commands: [{
      name: "pg-restore",
      host: d.host,
      description: `pg_restore --clean --if-exists --no-owner --exit-on-error${d.jobs > 1 ? ` --jobs=${d.jobs}` : ""} of ${c.dump ?? "the newest *.dump (not a pre-restore snapshot)"} into ${restoreTarget}${beforeSwitch ? " (a new database; the live one keeps serving)" : ""}`,
      render: fixed(sh.pgRestore(db, dumpExpr, { jobs: d.jobs, intoDatabase: beforeSwitch ? restoreTarget : undefined, keepOldAs: keptOld })),
      needs: [],
    }],
  };
  const quiesce: StepPlan = { step: "quiesce", title: STEP_TITLES.quiesce, commands: quiesceCommands(c) };
  const confirm: StepPlan = { step: "confirm", title: STEP_TITLES.confirm, commands: confirmStoppedCommands(c) };
  const repoint: StepPlan | undefined = beforeSwitch && keptOld
    ? {
        step: "repoint",
        title: STEP_TITLES.repoint,
        commands: [{
          name: "switch-database",
          host: d.host,
          description: `rename ${d.name} to ${keptOld} (kept) and ${restoreTarget} to ${d.name}`,
          render: fixed(sh.switchDatabases(db, restoreTarget, keptOld)),
          needs: [],
        }],
      }
    : undefined;
  const tables = c.report.tables;
  const report: StepPlan = {
    step: "report",
    title: STEP_TITLES.report,
    commands: [{
      name: "count-lost-rows",
      host: d.host,
      description: `count rows newer than the restore point per tenant in ${tables.join(", ")}, from the pre-restore snapshot (loaded into a scratch database, then dropped)`,
      render: (rt) => sh.countLostRows(db, sh.quote(rt.snapshotPath), rt.restorePoint, tables, `${d.name}_lost_rows`),
      needs: ["snapshotPath", "restorePoint"],
    }],
  };
  const steps: StepPlan[] = [
    snapshot,
    ...(beforeSwitch ? [restore, quiesce, confirm] : [quiesce, confirm, restore]),
    ...(repoint ? [repoint] : []),
    { step: "reconcile", title: STEP_TITLES.reconcile, commands: [reconcileCommand(c)] },
    { step: "resume", title: STEP_TITLES.resume, commands: resumeCommands(c) },
    { step: "verify", title: STEP_TITLES.verify, commands: verifyCommands(c) },
    report,
  ];
  return {
    deployment: c.deployment,
    mechanism: c.mechanism,
    order: c.order,
    steps,
    restorePoint,
    dump: { file: c.dump, description: c.dump ? `${d.backupDir}/${c.dump}` : `newest *.dump in ${d.backupDir} (resolved on ${d.host} when the restore runs)` },
    restoreTarget,
    keptOldDatabase: keptOld,
    downtime: beforeSwitch ? "switch time: services stop only for the database swap" : "restore time: services stay stopped while pg_restore runs",
    stops: serviceStops(c).map(({ host, service }) => ({ host, service })),
  };
}

/**
 * What identifies one restore: the same key on a re-run after a failure (only what did not finish
 * runs), a new key for a new restore (another dump, order, phase or target: every command runs
 * again, in order). Host commands carry it as their trigger.
 */
export function restoreKey(c: RestoreConfig): string {
  const a = c.aws;
  return JSON.stringify({
    mechanism: c.mechanism,
    order: c.order,
    phase: c.phase,
    dump: c.dump ?? "newest",
    restorePoint: c.restorePoint ?? null,
    ...(a ? { target: a.targetTime ?? a.snapshotIdentifier ?? (a.useLatestRestorableTime ? "latest" : null) } : {}),
  });
}

/** Parse the `key=value` lines the commands print (snapshot=, dump=, stopped-at=, resumed-at=). */
export function markers(stdout: string, key: string): string[] {
  const prefix = `${key}=`;
  return stdout.split("\n").filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length).trim());
}

export interface LostRows {
  table: string;
  tenant: string;
  count: number;
}

export function parseLostRows(stdout: string): LostRows[] {
  return stdout
    .split("\n")
    .map((l) => l.split("\t"))
    .filter((p) => p.length === 3 && /^\d+$/.test(p[2]))
    .map(([table, tenant, count]) => ({ table, tenant, count: Number(count) }));
}

/** The data-loss window: writes after the restore point up to the moment writes stopped. */
export function dataLossWindow(restorePoint: string, writesStoppedAt: string[]): { from: string; to: string } {
  const to = writesStoppedAt.filter(Boolean).sort().at(-1) ?? "the switch";
  return { from: restorePoint, to };
}

// What later steps need from earlier steps' output. Shared by the Pulumi program (inside
// Output.apply) and anything else that runs the plan, so both read the markers the same way.
export function snapshotPathFrom(snapshotStdout: string): string {
  return markers(snapshotStdout, "snapshot")[0] ?? "";
}

export function restorePointFrom(plan: RestorePlan, restoreStdout: string): string {
  if (plan.restorePoint) return plan.restorePoint;
  const dump = markers(restoreStdout, "dump")[0] ?? "";
  return restorePointFromName(dump) ?? "unknown (name the dump <name>-<yyyymmddThhmmssZ>.dump or set restorePoint)";
}

/** The earliest moment any service was started again. */
export function resumedAtFrom(resumeStdouts: string[]): string {
  return resumeStdouts.flatMap((o) => markers(o, "resumed-at")).sort()[0] ?? "";
}

export function writesStoppedFrom(quiesceStdouts: string[]): string[] {
  return quiesceStdouts.flatMap((o) => markers(o, "stopped-at"));
}
