// `delphi-restore tenant preview|up|undo`: one tenant's rows back from a logical backup (a dump, the
// kept database of a whole restore, or a pre-restore snapshot) without rolling the instance back
// and without stopping any service. The recovery has a Pulumi stack of its own
// (`<stack>.tenant-<id>`), so preview is its blast radius, up performs it and a second up runs
// nothing. Everything is found and checked here (catalog, tables, conflicts, the tenant) before
// the program declares anything.
import { basename } from "node:path";
import Table from "cli-table3";
import type { Command } from "commander";
import type { Stack } from "@pulumi/pulumi/automation";
import { upFromEvents } from "./engine-up";
import { ConfigError, type RestoreConfig } from "../config";
import { dbTarget } from "../runbook/commands";
import { markers, restorePointFromName } from "../runbook";
import { reportDir } from "../steps/common-args";
import { hostConnections } from "../steps/common-args";
import { type LeftAlone, type OwnedTable, ownership, parseCatalog } from "../tenant/catalog";
import { analyseCommand, catalogCommand } from "../tenant/commands";
import { recoverySteps, undoSteps } from "../tenant/plan";
import { recoveryProgram, type RecoveryInput } from "../tenant/program";
import { parseRequest, recoveryStackName, sourceText, type TenantRequest } from "../tenant/request";
import { type Conflict, parseSessionOutput, type PlanLine } from "../tenant/sql";
import { EXIT, type ExitCode } from "./exit-codes";
import { confirm, loadOrRefuse, refuse, say, stdoutOut, type Opts, type Out } from "./output";
import { commandsRun, ProgressTracker, type ProgressLabels } from "./progress";
import { SshRunner } from "./ssh";
import { COMPACT } from "./table-style";
import { openProgramStack, openStack, PROJECT_DIR, readConfigFileWithoutSecrets, readStackConfig } from "./workspace";

interface TenantOpts extends Opts {
  tenant: string;
  from?: string;
  tables?: string;
  mode?: string;
}

interface Analysis {
  source: string;
  sourceTime?: string;
  tables: OwnedTable[];
  leftAlone: LeftAlone[];
  plan: PlanLine[];
  conflicts: Conflict[];
  sourceTenants: string[];
}

const marker = (text: string, key: string): string | undefined => markers(text, key)[0];
const DUMP_PATH_RE = /^\/[A-Za-z0-9_./:-]+\.dump$/;
const KEPT_DB_RE = /^[a-z_][a-z0-9_]*_pre_restore_(\d{8}T\d{6}Z)$/;

class Refusal extends Error {
  constructor(readonly code: ExitCode, message: string) {
    super(message);
  }
}

/** The source's time: the stamp in its name (a nightly dump's, a snapshot's, a kept database's), else the file's mtime. */
function sourceTimeOf(source: string, mtime?: string): string | undefined {
  const kept = KEPT_DB_RE.exec(source)?.[1];
  const fromName = restorePointFromName(kept ?? basename(source));
  if (fromName) return fromName;
  return mtime && /^\d+$/.test(mtime) ? new Date(Number(mtime) * 1000).toISOString().replace(/\.\d+Z$/, "Z") : undefined;
}

async function loadBase(o: TenantOpts): Promise<{ config: RestoreConfig; key?: string }> {
  readConfigFileWithoutSecrets(o.stack);
  const { config, secrets } = await readStackConfig(await openStack(o.stack));
  if (!config.database) throw new Refusal(EXIT.USAGE, `stack '${o.stack}' has no database.* (mechanism ${config.mechanism}): a single-tenant recovery works on a self-managed Postgres reached over SSH.`);
  return { config, key: secrets.sshPrivateKey };
}

