// The runbook every mechanism shares, as pure data: the step order and titles, the plan's shapes
// (./types.ts), the shared steps' host commands (./commands.ts: quiesce, confirm, reconcile, resume,
// verify), the skeleton around a self-managed restore (./order.ts) and around a data swap
// (./swap.ts), the kept data's shape (./kept.ts), the restore key, the output markers and the
// tenant notice's text. Imports only src/config and src/shell; never steps, mechanisms, program or cli.
export * from "./types";
export * from "./markers";
export { configPartOfKey, restoreKey, type Resolved, type ResolvedBackup } from "./restore-key";
export { confirmStoppedCommands, quiesceCommands, reconcileCommand, resumeCommands, serviceStops, verifyCommands, voiceCallsCheck } from "./commands";
