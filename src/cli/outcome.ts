// Pure: what `up` prints when the update ends, readable in ten seconds: what ran, the snapshot,
// the restore point and what was lost, the verify checks, the notice; or where it stopped and why.
import type { StepProgress } from "./progress";

export interface Outcome {
  stack: string;
  seconds: number;
  /** Resource operations by kind, from the engine (create, replace, same, ...). */
  changes: Record<string, number>;
  /** Host commands that ran (src/cli/progress.ts commandsRun). */
  ran: number;
  outputs: Record<string, unknown>;
  /** Set when this update went on from an earlier one that stopped (resumedFrom). */
  resumed?: Resumed;
}

/** What a re-run of the same restore kept and where it went on. */
export interface Resumed {
  /** Host commands an earlier update of this restore had finished, not run again. */
  kept: number;
  /** Their steps, in plan order. */
  keptSteps: string[];
  /** The first step this update ran a command of. */
  from?: string;
}

const isCommand = (i: StepProgress) => !i.type.startsWith("aws:");

/** An update that kept some commands (op `same`) and ran others went on from an earlier one. */
export function resumedFrom(items: StepProgress[]): Resumed | undefined {
  const kept = items.filter((i) => isCommand(i) && i.op === "same" && i.state === "done");
  const ran = items.filter((i) => isCommand(i) && i.op !== "same");
  if (kept.length === 0 || ran.length === 0) return undefined;
  const keptSteps = [...new Set(kept.map((i) => i.step ?? i.resource))];
  return { kept: kept.length, keptSteps, from: ran[0]?.step ?? ran[0]?.resource };
}

/** Where a Ctrl-C stopped the update: what was in flight then, and how each ended. */
export function renderInterrupt(stack: string, inFlight: StepProgress[]): string {
  const where = [...new Set(inFlight.map((i) => i.step ?? i.resource))];
  const lines = [where.length ? `Interrupted during ${where.map((w) => `"${w}"`).join(", ")}. The commands in flight were let finish; nothing after them was started:` : "Interrupted before any host command started; nothing ran."];
  for (const i of inFlight) lines.push(`  ${i.resource} on host ${i.host ?? "?"}: ${i.state === "done" ? "finished" : i.state === "failed" ? `failed${i.error ? `: ${lastLines(i.error, 1)}` : ""}` : "did not report its end"}`);
  lines.push(`Resume with: delphi-restore up --stack ${stack} (finished commands are not repeated).`);
  return lines.join("\n");
}

export function renderSuccess(o: Outcome): string {
  const out = o.outputs;
  const ran = o.ran;
  if (ran === 0)
    return [
      `Nothing to do on stack '${o.stack}': this restore already completed (${o.changes.same ?? 0} resources unchanged${o.changes.update ? `, ${o.changes.update} updated in place for a changed host connection` : ""}); no command ran.`,
      `A new restore needs a new dump, order or restore point in Pulumi.${o.stack}.yaml.`,
    ].join("\n");
  // Sign-off and rollback say what they did to the kept data, not a restore's lines.
  if (out.signedOff === true)
    return [
      `Signed off on stack '${o.stack}' in ${o.seconds.toFixed(1)}s; no service stopped.`,
      `  archived   ${String(out.archive ?? "-")} (pg_restore --list and a full read passed)`,
      `  removed    ${String(out.archivedKept ?? "-")}`,
      `  rollback   from now on only from the archive: delphi-restore rollback --stack ${o.stack} --from-archive (pg-restore)`,
    ].join("\n");
  if (typeof out.rolledBackTo === "string") {
    const undone = Object.entries(out).find(([k]) => /^undone/.test(k))?.[1];
    const verify = Object.keys((out.verifyResults as Record<string, string> | undefined) ?? {});
    return [
      `Rolled back on stack '${o.stack}' in ${o.seconds.toFixed(1)}s; ${ran} commands ran.`,
      `  put back   ${out.rolledBackTo} (the data as it was when the restore stopped the services)`,
      `  kept       ${String(undone ?? "-")} (what the restore had put there; \`delphi-restore signoff\` archives and removes it)`,
      `  verify     ${verify.length ? `${verify.length} checks passed: ${verify.join(", ")}` : "no checks configured"}`,
    ].join("\n");
  }
  const window = out.dataLossWindow as { from: string; to: string } | undefined;
  const verify = Object.keys((out.verifyResults as Record<string, string> | undefined) ?? {});
  const lost = out.lostRows;
  const rows: [string, string][] = [
    ["pre-restore snapshot", `${String(out.preRestoreSnapshot ?? "-")}${typeof out.preRestoreSnapshotState === "string" && out.preRestoreSnapshotState !== "written" ? ` (${out.preRestoreSnapshotState})` : ""}`],
    ["restore point", String(out.restorePoint ?? "-")],
    ["data lost", window ? `writes from ${window.from} to ${window.to}${typeof lost === "number" ? ` (${lost} rows counted)` : ""}` : "-"],
    ["verify", verify.length ? `${verify.length} checks passed: ${verify.join(", ")}` : "no checks configured"],
    ["tenant-admin notice", `${String(out.reportPath ?? "-")}  (again: delphi-restore report --stack ${o.stack})`],
  ];
  const kept = ["keptDatabase", "keptDataSubvolume", "keptDataDirectory"].map((k) => out[k]).find((v) => typeof v === "string" && v);
  if (kept) rows.splice(1, 0, ["kept", `${String(kept)}: the replaced data, complete to the moment the services stopped (rollback: delphi-restore rollback; remove after verifying: delphi-restore signoff)`]);
  if (o.resumed) rows.unshift(["resumed", `from "${o.resumed.from ?? "?"}": ${o.resumed.kept} commands an earlier update finished were kept (${o.resumed.keptSteps.join(", ")})`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return [`Restore on stack '${o.stack}' complete in ${o.seconds.toFixed(1)}s; ${ran} commands ran.`, ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)].join("\n");
}

/** Where the update stopped: the step, the host, the command and the error, and how to go on. */
export function renderFailure(stack: string, failed: StepProgress[], engineMessage: string): string {
  const lines: string[] = [];
  if (failed.length === 0) lines.push(`The update failed before any host command failed: ${lastLines(engineMessage, 6)}`);
  for (const f of failed) {
    lines.push(`The restore stopped at step "${f.step ?? f.resource}" on host ${f.host ?? "?"} (${f.resource}):`);
    lines.push(...lastLines(f.error ?? engineMessage, 10).split("\n").map((l) => `  ${l}`));
  }
  lines.push(`Nothing after this step ran. Fix the cause, then run: delphi-restore up --stack ${stack} (finished steps are not repeated; \`delphi-restore status --stack ${stack}\` shows where it stands).`);
  return lines.join("\n");
}

function lastLines(text: string, n: number): string {
  return text
    .split("\n")
    .map((l) => l.replace(/^\s*error:\s*/, "").trimEnd())
    .filter((l) => l.trim() && !/^\s*Duration:/.test(l))
    .slice(-n)
    .join("\n");
}
