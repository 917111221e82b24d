// Pure: config -> the ordered plan of a self-managed restore (every host, service and command),
// the restore point and the data-loss window. Components only translate this into resources,
// and the driver's summary is printed from it, so preview and up can never disagree.
import type { RestoreConfig } from "./config";
import * as sh from "./shell";
import { dbTarget, fixed, confirmStoppedCommands, quiesceCommands, reconcileCommand, resumeCommands, serviceStops, verifyCommands, voiceCallsCheck } from "./plan-commands";
import { afterSnapshotCommand, noticeCommand, runbookSteps, stampCommand, withCapture } from "./plan-runbook";
import { type KeptSide, keptDatabaseSide, keptDumpSide, keptNames, renameBack, restoreIntoFresh, switchKeeping } from "./shell-kept";

export { confirmStoppedCommands, quiesceCommands, reconcileCommand, resumeCommands, serviceStops, verifyCommands, voiceCallsCheck } from "./plan-commands";

export * from "./plan-types";
import type { HostCommand, RestorePlan, RuntimeValues, StepPlan } from "./plan-types";
import { STEP_TITLES } from "./plan-types";

const STAMP_RE = /(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/;

/** `delphi-20261123T020000Z.dump` -> `2026-11-23T02:00:00Z`. */
export function restorePointFromName(file: string): string | undefined {
  const m = STAMP_RE.exec(file);
  if (!m) return undefined;
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`;
  return Number.isNaN(Date.parse(iso)) ? undefined : iso;
}

/** The plan of a self-managed (pg_dump archive) restore: see ./plan-runbook.ts for the order. */
export function planPgRestore(c: RestoreConfig): RestorePlan {
  const d = c.database;
  if (!d) throw new Error("pg-restore needs `database`");
  if (c.phase === "rollback") return planPgRollback(c);
  const db = dbTarget(c);
  const beforeSwitch = c.order === "beforeSwitch";
  const overwrite = c.snapshot === "before";
  const names = (stamp: string) => keptNames(d.name, stamp);
  const restoreTarget = overwrite ? d.name : `${d.name}_restored`;
  const kept = `${d.name}_pre_restore_<UTC>`;
  const dumpExpr = c.dump ? sh.quote(`${d.backupDir.replace(/\/+$/, "")}/${c.dump}`) : sh.newestDumpExpr(db, d.backupDir);
  const dumpWords = c.dump ?? "the newest *.dump (not a pre-restore snapshot)";
  const restorePoint = c.restorePoint ?? (c.dump ? restorePointFromName(c.dump) : undefined);
  const jobs = d.jobs > 1 ? ` --jobs=${d.jobs}` : "";

  const check: HostCommand = {
    name: "dump-reads-in-full",
    host: d.host,
    description: `read ${c.dump ?? "the newest *.dump"} through completely (refused before anything stops if it cannot be)`,
    render: fixed(sh.script([`cd ${sh.quote(db.dir)}`, ...sh.dumpReadsInFull(db, dumpExpr, "the restore is refused; nothing was stopped or changed")])),
    needs: [],
  };
  const restore: HostCommand = overwrite
    ? {
        name: "pg-restore",
        host: d.host,
        description: `pg_restore --clean --if-exists --no-owner --exit-on-error${jobs} of ${dumpWords} over ${d.name} (snapshot: before: the live database is overwritten; the pre-restore snapshot file is its copy), then capture the restored rows of ${c.report.tables.join(", ")} for the notice`,
        render: (rt) => withCapture(c, db, sh.pgRestore(db, dumpExpr, { jobs: d.jobs }), d.name, rt.stamp),
        needs: ["stamp"],
      }
    : {
        name: "pg-restore",
        host: d.host,
        description: `pg_restore --no-owner --exit-on-error${jobs} of ${dumpWords} into a fresh ${restoreTarget} (same owner, encoding and locale as ${d.name}; nothing is dropped or overwritten), capture its rows of ${c.report.tables.join(", ")} for the notice${beforeSwitch ? " (the live database keeps serving)" : `, then rename ${d.name} to ${kept} (kept) and ${restoreTarget} to ${d.name}`}`,
        render: (rt) => {
          const n = names(rt.stamp);
          const restored = withCapture(c, db, restoreIntoFresh(db, dumpExpr, n, d.jobs), n.restored, rt.stamp);
          return beforeSwitch ? restored : sh.andThen(restored, switchKeeping(db, n));
        },
        needs: ["stamp"],
      };
  const repoint: HostCommand | undefined = beforeSwitch
    ? { name: "switch-database", host: d.host, description: `rename ${d.name} to ${kept} (kept) and ${restoreTarget} to ${d.name}`, render: (rt) => switchKeeping(db, names(rt.stamp)), needs: ["stamp"] }
    : undefined;
  const beforeSnapshot: HostCommand | undefined = overwrite
    ? {
        name: "pg-dump",
        host: d.host,
        description: `pg_dump -Fc ${d.name} to ${d.backupDir}/pre-restore-<UTC>.dump in ${d.container} (the services are stopped, so it is complete) and pg_restore --list it; this lengthens the downtime by the dump's time`,
        render: (rt) => sh.script(sh.preRestoreDumpLines(db, d.backupDir, sh.quote(rt.stamp))),
        needs: ["stamp"],
      }
    : undefined;
  const keptSide = (rt: RuntimeValues): KeptSide =>
    overwrite ? keptDumpSide(db, sh.quote(rt.snapshotPath), `${d.name}_restore_src`, c.report.tables) : keptDatabaseSide(names(rt.stamp).kept);
  const keptWords = overwrite ? "the pre-restore snapshot" : `the kept database ${kept}`;
  const steps: StepPlan[] = runbookSteps(c, {
    checks: [check],
    restore,
    repoint,
    beforeSnapshot,
    afterSnapshot: c.snapshot === "after" ? afterSnapshotCommand(c, keptSide, keptWords) : undefined,
    notice: noticeCommand(c, keptSide, overwrite ? ["snapshotPath"] : ["stamp"], keptWords),
  });
  return {
    deployment: c.deployment,
    mechanism: c.mechanism,
    order: c.order,
    steps,
    restorePoint,
    dump: { file: c.dump, description: c.dump ? `${d.backupDir}/${c.dump}` : `newest *.dump in ${d.backupDir} (resolved on ${d.host} when the restore runs)` },
    restoreTarget,
    keptOldDatabase: overwrite ? undefined : kept,
    downtime: beforeSwitch
      ? "switch time: services stop only for the database switch (two renames)"
      : overwrite
        ? "restore time plus the pre-restore pg_dump (snapshot: before): services stay stopped while both run"
        : "restore time: services stay stopped while pg_restore runs into a fresh database (the live one is kept, renamed)",
    stops: serviceStops(c).map(({ host, service }) => ({ host, service })),
  };
}

