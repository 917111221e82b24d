// The operator's commands over the Automation API. Each returns an exit code (src/cli/exit-codes.ts)
// and, with --json, prints exactly one JSON object carrying the same facts as the human output.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { ConcurrentUpdateError, type PreviewResult, type Stack } from "@pulumi/pulumi/automation";
import type { RestoreConfig } from "../config";
import { EXIT, type ExitCode } from "./exit-codes";
import { renderPreflight, runPreflight, type CheckResult } from "./preflight";
import { verifiedDumps } from "./verified-dumps";
import { doneForThisRestore, type StateResource, stateResources, stoppedSinceQuiesce } from "./mid-restore";
import { renderFailure, renderInterrupt, renderSuccess, resumedFrom } from "./outcome";
import { upFromEvents } from "./engine-up";
import { commandsRun, labelsFromPlan, ProgressTracker, progressFile, settleFromState, type StepProgress } from "./progress";
import { SshRunner } from "./ssh";
import { renderSummary, type Summary } from "./summary";
import { summaryOf } from "./summary-of";
import { keptDataOf, mechanismOf, namesOf } from "../mechanisms";
import type { KeptData } from "../runbook/kept";
import { describeLock } from "./locks";
import { locksOf, refuseIfLocked } from "./lock-commands";
import { confirm, loadOrRefuse, refuse, say, stdoutOut, type Opts, type Out } from "./output";

export { recover } from "./lock-commands";
export { stdoutOut, type Opts, type Out } from "./output";
import { openStack, readConfigFileWithoutSecrets, readStackConfig } from "./workspace";

/** `state`: the engine's state, read from the moment the stack is open (preflight needs it). */
type Loaded = { stack: Stack; config: RestoreConfig; key?: string; state: Promise<StateResource[]> };

/**
 * The stack and its validated config. `opened` is told the stack as soon as it is selected (with
 * the config read from the file, secrets as placeholders), so preview can start the engine's
 * preview while the secrets are still being decrypted by the Pulumi CLI.
 */
async function load(o: Opts, out: Out, opened?: (stack: Stack, plain: RestoreConfig) => void): Promise<Loaded | ExitCode> {
  return loadOrRefuse(o, out, async () => {
    // Validate the file first: bad config must not even create the stack in the backend.
    const plain = readConfigFileWithoutSecrets(o.stack);
    const stack = await openStack(o.stack);
    opened?.(stack, plain);
    // Read beside the config's decryption rather than after it (~0.6 s of every preview and up).
    const state = stateResources(stack);
    state.catch(() => undefined); // awaited (and its error thrown) by preflight
    const { config, secrets } = await readStackConfig(stack);
    return { stack, config, key: secrets.sshPrivateKey, state };
  });
}

/** The command provider is the one plugin the restore cannot run without; say so up front. */
async function toolchainProblem(stack: Stack): Promise<string | undefined> {
  const plugins = await stack.workspace.listPlugins();
  if (plugins.some((p) => p.name === "command" && p.kind === "resource")) return undefined;
  if ((process.env.PATH ?? "").split(":").some((d) => { try { readFileSync(`${d}/pulumi-resource-command`); return true; } catch { return false; } })) return undefined;
  return "transport pulumi-command needs the Pulumi command provider (resource plugin `command`), which is not installed, so no remote command can be previewed or run. Install it (docs/toolchain.md), or use the default transport: pulumi config set delphi-restore:transport ssh";
}

export async function preflight(o: Opts, out: Out = stdoutOut): Promise<ExitCode> {
  const loaded = await load(o, out);
  if (typeof loaded === "number") return loaded;
  const results = await preflightResults(loaded);
  const ok = results.every((r) => r.ok);
  if (o.json) out.json({ ok, stack: o.stack, checks: results });
  else say(o, out, renderPreflight(results));
  return ok ? EXIT.OK : EXIT.FAILED;
}

async function preflightResults(loaded: Loaded): Promise<CheckResult[]> {
  const { config, key } = loaded;
  // Read from the engine's state while the SSH checks run; awaited (and its error thrown) by preflight.
  const stopped = stoppedSinceQuiesce(config, loaded.state);
  stopped.catch(() => undefined);
  return runPreflight(config, new SshRunner(key), verifiedDumps(), { stoppedSinceQuiesce: stopped });
}


