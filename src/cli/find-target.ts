// `delphi-restore find-target`: read the WAL archive on the db host (pg_waldump, read-only), list
// the destructive transactions biggest first, and propose the recovery target that undoes the
// worst one; with --apply, write it into the stack config for `preview` to show.
import Table from "cli-table3";
import type { Stack } from "@pulumi/pulumi/automation";
import { fromPulumiConfig, parseConfig, NAMESPACE, type RestoreConfig } from "../config";
import { mechanismOf, namesOf } from "../mechanisms";
import { hostConnections } from "../program";
import type { HostConnection } from "../resources/declare-command";
import * as sh from "../shell";
import { listArchive, walDump } from "../mechanisms/wal-pitr/shell-waldump";
import { archiveLayout } from "../mechanisms/wal-pitr/archive";
import { CATALOGUE_SQL, DEFAULT_MIN_ROWS, describeChanges, parseCatalogue, rankCandidates, suggestTarget, type Candidate, type Suggestion } from "../mechanisms/wal-pitr/find-target";
import { WaldumpParser, type WaldumpResult, type WalTransaction } from "../mechanisms/wal-pitr/waldump";
import { EXIT, type ExitCode } from "./exit-codes";
import { loadOrRefuse, refuse, say, stdoutOut, type Opts, type Out } from "./output";
import type { RunResult } from "./ssh";
import { SshRunner } from "./ssh";
import { COMPACT } from "./table-style";
import { openStack, readConfigFileFlat } from "./workspace";

export interface FindTargetOpts extends Opts {
  since?: string;
  minRows?: string;
  apply?: boolean;
}

/** What runs the commands on the db host: SshRunner, or a local stand-in in tests. */
export interface HostRunner {
  run(host: HostConnection, command: string, timeoutSeconds?: number): Promise<RunResult>;
  stream(host: HostConnection, command: string, onStdout: (chunk: string) => void, timeoutSeconds?: number): Promise<RunResult>;
}

export interface ArchiveSummary {
  dir: string;
  segments: number;
  first: string | null;
  last: string | null;
  gaps: string[];
  /** Why reading stopped before the last segment's end, when pg_waldump said (the newest segment often ends mid-record). */
  endNote?: string;
}

export interface ArchiveRead {
  archive: ArchiveSummary;
  dump: WaldumpResult;
  catalogue: ReturnType<typeof parseCatalogue>;
}

/** pg_waldump's words for "the WAL ends here" (a record cut off at the archive's newest segment). */
const END_OF_WAL = /invalid record length|could not find file|could not read file|contrecord|incorrect prev-link|invalid magic number|invalid resource manager ID|record with invalid length/i;

/** Only what ranking can use is kept: a big archive's other transactions are counted and forgotten. */
export function mayBeDestructive(minRows: number): (t: WalTransaction) => boolean {
  return (t) => t.dropped.size > 0 || t.truncatedOids.length > 0 || [...t.rels.values()].some((c) => c.deleted + c.updated >= minRows);
}

function failure(host: string, what: string, r: RunResult): string {
  return `on host ${host}, ${what} failed: ${r.sshProblem ?? (r.stderr.trim().split("\n").slice(-3).join(" ") || `exit ${r.exitCode ?? "?"}`)}`;
}

/**
 * Read the archive on the db host: list its segments, pg_waldump each contiguous run (streamed
 * through the parser, so the text is never held whole), then the live catalogue for table names.
 * Returns the error, naming the host, when a command fails.
 */
