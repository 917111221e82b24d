// The stack's lock as the operator meets it: `up` refused while another update (or a killed one)
// holds it, and `recover`, which clears what a killed update left behind.
import type { Stack } from "@pulumi/pulumi/automation";
import { EXIT, type ExitCode } from "./exit-codes";
import { describeLock, removeStaleLock, stackLocks } from "./locks";
import { confirm, refuse, say, stdoutOut, type Opts, type Out } from "./output";
import { engineEnv, openStack } from "./workspace";

export const locksOf = (stackName: string) => stackLocks(process.env.PULUMI_BACKEND_URL ?? engineEnv().PULUMI_BACKEND_URL, "delphi-restore", stackName);

/** Operations the engine had started but not recorded as finished (a killed driver leaves them). */
async function pendingOperations(stack: Stack): Promise<{ resource: string; type: string }[]> {
  const state = await stack.exportStack();
  const pending = ((state.deployment as { pending_operations?: { resource: { urn: string }; type: string }[] } | undefined)?.pending_operations ?? []);
  return pending.map((p) => ({ resource: p.resource.urn.split("::").at(-1) ?? p.resource.urn, type: p.type }));
}

/**
 * Before anything runs: a stack another update holds is refused (exit 5) naming who and since
 * when; a lock left by a killed driver is refused too, with what was in flight and how to recover.
 */
export async function refuseIfLocked(o: Opts, out: Out): Promise<ExitCode | undefined> {
  const locks = locksOf(o.stack);
  if (locks.length === 0) return undefined;
  const live = locks.filter((l) => l.alive);
  let message: string;
  if (live.length > 0) {
    message = `Stack '${o.stack}' is locked by another update: ${live.map(describeLock).join("; ")}. Nothing was changed. Wait for it to finish (delphi-restore status --stack ${o.stack} shows where it stands).`;
  } else {
    const pending = await pendingOperations(await openStack(o.stack));
    message = [
      `Stack '${o.stack}' is locked by an update whose process is gone: ${locks.map(describeLock).join("; ")}. Nothing was changed.`,
      pending.length
        ? `It had started these commands without recording their end; each may or may not have finished: ${pending.map((p) => `${p.resource} (${p.type})`).join(", ")}.`
        : "It had no command in flight.",
      `Check the hosts, then clear the lock and the unfinished operations with: delphi-restore recover --stack ${o.stack}`,
    ].join("\n");
  }
  if (o.json) out.json({ ok: false, stage: "lock", error: message, locks });
  else say(o, out, message);
  return EXIT.LOCKED;
}

/**
 * After a killed driver: remove its stale lock and the engine's record of unfinished operations,
 * after saying which commands will run again. A live lock is never touched.
 */
export async function recover(o: Opts, out: Out = stdoutOut): Promise<ExitCode> {
  const locks = locksOf(o.stack);
  const live = locks.filter((l) => l.alive);
  if (live.length > 0) return refuse(o, out, EXIT.LOCKED, `Stack '${o.stack}' is locked by a running update: ${live.map(describeLock).join("; ")}. recover only clears what a killed update left behind; nothing was changed.`);
  const stack = await openStack(o.stack);
  const pending = await pendingOperations(stack);
  if (locks.length === 0 && pending.length === 0) return refuse(o, out, EXIT.OK, `Nothing to recover on stack '${o.stack}': no lock and no unfinished operation.`);
  const plan = [
    ...locks.map((l) => `remove the lock left by ${describeLock(l)}`),
    ...pending.map((p) => `forget the unfinished ${p.type.replace(/ing$/, "e")} of ${p.resource}: the next up runs it again`),
  ];
  if (!o.json) say(o, out, `recover will:\n${plan.map((l) => `  - ${l}`).join("\n")}\nCommands that run again: check on the hosts first whether they had finished (a stop or a restore is safe to repeat; the pre-restore snapshot is taken again).`);
  if (!(await confirm(o))) return refuse(o, out, EXIT.DECLINED, "Not confirmed: nothing was changed. (Use --yes in scripts.)");
  for (const l of locks) removeStaleLock(l);
  if (pending.length > 0) {
    const state = await stack.exportStack();
    (state.deployment as { pending_operations?: unknown[] }).pending_operations = [];
    await stack.importStack(state);
  }
  if (o.json) out.json({ ok: true, stack: o.stack, done: plan });
  else say(o, out, `Recovered. Resume with: delphi-restore up --stack ${o.stack}`);
  return EXIT.OK;
}