/**
 * Preflight, the summary, then the engine's own preview. `up --yes` skips the engine's preview:
 * nobody reads it before the update starts, the summary lists every command, and it costs a
 * second run of the program (bench P1).
 */
export async function preview(o: Opts, out: Out = stdoutOut, opts: { engine?: boolean } = {}): Promise<ExitCode> {
  return (await checkedPreview(o, out, opts)).code;
}

/** preview, and the stack it opened (up goes on with it instead of selecting it again). */
async function checkedPreview(o: Opts, out: Out, opts: { engine?: boolean }): Promise<{ code: ExitCode; stack?: Stack }> {
  // The engine's preview only reads (the program and the state), as preflight does: it starts as
  // soon as the stack is open and runs beside the config's decryption and preflight (bench P4).
  // Its output is printed after preflight's table and the summary, or not at all when a check
  // fails. The command transport checks its plugin first, so it waits.
  const abort = new AbortController();
  let early: EarlyPreview | undefined;
  const loaded = await load(o, out, (stack, plain) => {
    if (opts.engine !== false && plain.transport !== "pulumi-command") early = enginePreview(stack, abort.signal);
  });
  if (typeof loaded === "number") {
    abort.abort();
    await early;
    return { code: loaded };
  }
  const code = await previewLoaded(o, out, opts, loaded, { abort, early });
  return { code, stack: loaded.stack };
}

type EarlyPreview = ReturnType<typeof enginePreview>;

/** The engine's preview, its output kept to print later; it settles with the error instead of rejecting. */
function enginePreview(stack: Stack, signal: AbortSignal): Promise<{ text: string; res?: PreviewResult; error?: unknown }> {
  let text = "";
  return stack.preview({ diff: true, onOutput: (s) => (text += s), signal }).then(
    (res) => ({ text, res }),
    (error: unknown) => ({ text, error }),
  );
}

async function previewLoaded(o: Opts, out: Out, opts: { engine?: boolean }, loaded: Loaded, started: { abort: AbortController; early?: EarlyPreview }): Promise<ExitCode> {
  const t0 = performance.now();
  const { abort, early } = started;
  const checks = await preflightResults(loaded);
  // How long the checks took (--json): the part of a preview or an up that is not the engine's.
  const preflightSeconds = Math.round(performance.now() - t0) / 1000;
  const summary = summaryOf(o, loaded.config, checks);
  if (!o.json) {
    say(o, out, renderPreflight(checks));
    if (summary) say(o, out, renderSummary(summary));
  }
  if (!checks.every((c) => c.ok)) {
    abort.abort();
    await early;
    if (o.json) out.json({ ok: false, stage: "preflight", checks, preflightSeconds, summary });
    return EXIT.FAILED;
  }
  // Only @pulumi/command's transport needs a plugin; the default SSH resource runs in Pulumi's own
  // provider host for dynamic resources, which ships with the SDK.
  const missing = loaded.config.transport === "pulumi-command" ? await toolchainProblem(loaded.stack) : undefined;
  if (missing) {
    if (o.json) out.json({ ok: false, stage: "toolchain", error: missing, checks, summary });
    else say(o, out, `cannot preview: ${missing}`);
    return EXIT.TOOLCHAIN;
  }
  if (opts.engine === false) {
    if (o.json) out.json({ ok: true, checks, preflightSeconds, summary });
    return EXIT.OK;
  }
  const engine = await (early ?? enginePreview(loaded.stack, abort.signal));
  if (engine.error !== undefined || !engine.res) throw engine.error;
  if (!o.json) process.stdout.write(engine.text);
  if (o.json) out.json({ ok: true, checks, preflightSeconds, summary, changeSummary: engine.res.changeSummary });
  return EXIT.OK;
}

