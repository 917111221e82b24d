// Pure: what later steps (and the driver) read from earlier steps' output: the `key=value` marker
// lines the commands print, the restore point a dump's or kept data's name carries, the notice's
// lost-writes lines and the data-loss window.
import type { RestorePlan } from "./types";

const STAMP_RE = /(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/;

/** `delphi-20261123T020000Z.dump` -> `2026-11-23T02:00:00Z`. */
export function restorePointFromName(file: string): string | undefined {
  const m = STAMP_RE.exec(file);
  if (!m) return undefined;
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`;
  return Number.isNaN(Date.parse(iso)) ? undefined : iso;
}


/** The stamp of a kept name (`..._pre_restore_<stamp>` or `....pre-restore-<stamp>`). */
export function stampOfKept(kept: string): string {
  return /(\d{8}T\d{6}Z)$/.exec(kept)?.[1] ?? "<UTC>";
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

/** The notice's comparison output (`count\t...` and `key\t...` lines, see src/shell/kept.ts compareWithKept). */
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