/** Find the source and what belongs to the tenant there, and compare with the live rows (read-only). */
async function analyse(config: RestoreConfig, key: string | undefined, req: TenantRequest): Promise<Analysis> {
  const db = dbTarget(config);
  const host = hostConnections(config)[config.database?.host ?? ""];
  if (!host) throw new Refusal(EXIT.USAGE, "the config's database.host is not among its hosts");
  const ssh = new SshRunner(key);
  const cat = await ssh.run(host, catalogCommand(db, config.database?.backupDir ?? "", req), 900);
  if (!cat.ok) throw new Refusal(EXIT.FAILED, `cannot read the source ${sourceText(req.from)} on host ${host.name}: ${(cat.sshProblem ?? cat.stderr).trim().split("\n").slice(-4).join(" ")}`);
  const source = marker(cat.stdout, "source") ?? "";
  if (!(req.from.kind === "kept" ? KEPT_DB_RE : DUMP_PATH_RE).test(source)) throw new Refusal(EXIT.FAILED, `the host named a source this tool will not use: ${JSON.stringify(source)}`);
  const found = ownership(parseCatalog(marker(cat.stdout, "catalog-source") ?? "{}"), parseCatalog(marker(cat.stdout, "catalog-live") ?? "{}"), req.column, req.tables);
  if (found.problems.length > 0) throw new ConfigError(found.problems.map((p) => ({ key: "delphi-restore:tenant.tables", value: req.tables?.join(","), message: p, fix: "name only tables that belong to tenants (tenant preview lists them), with their parents" })));
  if (found.tables.length === 0) throw new Refusal(EXIT.USAGE, `no table of ${source} belongs to tenants by a ${req.column} column (config report.tenantColumn); nothing to recover`);
  const r = await ssh.run(host, analyseCommand(db, req, found.tables, source), 3600);
  if (!r.ok) throw new Refusal(EXIT.FAILED, `comparing tenant ${req.tenant}'s rows failed on host ${host.name}: ${(r.sshProblem ?? r.stderr).trim().split("\n").slice(-6).join(" ")}`);
  const parsed = parseSessionOutput(r.stdout);
  const sourceTenants = (marker(r.stdout, "source-tenants") ?? "").split(",").filter(Boolean);
  return { source, sourceTime: sourceTimeOf(source, marker(cat.stdout, "source-mtime")), tables: found.tables, leftAlone: found.leftAlone, plan: parsed.plan, conflicts: parsed.conflicts, sourceTenants };
}

function requestOf(o: TenantOpts, config: RestoreConfig, extra: Record<string, unknown> = {}): TenantRequest {
  return parseRequest({
    tenant: o.tenant,
    from: o.from ?? "dump",
    ...(o.tables !== undefined ? { tables: o.tables.split(",").map((t) => t.trim()).filter(Boolean) } : {}),
    ...(o.mode !== undefined ? { mode: o.mode } : {}),
    column: config.report.tenantColumn,
    ...extra,
  });
}

/** The rows this recovery would write, per table (replace mode also overwrites those that differ). */
function toWrite(a: Analysis, mode: TenantRequest["mode"]): number {
  return a.plan.reduce((n, p) => n + p.insert + (mode === "replace" ? p.differ : 0), 0);
}

function renderAnalysis(o: TenantOpts, req: TenantRequest, a: Analysis, recoveryStack: string): string {
  const t = new Table({ head: ["table", "insert", req.mode === "replace" ? "update" : "differ (left)", "conflicts", "tenant rows in source", "left at default"], ...COMPACT });
  for (const p of a.plan) {
    const tbl = a.tables.find((x) => x.name === p.table);
    t.push([p.table, String(p.insert), String(p.differ), String(p.conflicts), String(p.sourceRows), tbl?.defaulted.join(", ") ?? ""]);
  }
  const lines = [
    `Tenant recovery of ${req.tenant} on stack '${o.stack}' (recovery stack '${recoveryStack}'), mode ${req.mode}`,
    `  source       ${a.source}${a.sourceTime ? ` (as of ${a.sourceTime})` : ""}`,
    `  services     no service stops; every other tenant's rows are checked unchanged`,
    `  writes       ${toWrite(a, req.mode)} row(s) into ${a.plan.filter((p) => p.insert + (req.mode === "replace" ? p.differ : 0) > 0).map((p) => p.table).join(", ") || "nothing"}, in one transaction`,
    t.toString(),
  ];
  if (a.leftAlone.length > 0) lines.push(`  left alone   ${a.leftAlone.map((l) => `${l.name} (${l.why})`).join("; ")}`);
  if (a.conflicts.length > 0) lines.push(`  CONFLICTS    ${a.conflicts.map((c) => `${c.table} ${c.key} belongs to ${c.tenantNow} now`).join("; ")}`);
  return lines.join("\n");
}