export async function up(o: Opts, out: Out = stdoutOut): Promise<ExitCode> {
  const locked = await refuseIfLocked(o, out);
  if (locked !== undefined) return locked;
  // With --json, the preview's object is kept and becomes part of up's one object on stdout.
  let previewDoc: unknown;
  const { code, stack } = await checkedPreview(o, { log: out.log, json: (d) => (previewDoc = d) }, { engine: !o.yes });
  if (code !== EXIT.OK || !stack) {
    if (o.json) out.json({ ok: false, stage: "preview", preview: previewDoc });
    return code;
  }
  if (!(await confirm(o))) {
    say(o, out, "Not confirmed: nothing was changed. (Use --yes in scripts.)");
    if (o.json) out.json({ ok: false, stage: "confirm", error: "not confirmed; nothing was changed", preview: previewDoc });
    return EXIT.DECLINED;
  }
  const summary = (previewDoc as { summary?: Summary } | undefined)?.summary ?? summaryOf(o, (await readStackConfig(stack)).config);
  const tracker = new ProgressTracker(o.stack, (l) => say(o, out, l), labelsFromPlan(summary?.steps ?? []));
  let interrupted = false;
  let inFlight: StepProgress[] = [];
  let engineCancelling = false;
  // Ctrl-C: SIGINT to the engine, which stops starting new operations and lets running ones
  // finish (`stack.cancel()` would be the backend's hard cancel, unsafe mid-operation).
  const abort = new AbortController();
  const onSigint = () => {
    if (interrupted) {
      say(o, out, "Second interrupt: the engine stops at once; commands already started run on to their end on their hosts.");
      return;
    }
    interrupted = true;
    inFlight = [...tracker.items.values()].filter((i) => i.state === "running" && i.op !== "same");
    say(o, out, "Interrupt: cancelling the update after the running commands finish...");
    // A terminal's Ctrl-C reaches the engine too (same process group), and a second SIGINT makes
    // it stop at once, without recording the commands in flight. So pass it on only when the
    // engine has not said it is cancelling (the signal was sent to this process alone).
    setTimeout(() => {
      if (!engineCancelling) abort.abort();
    }, 500).unref();
  };
  // `on`, not `once`: the SDK's execa registers signal-exit, which re-raises SIGINT (and so kills
  // this process) whenever it finds itself the only SIGINT listener left.
  process.on("SIGINT", onSigint);
  const started = Date.now();
  try {
    const res = await upFromEvents(stack, {
      onEvent: (e) => {
        // The engine says so in its event stream when it takes the first SIGINT.
        if (!engineCancelling && /received; cancelling/.test(e.stdoutEvent?.message ?? "")) {
          engineCancelling = true;
          say(o, out, "The engine is cancelling: it starts nothing new and waits for the commands in flight.");
        }
        tracker.onEvent(e);
      },
      signal: abort.signal,
      // Every command of a step at once: the engine's default (4 operations per local core)
      // would run a step across 20 hosts in waves, though the work is on the hosts, not here.
      parallel: Math.max(8, 2 * Math.max(0, ...(summary?.steps ?? []).map((s) => s.commands.length))),
    });
    const outputs = res.outputs;
    const changes = res.changes as Record<string, number>;
    const resumed = resumedFrom([...tracker.items.values()]);
    const outcome = { stack: o.stack, seconds: (Date.now() - started) / 1000, changes, ran: commandsRun(tracker.items.values()), outputs, resumed };
    if (o.json) out.json({ ok: true, stack: o.stack, commandsRun: outcome.ran, seconds: outcome.seconds, resumed, changes, preview: previewDoc, outputs, progress: [...tracker.items.values()] });
    else say(o, out, renderSuccess(outcome));
    return EXIT.OK;
  } catch (e) {
    try {
      const state = await stack.exportStack();
      settleFromState(tracker.items.values(), (state.deployment?.resources ?? []) as { urn: string; outputs?: { startedAt?: unknown } }[]);
      tracker.save();
    } catch {
      // The state cannot be read (locked by a second operator): the events we have stand.
    }
    const failed = [...tracker.items.values()].filter((i) => i.state === "failed");
    // Only the engine's own lock error means locked: a command's stderr may well contain "lock".
    const lockedOut = e instanceof ConcurrentUpdateError;
    const locks = lockedOut ? locksOf(o.stack) : [];
    const msg = interrupted
      ? renderInterrupt(o.stack, inFlight)
      : lockedOut
        ? `Another update took stack '${o.stack}' first${locks.length ? `: ${locks.map(describeLock).join("; ")}` : ""}. Nothing was changed by this one.`
        : renderFailure(o.stack, failed, (e as Error).message);
    if (o.json) out.json({ ok: false, interrupted, ...(interrupted ? { inFlight } : {}), failed, error: msg, progressFile: progressFile(o.stack) });
    else say(o, out, msg);
    return interrupted ? EXIT.INTERRUPTED : lockedOut ? EXIT.LOCKED : EXIT.FAILED;
  } finally {
    process.off("SIGINT", onSigint);
  }
}