/** The stamp of a kept name (`..._pre_restore_<stamp>` or `....pre-restore-<stamp>`). */
export function stampOfKept(kept: string): string {
  return /(\d{8}T\d{6}Z)$/.exec(kept)?.[1] ?? "<UTC>";
}

/** Rollback before sign-off: rename the kept database back (O(1)); what the restore put there is kept as `<db>_undone_<stamp>`. */
function planPgRollback(c: RestoreConfig): RestorePlan {
  const d = c.database;
  if (!d) throw new Error("pg-restore needs `database`");
  const db = dbTarget(c);
  // The database config names (a rollback sets it from the last restore's outputs), at its stamp.
  const n = { ...keptNames(d.name, stampOfKept(c.kept ?? "")), kept: c.kept ?? "" };
  const putBack: HostCommand = {
    name: "rename-kept-back",
    host: d.host,
    description: `rename ${d.name} (what the restore put there) to ${d.name}_undone_${n.stamp} (kept) and ${n.kept} back to ${d.name}`,
    render: fixed(renameBack(db, n)),
    needs: [],
  };
  return {
    deployment: c.deployment,
    mechanism: c.mechanism,
    order: c.order,
    steps: [
      { step: "precheck", title: STEP_TITLES.precheck, commands: [stampCommand(c), ...voiceCallsCheck(c)] },
      { step: "quiesce", title: STEP_TITLES.quiesce, commands: quiesceCommands(c) },
      { step: "confirm", title: STEP_TITLES.confirm, commands: confirmStoppedCommands(c) },
      { step: "restore", title: "Put the kept database back", commands: [putBack] },
      { step: "reconcile", title: STEP_TITLES.reconcile, commands: [reconcileCommand(c)] },
      { step: "resume", title: STEP_TITLES.resume, commands: resumeCommands(c) },
      { step: "verify", title: STEP_TITLES.verify, commands: verifyCommands(c) },
    ],
    dump: { description: `${n.kept}, the database the restore kept` },
    restoreTarget: `${d.name} (what the restore put there is kept as ${d.name}_undone_${n.stamp})`,
    source: "kept data",
    downtime: "switch time: services stop only for two renames",
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
    snapshot: c.snapshot,
    kept: c.kept ?? null,
    restorePoint: c.restorePoint ?? null,
    ...(c.volume ? { volume: c.volume.rollbackTo ?? c.volume.snapshot ?? `before ${c.volume.before}` } : {}),
    ...(c.wal ? { pitr: c.phase === "rollback" ? c.wal.rollbackTo : c.target ?? null } : {}),
    ...(a ? { target: a.targetTime ?? a.snapshotIdentifier ?? a.ebs?.snapshotId ?? a.ebs?.snapshotBefore ?? (a.useLatestRestorableTime ? "latest" : null) } : {}),
  });
}