function analysisDoc(req: TenantRequest, a: Analysis) {
  return {
    tenant: req.tenant,
    mode: req.mode,
    source: a.source,
    sourceTime: a.sourceTime,
    noServiceStops: true,
    tables: a.plan.map((p) => ({ ...p, defaulted: a.tables.find((t) => t.name === p.table)?.defaulted ?? [], dropped: a.tables.find((t) => t.name === p.table)?.dropped ?? [] })),
    leftAlone: a.leftAlone,
    conflicts: a.conflicts,
    rowsToWrite: toWrite(a, req.mode),
  };
}

/** Refusals before anything is declared: a tenant the source does not know, conflicts. */
function refusalOf(req: TenantRequest, a: Analysis): Refusal | undefined {
  const direct = a.plan.filter((p) => a.tables.find((t) => t.name === p.table)?.owner.kind !== "parent");
  if (direct.every((p) => p.sourceRows === 0))
    return new Refusal(EXIT.USAGE, `tenant ${req.tenant} has no rows in ${a.source}${a.sourceTenants.length ? `; the tenants there: ${a.sourceTenants.join(", ")}` : ""}. Nothing was changed.`);
  if (a.conflicts.length > 0 || a.plan.some((p) => p.conflicts > 0))
    return new Refusal(EXIT.FAILED, `refused: ${a.plan.reduce((n, p) => n + p.conflicts, 0)} row(s) of tenant ${req.tenant} in the source have keys that belong to another tenant now (${a.conflicts.slice(0, 5).map((c) => `${c.table} ${c.key}: ${c.tenantNow}`).join("; ")}). Nothing was changed; resolve them in the live database or name fewer --tables.`);
  return undefined;
}

function labelsOf(req: TenantRequest, config: RestoreConfig, a: { tables: OwnedTable[]; source: string }): ProgressLabels {
  const ctx = { db: dbTarget(config), req, tables: a.tables, source: a.source, backupDir: config.database?.backupDir ?? "" };
  const steps = req.phase === "undo" ? undoSteps(ctx.db, a.tables, req.tenant, req.undoDir ?? "") : recoverySteps(ctx);
  const labels: ProgressLabels = new Map(steps.map((s) => [`${s.step}-db`, { step: s.title, host: config.database?.host ?? "db", command: s.step }]));
  labels.set("notice-write", { step: "Write the tenant admin's notice", host: "local", command: "write-notice" });
  return labels;
}

async function recoveryStack(o: TenantOpts, input: RecoveryInput): Promise<Stack> {
  const name = recoveryStackName(o.stack, input.req.tenant);
  const stack = await openProgramStack(name, recoveryProgram(input));
  // The request is the recovery stack's config: what `tenant undo` and an operator read back.
  await stack.setAllConfig({
    "delphi-restore:tenantOf": { value: o.stack },
    "delphi-restore:tenant": { value: JSON.stringify({ tenant: input.req.tenant, from: sourceText(input.req.from), tables: input.req.tables, mode: input.req.mode, column: input.req.column, phase: input.req.phase, ...(input.req.undoDir ? { undoDir: input.req.undoDir } : {}) }) },
  });
  return stack;
}

/** Run the engine's update with progress; the outcome as lines and a JSON object. */
async function runUp(o: TenantOpts, out: Out, stack: Stack, labels: ProgressLabels, extra: Record<string, unknown>): Promise<{ code: ExitCode; outputs?: Record<string, unknown>; ran: number }> {
  const tracker = new ProgressTracker(stack.name, (l) => say(o, out, l), labels);
  const started = Date.now();
  try {
    const { outputs } = await upFromEvents(stack, { onEvent: (e) => tracker.onEvent(e) });
    const ran = commandsRun(tracker.items.values());
    return { code: EXIT.OK, outputs: { ...outputs, seconds: (Date.now() - started) / 1000 }, ran };
  } catch (e) {
    const failed = [...tracker.items.values()].filter((i) => i.state === "failed");
    const msg = `The tenant recovery failed at ${failed.map((f) => f.step ?? f.resource).join(", ") || "the engine"}: ${(failed[0]?.error ?? (e as Error).message).split("\n").slice(-8).join("\n")}\nNothing after the failed step ran; the apply step is one transaction (all or nothing). Fix the cause and run the same command again.`;
    if (o.json) out.json({ ok: false, ...extra, failed, error: msg });
    else say(o, out, msg);
    return { code: EXIT.FAILED, ran: 0 };
  }
}