export async function status(o: Opts, out: Out = stdoutOut): Promise<ExitCode> {
  const loaded = await load(o, out);
  if (typeof loaded === "number") return loaded;
  const resources = await loaded.state;
  const created = doneForThisRestore(resources, loaded.config);
  let progress: { resource: string; state: string; error?: string }[] = [];
  try {
    progress = JSON.parse(readFileSync(progressFile(o.stack), "utf8")) as typeof progress;
  } catch {
    // No update has run from this checkout yet.
  }
  const failed = new Set(progress.filter((p) => p.state === "failed").map((p) => p.resource));
  const summary = summaryOf(o, loaded.config);
  const steps = (summary?.steps ?? []).map((s) => {
    const names = s.commands.map((c) => `${s.step}-${c.name}`);
    const state = names.some((n) => failed.has(n) && !created.has(n)) ? "failed" : names.length > 0 && names.every((n) => created.has(n)) ? "done" : "pending";
    return { step: s.step, title: s.title, state, failed: names.filter((n) => failed.has(n) && !created.has(n)) };
  });
  const ran = resources.length > 0 || progress.length > 0;
  if (o.json) out.json({ stack: o.stack, ran, steps });
  else if (!ran) say(o, out, `No restore has run on stack '${o.stack}' yet; every step is pending. Start with: delphi-restore preview --stack ${o.stack}`);
  else for (const s of steps) say(o, out, `${s.state.padEnd(8)} ${s.title}${s.failed.length ? `  (failed: ${s.failed.join(", ")})` : ""}`);
  return steps.some((s) => s.state === "failed") ? EXIT.FAILED : EXIT.OK;
}

export async function report(o: Opts, out: Out = stdoutOut): Promise<ExitCode> {
  const stack = await openStack(o.stack);
  const outputs = await stack.outputs();
  const path = outputs.reportPath?.value as string | undefined;
  if (!path) {
    say(o, out, "No report yet: the restore has not reached its report step.");
    if (o.json) out.json({ ok: false, stack: o.stack, error: "no report yet: the restore has not reached its report step" });
    return EXIT.FAILED;
  }
  const text = readFileSync(path, "utf8");
  if (o.json) out.json({ stack: o.stack, path, markdown: text });
  else process.stdout.write(text);
  return EXIT.OK;
}

/** What the last up on this stack left kept aside: the kept data of a restore, or what a rollback put aside. */
async function lastKept(stack: Stack, k: KeptData): Promise<{ kept?: string; undone?: string; signedOff?: string; archive?: string }> {
  const outs = await stack.outputs();
  const text = (key: string) => {
    const v = outs[key]?.value;
    return typeof v === "string" && v && !v.includes("<") ? v : undefined;
  };
  return { kept: text(k.outputs.kept), undone: text(k.outputs.undone), signedOff: outs.signedOff?.value === true ? text("archivedKept") : undefined, archive: text("archive") };
}

/**
 * Self-managed rollback before sign-off: put back the data the last restore kept (a rename for
 * pg-restore, a subvolume or directory rename for the others). After sign-off the kept data is
 * gone: refused, unless `--from-archive` (pg-restore), which restores the archive as a new restore.
 */
