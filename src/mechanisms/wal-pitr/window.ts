// Pure: what a WAL archive and its base backups can reach, and whether a recovery target is in
// that reach. The facts come from the db host (./facts.ts); the decision is made here, before
// anything is declared, so a target out of reach is refused naming the window that is reachable.
import type { TargetConfig } from "../../config";
import { parseLsn, segmentName, segmentNumber, segmentTimeline } from "./names";

/** A base backup as its backup history file in the archive describes it (start and stop). */
export interface BaseBackup {
  /** The folder name under wal.baseBackupsDir. */
  name: string;
  label: string;
  timeline: number;
  startSegment: string;
  startLsn: string;
  stopLsn: string;
  startTime: string;
  stopTime: string;
}

export interface CommitInfo {
  lsn: string;
  time: string;
}

/** What the db host told about the archive. `probes` answer the questions of probeQuestions(). */
export interface WalFacts {
  /** WAL segment file names in the archive, sorted. */
  segments: string[];
  /** Base backups with a backup history file in the archive (their end is known). */
  backups: BaseBackup[];
  /** Base backup folders without a history file in the archive: their WAL was never archived in full. */
  unusable: string[];
  /** The last commit in each probed segment run's end, by the run's last segment. */
  lastCommits: Record<string, CommitInfo | undefined>;
  /** xid target: its commit (or abort) record, if the archive has it. */
  xidRecord?: CommitInfo & { aborted: boolean };
  /** name target: the restore point's record. */
  restorePoint?: CommitInfo;
}

/** The segment an LSN lies in, on a timeline. */
export function lsnSegment(timeline: number, lsn: string): string {
  return segmentName(timeline, Math.floor(parseLsn(lsn) / 2 ** 24));
}

/**
 * The segments of `timeline` from `start` on with none missing: recovery can replay exactly these.
 * `missing` is the first segment absent after them (when a later one exists), i.e. the gap.
 */
export function contiguousFrom(segments: string[], timeline: number, start: string): { run: string[]; missing?: string } {
  const mine = new Set(segments.filter((s) => segmentTimeline(s) === timeline));
  const run: string[] = [];
  let n = segmentNumber(start);
  while (mine.has(segmentName(timeline, n))) run.push(segmentName(timeline, n++));
  const later = [...mine].some((s) => segmentNumber(s) > n);
  return { run, missing: later ? segmentName(timeline, n) : undefined };
}

/** `2026-11-25 18:30:01.123456 UTC` (Postgres' log and WAL format) as ISO 8601. */
export function pgTimeToIso(t: string): string {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?) (UTC|GMT|[+-]\d\d(?::?\d\d)?)$/.exec(t.trim());
  if (!m) return t.trim();
  const zone = m[3] === "UTC" || m[3] === "GMT" ? "Z" : m[3].length === 3 ? `${m[3]}:00` : m[3].includes(":") ? m[3] : `${m[3].slice(0, 3)}:${m[3].slice(3)}`;
  return `${m[1]}T${m[2]}${zone}`;
}

/** Milliseconds of an ISO time, keeping microseconds' order for equal milliseconds out of scope. */
const ms = (iso: string) => Date.parse(iso);

/** The fields of a backup_label or backup history file. */
export function parseBackupFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const i = line.indexOf(": ");
    if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 2).trim();
  }
  return out;
}

const LOCATION_RE = /^([0-9A-F]+\/[0-9A-F]+) \(file ([0-9A-F]{24})\)$/i;

/** A base backup from its history file's fields; undefined when a field is missing. */
export function baseBackupOf(name: string, f: Record<string, string>): BaseBackup | undefined {
  const start = LOCATION_RE.exec(f["START WAL LOCATION"] ?? "");
  const stop = LOCATION_RE.exec(f["STOP WAL LOCATION"] ?? "");
  if (!start || !stop || !f["START TIME"] || !f["STOP TIME"]) return undefined;
  return {
    name,
    label: f.LABEL ?? name,
    timeline: Number(f["START TIMELINE"] ?? segmentTimeline(start[2])),
    startSegment: start[2].toUpperCase(),
    startLsn: start[1].toUpperCase(),
    stopLsn: stop[1].toUpperCase(),
    startTime: pgTimeToIso(f["START TIME"]),
    stopTime: pgTimeToIso(f["STOP TIME"]),
  };
}

export type Target = { kind: "time"; time: string } | { kind: "xid"; xid: string } | { kind: "lsn"; lsn: string } | { kind: "name"; name: string } | { kind: "latest" };

export function targetOf(t: TargetConfig): Target {
  if (t.time) return { kind: "time", time: t.time };
  if (t.xid) return { kind: "xid", xid: t.xid };
  if (t.lsn) return { kind: "lsn", lsn: t.lsn.toUpperCase() };
  if (t.name) return { kind: "name", name: t.name };
  return { kind: "latest" };
}

export function targetText(t: Target, inclusive: boolean): string {
  const how = inclusive ? "" : " (exclusive: stop just before it)";
  if (t.kind === "time") return `time ${t.time}${how}`;
  if (t.kind === "xid") return `transaction ${t.xid}${inclusive ? " (inclusive: through it)" : " (exclusive: undo it and everything after)"}`;
  if (t.kind === "lsn") return `WAL location ${t.lsn}${how}`;
  if (t.kind === "name") return `restore point ${t.name}`;
  return "the end of the archive (latest)";
}