/** Keyed config problems become exit 2 (loadOrRefuse), a Refusal its own code and message. */
async function guarded(o: TenantOpts, out: Out, run: () => Promise<ExitCode>): Promise<ExitCode> {
  try {
    return await loadOrRefuse(o, out, run);
  } catch (e) {
    if (e instanceof Refusal) return refuse(o, out, e.code, e.message);
    throw e;
  }
}

export async function tenantPreview(o: TenantOpts, out: Out = stdoutOut, then?: (ctx: { input: RecoveryInput; a: Analysis; doc: Record<string, unknown> }) => Promise<ExitCode>): Promise<ExitCode> {
  return guarded(o, out, async () => {
    const { config, key } = await loadBase(o);
    const req = requestOf(o, config);
    const a = await analyse(config, key, req);
    const name = recoveryStackName(o.stack, req.tenant);
    const doc = { stack: o.stack, recoveryStack: name, ...analysisDoc(req, a) };
    if (!o.json) say(o, out, renderAnalysis(o, req, a, name));
    const refusal = refusalOf(req, a);
    if (refusal) {
      if (o.json) out.json({ ok: false, ...doc, error: refusal.message });
      else say(o, out, refusal.message);
      return refusal.code;
    }
    const input: RecoveryInput = { config, privateKey: key, req, tables: a.tables, leftAlone: a.leftAlone, source: a.source, sourceTime: a.sourceTime, reportDir: reportDir(config, { projectDir: PROJECT_DIR }) };
    if (then) return then({ input, a, doc });
    const stack = await recoveryStack(o, input);
    let text = "";
    const res = await stack.preview({ diff: true, onOutput: (s) => (text += s) });
    if (o.json) out.json({ ok: true, ...doc, changeSummary: res.changeSummary });
    else process.stdout.write(text);
    return EXIT.OK;
  });
}

export async function tenantUp(o: TenantOpts, out: Out = stdoutOut): Promise<ExitCode> {
  return tenantPreview(o, out, async ({ input, doc }) => {
    if (!(await confirm(o))) return refuse(o, out, EXIT.DECLINED, "Not confirmed: nothing was changed. (Use --yes in scripts.)");
    const stack = await recoveryStack(o, input);
    const r = await runUp(o, out, stack, labelsOf(input.req, input.config, input), { preview: doc });
    if (r.code !== EXIT.OK) return r.code;
    const applied = (r.outputs?.applied ?? []) as { table: string; inserted: number; updated: number }[];
    const total = applied.reduce((n, x) => n + x.inserted + x.updated, 0);
    if (o.json) out.json({ ok: true, ...doc, commandsRun: r.ran, outputs: r.outputs });
    else if (r.ran === 0) say(o, out, `Nothing to do: this recovery of ${input.req.tenant} from ${input.source} already completed on stack '${stack.name}' (no command ran). Its notice: ${String(r.outputs?.noticePath ?? "")}`);
    else
      say(o, out, [
        `Recovered ${total} row(s) of tenant ${input.req.tenant} (${applied.map((x) => `${x.table} +${x.inserted}${x.updated ? ` ~${x.updated}` : ""}`).join(", ")}) in ${Number(r.outputs?.seconds ?? 0).toFixed(1)} s; no service stopped.`,
        `  notice     ${String(r.outputs?.noticePath ?? "")}`,
        `  undo       delphi-restore tenant undo --stack ${o.stack} --tenant ${input.req.tenant}  (pre-change copy in ${String(r.outputs?.undoDir ?? "")})`,
      ].join("\n"));
    return EXIT.OK;
  });
}