export async function readArchive(runner: HostRunner, host: HostConnection, db: sh.DbTarget, archiveDir: string, minRows: number, timeoutSeconds = 3600): Promise<ArchiveRead | { error: string }> {
  const ls = await runner.run(host, listArchive(archiveDir), 60);
  if (!ls.ok) return { error: failure(host.name, `listing the WAL archive ${archiveDir}`, ls) };
  const layout = archiveLayout(ls.stdout.split("\n"));
  const parser = new WaldumpParser({ keep: mayBeDestructive(minRows) });
  let endNote: string | undefined;
  for (const run of layout.runs) {
    const r = await runner.stream(host, walDump(db, archiveDir, run.first, run.last), (c) => parser.write(c), timeoutSeconds);
    if (r.ok) continue;
    const last = run === layout.runs.at(-1);
    // The newest segment may end inside a record whose rest is not archived yet: that is the end, not a failure.
    if (last && !r.sshProblem && END_OF_WAL.test(r.stderr)) endNote = r.stderr.trim().split("\n").at(-1);
    else return { error: failure(host.name, `pg_waldump of ${run.first}..${run.last} in ${archiveDir}`, r) };
  }
  const dump = parser.finish();
  const cat = await runner.run(host, sh.inDir(db.dir, sh.psql(db, CATALOGUE_SQL)), 60);
  if (!cat.ok) return { error: failure(host.name, `reading table names from database ${db.name}`, cat) };
  return {
    archive: { dir: archiveDir, segments: layout.segments.length, first: layout.segments[0] ?? null, last: layout.segments.at(-1) ?? null, gaps: layout.gaps, ...(endNote ? { endNote } : {}) },
    dump,
    catalogue: parseCatalogue(cat.stdout),
  };
}

/** The --json object (pure). */
export function findTargetDoc(stack: string, archive: ArchiveSummary, candidates: Candidate[], suggested: Suggestion | null, applied?: Record<string, unknown>) {
  return {
    ok: true,
    stack,
    archive,
    candidates: candidates.map((c) => ({ xid: c.xid, commitTime: c.commitTime, lsn: c.lsn, tables: c.tables, rows: c.rows, committedAfter: c.committedAfter, what: describeChanges(c) })),
    suggested,
    ...(applied ? { applied } : {}),
  };
}

/** The command that writes the suggestion (what --apply does). */
export function applyCommand(stack: string): string {
  return `delphi-restore find-target --stack ${sh.quote(stack)} --apply`;
}

/** The human output (pure): archive line, candidates table, suggestion. */
export function renderFindTarget(doc: ReturnType<typeof findTargetDoc>, opts: { since?: string } = {}): string {
  const a = doc.archive;
  const lines = [`WAL archive ${a.dir}: ${a.segments} segment${a.segments === 1 ? "" : "s"}${a.first ? ` (${a.first} .. ${a.last})` : ""}${opts.since ? `, commits since ${opts.since}` : ""}.`];
  if (a.gaps.length) lines.push(`Missing segments (their transactions cannot be read): ${a.gaps.join(", ")}.`);
  if (a.endNote) lines.push(`The archive's newest segment ends mid-record (${a.endNote}); everything before it was read.`);
  if (doc.candidates.length === 0) {
    lines.push("No destructive transaction found (no TRUNCATE, DROP, or DELETE/UPDATE of many rows of one table) in this period: nothing to suggest.");
    return lines.join("\n");
  }
  const t = new Table({ head: ["#", "xid", "commit time (UTC)", "LSN", "what"], ...COMPACT, wordWrap: true, colWidths: [null, null, null, null, 70] });
  doc.candidates.forEach((c, i) => t.push([String(i + 1), c.xid, c.commitTime, c.lsn, c.what]));
  lines.push(t.toString());
  const s = doc.suggested;
  if (s) {
    lines.push(`Suggested target: xid ${s.xid}, inclusive: false (the same moment as a time: ${s.timeBefore}).`, s.undoes);
    if (doc.applied) lines.push(`Written to stack '${doc.stack}': ${NAMESPACE}:target = ${JSON.stringify(doc.applied)} (other target keys removed). \`delphi-restore preview --stack ${doc.stack}\` shows it.`);
    else lines.push(`To use it: ${applyCommand(doc.stack)}`);
  }
  return lines.join("\n");
}