/** The base backup and WAL a recovery uses, and what it means for data. */
export interface PitrChoice {
  backup: BaseBackup;
  /** First and last segment recovery may read (the contiguous run from the backup's start). */
  walFrom: string;
  walTo: string;
  target: Target;
  inclusive: boolean;
  /** The moment the restored database reflects: the target time, or the target record's commit time. */
  restorePoint: string;
  /** The window any target must fall in, for this backup: [its end, the last commit of its run]. */
  window: { from: string; to: string };
}

export type WindowVerdict = { ok: true; choice: PitrChoice } | { ok: false; problem: string; window?: { from: string; to: string } };

/** The questions the db host must answer after the listing: the last commit at each run's end. */
export function probeSegments(facts: Pick<WalFacts, "segments" | "backups">): string[] {
  return [...new Set(facts.backups.map((b) => contiguousFrom(facts.segments, b.timeline, b.startSegment).run.at(-1)).filter((s): s is string => s !== undefined))];
}

function windowOf(facts: WalFacts, b: BaseBackup): { run: string[]; missing?: string; to?: CommitInfo } {
  const { run, missing } = contiguousFrom(facts.segments, b.timeline, b.startSegment);
  return { run, missing, to: run.length ? facts.lastCommits[run[run.length - 1]] : undefined };
}

function reachable(facts: WalFacts): string {
  const spans = facts.backups.map((b) => {
    const w = windowOf(facts, b);
    return `${b.name}: ${b.stopTime} to ${w.to?.time ?? "its end (no commit archived after it)"}${w.missing ? ` (segment ${w.missing} is missing after that)` : ""}`;
  });
  return spans.length ? spans.join("; ") : "nothing: no base backup has its backup history file in the archive";
}

/**
 * Is the target in reach, and from which base backup? The newest base backup that ends before the
 * target is taken; the WAL from its start must reach the target with no segment missing.
 */
export function checkTarget(facts: WalFacts, t: Target, inclusive: boolean): WindowVerdict {
  if (facts.backups.length === 0)
    return { ok: false, problem: `no usable base backup: ${facts.unusable.length ? `${facts.unusable.join(", ")} ha${facts.unusable.length === 1 ? "s" : "ve"} no backup history file in the WAL archive (their WAL was not archived)` : "the base backups folder holds none"}` };
  const byNewest = [...facts.backups].sort((a, b) => parseLsn(b.stopLsn) - parseLsn(a.stopLsn));
  const oldest = byNewest[byNewest.length - 1];
  const within = `reachable: ${reachable(facts)}`;
  // Where the target is, as a time and (when known) a WAL location.
  let at: { time?: string; lsn?: string };
  if (t.kind === "time") at = { time: t.time };
  else if (t.kind === "lsn") at = { lsn: t.lsn };
  else if (t.kind === "xid") {
    if (!facts.xidRecord) return { ok: false, problem: `transaction ${t.xid} has no commit or abort record in the WAL archive (${within})` };
    if (facts.xidRecord.aborted) return { ok: false, problem: `transaction ${t.xid} was rolled back (aborted at ${facts.xidRecord.time}): it changed nothing to restore to or undo` };
    at = { time: facts.xidRecord.time, lsn: facts.xidRecord.lsn };
  } else if (t.kind === "name") {
    if (!facts.restorePoint) return { ok: false, problem: `restore point ${t.name} is not in the WAL archive (${within})` };
    at = { time: facts.restorePoint.time, lsn: facts.restorePoint.lsn };
  } else at = {};

  const before = (b: BaseBackup) => (at.lsn ? parseLsn(b.stopLsn) < parseLsn(at.lsn) : at.time ? ms(b.stopTime) < ms(at.time) : true);
  const backup = byNewest.find(before);
  if (!backup)
    return { ok: false, problem: `the target (${targetText(t, inclusive)}) is before the end of the oldest base backup, ${oldest.name} (${oldest.stopTime}); ${within}`, window: { from: oldest.stopTime, to: windowOf(facts, oldest).to?.time ?? oldest.stopTime } };
  const w = windowOf(facts, backup);
  const end = w.to;
  const window = { from: backup.stopTime, to: end?.time ?? backup.stopTime };
  const gap = w.missing ? `segment ${w.missing} is missing from the archive, so recovery cannot pass it; ` : "";
  const lastSeg = w.run[w.run.length - 1] ?? backup.startSegment;
  // Past the last commit the run holds, recovery would end before reaching the target.
  const beyond = t.kind !== "latest" && (end === undefined || (at.lsn ? parseLsn(at.lsn) > parseLsn(end.lsn) : ms(at.time ?? "") > ms(end.time)));
  if (beyond || w.run.length === 0)
    return { ok: false, problem: `the target (${targetText(t, inclusive)}) is after the last archived commit reachable from ${backup.name}: ${gap}${within}`, window };
  const restorePoint = t.kind === "latest" ? window.to : at.time ?? window.to;
  return { ok: true, choice: { backup, walFrom: w.run[0], walTo: lastSeg, target: t, inclusive, restorePoint, window } };
}

/** One line for the summary and preflight: the backup, the WAL replayed, the target and window. */
export function choiceText(c: PitrChoice): string {
  return `base backup ${c.backup.name} (ended ${c.backup.stopTime}), replay WAL ${c.walFrom} to at most ${c.walTo}, target ${targetText(c.target, c.inclusive)}; reachable window ${c.window.from} to ${c.window.to}`;
}