export async function tenantUndo(o: TenantOpts, out: Out = stdoutOut): Promise<ExitCode> {
  return guarded(o, out, async () => {
    const { config, key } = await loadBase(o);
    const name = recoveryStackName(o.stack, o.tenant);
    const previous = await (await openProgramStack(name, async () => ({}))).outputs();
    const undoDir = previous.undoDir?.value as string | undefined;
    const tables = previous.tables?.value as OwnedTable[] | undefined;
    if (previous.phase?.value === "undo") return refuse(o, out, EXIT.OK, `The recovery of ${o.tenant} on stack '${o.stack}' is already undone (from ${undoDir}).`);
    if (!undoDir || !tables) return refuse(o, out, EXIT.FAILED, `No completed recovery of tenant ${o.tenant} is recorded on stack '${name}': nothing to undo.`);
    const prev = JSON.parse(String((await (await openProgramStack(name, async () => ({}))).getConfig("delphi-restore:tenant")).value)) as Record<string, unknown>;
    const req = parseRequest({ ...prev, tenant: o.tenant, phase: "undo", undoDir });
    if (!(await confirm(o))) return refuse(o, out, EXIT.DECLINED, "Not confirmed: nothing was changed. (Use --yes in scripts.)");
    const input: RecoveryInput = { config, privateKey: key, req, tables, leftAlone: [], source: String(previous.source?.value ?? ""), reportDir: reportDir(config, { projectDir: PROJECT_DIR }) };
    const stack = await recoveryStack(o, input);
    const r = await runUp(o, out, stack, labelsOf(req, config, input), {});
    if (r.code !== EXIT.OK) return r.code;
    const undone = (r.outputs?.undone ?? []) as { table: string; deleted: number; restored: number }[];
    if (o.json) out.json({ ok: true, stack: o.stack, recoveryStack: name, tenant: o.tenant, undone, commandsRun: r.ran });
    else say(o, out, `Undone: tenant ${o.tenant}'s rows are as they were before the recovery (${undone.map((u) => `${u.table} -${u.deleted}${u.restored ? ` ~${u.restored}` : ""}`).join(", ")}); no service stopped.`);
    return EXIT.OK;
  });
}

export function registerTenantCommands(program: Command, action: (name: string, run: (o: TenantOpts) => Promise<ExitCode>) => (raw: TenantOpts) => Promise<void>): void {
  const tenant = program.command("tenant").description("one tenant's rows back from a logical backup, without rolling the instance back and without stopping a service (docs/tenant.md)");
  const define = (name: string, description: string) =>
    tenant
      .command(name)
      .description(description)
      .option("-s, --stack <name>", "the deployment's stack (Pulumi.<name>.yaml: hosts and database)", "restore")
      .requiredOption("-t, --tenant <id>", "the tenant's id, as in the tenant column")
      .option("--json", "print exactly one JSON object on stdout (human lines go to stderr)");
  const recovery = (name: string, description: string) =>
    define(name, description)
      .option("--from <source>", "dump | dump:<file>.dump | kept | kept:<db>_pre_restore_<UTC> | snapshot | snapshot:pre-restore-<UTC>.dump", "dump")
      .option("--tables <t1,t2>", "only these of the tenant's tables (with their parents)")
      .option("--mode <mode>", "missing (bring back rows that are gone) or replace (also overwrite rows that differ)", "missing");
  recovery("preview", "what the recovery would write, per table (insert, update, conflicts), the tables left alone, and the engine's preview; changes nothing").action(action("tenant preview", (o) => tenantPreview(o)));
  recovery("up", "preview, confirm, then recover the tenant's rows in one transaction (a second up runs nothing)")
    .option("-y, --yes", "do not ask for confirmation (scripts)")
    .action(action("tenant up", (o) => tenantUp(o)));
  define("undo", "put the tenant's rows back as they were before the last recovery (from its pre-change copy)")
    .option("-y, --yes", "do not ask for confirmation (scripts)")
    .action(action("tenant undo", (o) => tenantUndo(o)));
}
