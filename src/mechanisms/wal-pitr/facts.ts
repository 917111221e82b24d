// Read what the WAL archive and the base backups can reach, from the db host, read-only: one
// listing, then pg_waldump probes of the runs' ends and of the target's own record. Both preflight
// and the program read it this way (each with its own SSH runner), and ./window.ts decides.
import type { RestoreConfig } from "../../config";
import { markers } from "../../runbook";
import { dbTarget } from "../../runbook/commands";
import { type ProbePlan, walListing, walProbe } from "./shell";
import {
  type BaseBackup,
  type CommitInfo,
  type Target,
  type WalFacts,
  baseBackupOf,
  contiguousFrom,
  parseBackupFile,
  pgTimeToIso,
  probeSegments,
} from "./window";
import { isSegmentName, segmentName, segmentNumber, segmentTimeline } from "./names";

/** Runs one command on a config host; rejects (or returns ok: false) with the host's error. */
export type HostRun = (host: string, command: string) => Promise<{ ok: boolean; stdout: string; stderr: string }>;

/** How many segments before a run's end are read to find its last commit (a switch leaves the last nearly empty). */
const TAIL_SEGMENTS = 4;

export interface Listing {
  segments: string[];
  backups: BaseBackup[];
  unusable: string[];
}

/** Parse walListing's output: segments, history files matched to base backup folders by start location. */
export function parseListing(stdout: string): Listing {
  const segments: string[] = [];
  const histories = new Map<string, Record<string, string>>();
  const folders: { name: string; start?: string }[] = [];
  let block: string[] | undefined;
  let current: { kind: "history" | "base"; name: string } | undefined;
  const flush = () => {
    if (!current || !block) return;
    const fields = parseBackupFile(block.join("\n"));
    if (current.kind === "history") histories.set(current.name, fields);
    else folders.push({ name: current.name, start: fields["START WAL LOCATION"] });
  };
  for (const line of stdout.split("\n")) {
    if (line.startsWith("  ") && block) {
      block.push(line.trim());
      continue;
    }
    flush();
    current = undefined;
    block = undefined;
    if (line.startsWith("file=")) {
      const n = line.slice(5).trim();
      if (isSegmentName(n)) segments.push(n);
    } else if (line.startsWith("history=")) {
      current = { kind: "history", name: line.slice(8).trim() };
      block = [];
    } else if (line.startsWith("base=")) {
      current = { kind: "base", name: line.slice(5).trim() };
      block = [];
    }
  }
  flush();
  const backups: BaseBackup[] = [];
  const unusable: string[] = [];
  for (const f of folders) {
    const history = [...histories.values()].find((h) => f.start !== undefined && h["START WAL LOCATION"] === f.start);
    const b = history ? baseBackupOf(f.name, history) : undefined;
    if (b) backups.push(b);
    else unusable.push(f.name);
  }
  return { segments: segments.sort(), backups, unusable };
}

/** The probes the listing calls for: each backup run's last commit, and where to look for the target's record. */
export function probePlan(l: Listing, t: Target): ProbePlan {
  const ends = probeSegments(l).map((end) => {
    const tl = segmentTimeline(end);
    const n = segmentNumber(end);
    // Only segments that exist, back from the end, within the run.
    let from = end;
    for (let i = 1; i < TAIL_SEGMENTS && l.segments.includes(segmentName(tl, n - i)); i++) from = segmentName(tl, n - i);
    return { end, from };
  });
  let search: ProbePlan["search"];
  if (t.kind === "xid" || t.kind === "name") {
    // The longest run from a base backup's start: the target's record must be inside one to be reached.
    const runs = l.backups.map((b) => contiguousFrom(l.segments, b.timeline, b.startSegment).run).filter((r) => r.length > 0);
    const longest = runs.sort((a, b) => b.length - a.length)[0];
    if (longest) search = { from: longest[0], to: longest[longest.length - 1] };
  }
  return { ends, search, xid: t.kind === "xid" ? t.xid : undefined, name: t.kind === "name" ? t.name : undefined };
}

/** `<lsn>|<pg time>` as a commit. */
function commitOf(v: string | undefined): CommitInfo | undefined {
  const [lsn, time] = (v ?? "").split("|");
  return lsn && time ? { lsn, time: pgTimeToIso(time) } : undefined;
}

export function parseProbe(stdout: string): Pick<WalFacts, "lastCommits" | "xidRecord" | "restorePoint"> {
  const lastCommits: WalFacts["lastCommits"] = {};
  for (const m of markers(stdout, "last-commit")) {
    const [end, ...rest] = m.split("|");
    lastCommits[end] = commitOf(rest.join("|"));
  }
  const x = markers(stdout, "xid-record")[0];
  const xc = commitOf(x);
  const rp = commitOf(markers(stdout, "restore-point")[0]);
  return { lastCommits, xidRecord: xc ? { ...xc, aborted: (x ?? "").endsWith("|ABORT") } : undefined, restorePoint: rp };
}

/** Read the facts over `run` (two round trips to the db host). Throws with the host's error. */
export async function gatherWalFacts(c: RestoreConfig, t: Target, run: HostRun): Promise<WalFacts> {
  const d = c.database;
  const w = c.wal;
  if (!d || !w) throw new Error("wal-pitr needs database and wal (config validation should have said so)");
  const listed = await run(d.host, walListing(w));
  if (!listed.ok) throw new Error(`reading the WAL archive on ${d.host} failed: ${(listed.stderr || listed.stdout).trim().split("\n").at(-1) ?? ""}`);
  const l = parseListing(listed.stdout);
  const plan = probePlan(l, t);
  if (plan.ends.length === 0 && !plan.search) return { ...l, lastCommits: {} };
  const probed = await run(d.host, walProbe(dbTarget(c), w, plan));
  if (!probed.ok) throw new Error(`reading the WAL archive with pg_waldump on ${d.host} failed: ${(probed.stderr || probed.stdout).trim().split("\n").at(-1) ?? ""}`);
  return { ...l, ...parseProbe(probed.stdout) };
}