/** Parse the `key=value` lines the commands print (snapshot=, dump=, stopped-at=, resumed-at=). */
export function markers(stdout: string, key: string): string[] {
  const prefix = `${key}=`;
  return stdout.split("\n").filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length).trim());
}

/** One kind of change of one tenant in one table, after the restore point: exact count, and keys (capped). */
export interface LostWrites {
  table: string;
  tenant: string;
  change: "inserted" | "updated" | "deleted";
  count: number;
  keys: string[];
}

/** The notice's comparison output (`count\t...` and `key\t...` lines, see shell-kept.ts compareWithKept). */
export function parseLostWrites(stdout: string): LostWrites[] {
  const out = new Map<string, LostWrites>();
  const at = (table: string, tenant: string, change: string) => {
    const k = `${table}\t${tenant}\t${change}`;
    let w = out.get(k);
    if (!w) out.set(k, (w = { table, tenant, change: change as LostWrites["change"], count: 0, keys: [] }));
    return w;
  };
  for (const line of stdout.split("\n")) {
    const p = line.split("\t");
    if (p.length !== 5 || !["inserted", "updated", "deleted"].includes(p[3])) continue;
    if (p[0] === "count" && /^\d+$/.test(p[4])) at(p[1], p[2], p[3]).count = Number(p[4]);
    else if (p[0] === "key") at(p[1], p[2], p[3]).keys.push(p[4]);
  }
  return [...out.values()].sort((a, b) => a.tenant.localeCompare(b.tenant) || a.table.localeCompare(b.table) || a.change.localeCompare(b.change));
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

/** The restore's UTC stamp, from the first step's output (validated: it becomes part of names). */
export function stampFrom(precheckStdout: string): string {
  const s = markers(precheckStdout, "stamp")[0] ?? "";
  if (!/^\d{8}T\d{6}Z$/.test(s)) throw new Error(`the first step printed no UTC stamp (got ${JSON.stringify(s)})`);
  return s;
}

export function restorePointFrom(plan: RestorePlan, restoreStdout: string): string {
  if (plan.restorePoint) return plan.restorePoint;
  // A mechanism that learns it on the host (a volume snapshot's creation time) prints it.
  const printed = markers(restoreStdout, "restore-point")[0];
  if (printed) return printed;
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