async function keptRollback(o: Opts & { fromArchive?: boolean }, out: Out, stack: Stack, config: RestoreConfig, k: KeptData): Promise<ExitCode> {
  const last = await lastKept(stack, k);
  if (last.signedOff) {
    const archive = last.archive ?? "";
    const restoresDumps = mechanismOf(config).restoresDumps === true;
    if (!o.fromArchive || !restoresDumps)
      return refuse(o, out, EXIT.FAILED,
        `Stack '${o.stack}' was signed off: the kept ${k.what} ${last.signedOff} was archived to ${archive} and removed, so it cannot be renamed back. ` +
          (restoresDumps
            ? `To restore the archive (a new restore: services stop, the current database is kept): delphi-restore rollback --stack ${o.stack} --from-archive`
            : `Restore the archive with mechanism ${namesOf((m) => m.restoresDumps === true)} (a stack with database.* of this one, dump: ${basename(archive)}).`));
    await stack.removeConfig("delphi-restore:kept");
    await stack.setConfig("delphi-restore:phase", { value: "restore" });
    await stack.setConfig("delphi-restore:dump", { value: basename(archive) });
    say(o, out, `Rolling back from the archive: restoring ${archive} (the data as it was when the services stopped, archived at sign-off) as a new restore.`);
    return up(o, out);
  }
  if (!last.kept)
    return refuse(o, out, EXIT.FAILED, `No kept ${k.what} is recorded for stack '${o.stack}': no ${k.restoreWord} has kept one (or it was already rolled back), so there is nothing to roll back to.`);
  await stack.setConfig(k.rollbackKey, { value: last.kept }, k.rollbackKey.includes("."));
  await stack.setConfig("delphi-restore:phase", { value: "rollback" });
  say(o, out, `Rolling back: putting ${last.kept} (the ${k.what} the last restore kept) back as the database's ${k.kind === "database" ? "live database" : "data"}.`);
  return up(o, out);
}

/**
 * Self-managed sign-off: archive the kept data (or what a rollback put aside), prove the archive
 * reads in full, then remove it; refused with the data left if the archive does not read.
 */
async function keptSignoff(o: Opts, out: Out, stack: Stack, k: KeptData): Promise<ExitCode> {
  const last = await lastKept(stack, k);
  // A rollback prints what it put aside as a path (a data directory) or a name (a database).
  const target = last.kept ?? (last.undone ? basename(last.undone) : undefined);
  if (!target)
    return refuse(o, out, last.signedOff ? EXIT.OK : EXIT.FAILED, last.signedOff ? `Stack '${o.stack}' is already signed off: ${last.signedOff} was archived to ${last.archive} and removed.` : `No kept ${k.what} is recorded for stack '${o.stack}': nothing to sign off.`);
  if (k.rollbackKey !== "delphi-restore:kept") await stack.removeConfig(k.rollbackKey, true).catch(() => undefined);
  await stack.setConfig("delphi-restore:kept", { value: target });
  await stack.setConfig("delphi-restore:phase", { value: "signoff" });
  say(o, out, `Signing off: archiving ${target} (${last.kept ? `the ${k.what} the last restore kept` : `what the rollback put aside`}), verifying the archive, then removing it. No service stops.`);
  return up(o, out);
}

/** rollback / signoff: set the phase and run the same program (see docs/aws.md and docs/safety.md). */
export async function phase(o: Opts & { fromArchive?: boolean }, which: "rollback" | "signoff", out: Out = stdoutOut): Promise<ExitCode> {
  const loaded = await load(o, out);
  if (typeof loaded === "number") return loaded;
  // Phases are decided from what the last restore kept, so read it as a restore would.
  const kept = keptDataOf({ ...loaded.config, phase: "restore" });
  if (kept) return which === "signoff" ? keptSignoff(o, out, loaded.stack, kept) : keptRollback(o, out, loaded.stack, loaded.config, kept);
  if (!mechanismOf(loaded.config).restoresDumps) {
    await loaded.stack.setConfig("delphi-restore:phase", { value: which });
    return up(o, out);
  }
  // pg-restore with snapshot: before overwrote the live database: rolling back is restoring the
  // snapshot it took (after a fresh snapshot of the current state, like any restore).
  if (which === "signoff") return refuse(o, out, EXIT.USAGE, "Nothing to sign off: with snapshot: before the restore kept no database; the old data lives on in the pre-restore snapshot file, which this tool never deletes.");
  const snapshot = (await loaded.stack.outputs()).preRestoreSnapshot?.value as string | undefined;
  if (!snapshot) return refuse(o, out, EXIT.FAILED, `No pre-restore snapshot is recorded for stack '${o.stack}': no restore has passed its snapshot step, so there is nothing to roll back to.`);
  await loaded.stack.setConfig("delphi-restore:dump", { value: basename(snapshot) });
  say(o, out, `Rolling back: restoring ${snapshot} (taken before the last restore).`);
  return up(o, out);
}