/** --since and --min-rows, checked before anything runs. */
export function parseFindTargetOptions(o: { since?: string; minRows?: string }): { since?: string; minRows: number } | { error: string } {
  let minRows = DEFAULT_MIN_ROWS;
  if (o.minRows !== undefined) {
    if (!/^[1-9]\d{0,8}$/.test(o.minRows)) return { error: `bad --min-rows ${JSON.stringify(o.minRows)}: a whole number of rows, at least 1` };
    minRows = Number(o.minRows);
  }
  if (o.since !== undefined && (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/.test(o.since) || Number.isNaN(Date.parse(o.since))))
    return { error: `bad --since ${JSON.stringify(o.since)}: an ISO 8601 time with its zone, e.g. 2026-11-25T18:00:00Z` };
  return { since: o.since, minRows };
}

/**
 * The stack's config with any target set aside: finding a target is how a missing or wrong one
 * gets fixed, so its problems must not stop this command. Other problems do.
 */
function configWithoutTarget(flat: Record<string, string>): RestoreConfig {
  const raw = fromPulumiConfig(flat);
  return parseConfig({ ...raw, target: { latest: true } });
}

async function loadConfig(o: Opts, out: Out): Promise<{ stack: Stack; config: RestoreConfig; key?: string } | ExitCode> {
  return loadOrRefuse(o, out, async () => {
    configWithoutTarget(readConfigFileFlat(o.stack)); // bad config must not even create the stack in the backend
    const stack = await openStack(o.stack);
    const all = await stack.getAllConfig();
    const config = configWithoutTarget(Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.value])));
    return { stack, config, key: config.sshPrivateKey };
  });
}

/** --apply: the suggestion as the stack's whole target (other target keys, such as target.time, removed). */
async function applyTarget(stack: Stack, s: Suggestion): Promise<Record<string, unknown>> {
  const all = await stack.getAllConfig();
  if (`${NAMESPACE}:target` in all) await stack.removeConfig(`${NAMESPACE}:target`);
  await stack.setConfig(`${NAMESPACE}:target.xid`, { value: s.xid }, true);
  await stack.setConfig(`${NAMESPACE}:target.inclusive`, { value: "false" }, true);
  return { xid: s.xid, inclusive: false };
}

export async function findTarget(o: FindTargetOpts, out: Out = stdoutOut, runner?: HostRunner): Promise<ExitCode> {
  const parsed = parseFindTargetOptions(o);
  if ("error" in parsed) return refuse(o, out, EXIT.USAGE, parsed.error);
  const loaded = await loadConfig(o, out);
  if (typeof loaded === "number") return loaded;
  const { config } = loaded;
  const findsTargets = mechanismOf(config).findsTargets === true;
  if (!findsTargets || !config.wal || !config.database)
    return refuse(o, out, EXIT.USAGE, `find-target reads the WAL archive of mechanism ${namesOf((m) => m.findsTargets === true)} (wal.archiveDir on the db host); stack '${o.stack}' uses mechanism ${config.mechanism}${findsTargets ? " without a wal or database block" : ""}, so there is nothing to read${o.apply ? " and no target to write" : ""}.`);
  const d = config.database;
  const host = hostConnections(config)[d.host];
  if (!host) return refuse(o, out, EXIT.USAGE, `database.host ${d.host} is not a key of hosts`);
  const db: sh.DbTarget = { dir: sh.projectDir(config.hosts[d.host]?.servicesRoot ?? "/", d.composeProject), container: d.container, user: d.user, name: d.name };
  say(o, out, `Reading the WAL archive ${config.wal.archiveDir} on host ${d.host} (pg_waldump, read-only)...`);
  const read = await readArchive(runner ?? new SshRunner(loaded.key), host, db, config.wal.archiveDir, parsed.minRows);
  if ("error" in read) return refuse(o, out, EXIT.FAILED, read.error);
  const candidates = rankCandidates(read.dump, read.catalogue, { since: parsed.since, minRows: parsed.minRows });
  const suggested = suggestTarget(candidates);
  const applied = o.apply && suggested ? await applyTarget(loaded.stack, suggested) : undefined;
  const doc = findTargetDoc(o.stack, read.archive, candidates, suggested, applied);
  if (o.json) out.json(doc);
  else say(o, out, renderFindTarget(doc, { since: parsed.since }));
  if (o.apply && !suggested) say(o, out, "--apply: nothing written (no candidate).");
  return EXIT.OK;
}
