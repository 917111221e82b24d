// Exit codes the driver documents in the README; scripts branch on them.
export const EXIT = {
  OK: 0,
  /** The restore (or check) ran and something failed: a step, a verify check, a preflight check. */
  FAILED: 1,
  /** Bad command line or bad stack config: nothing ran, nothing changed. */
  USAGE: 2,
  /** The operator declined the confirmation: nothing changed. */
  DECLINED: 3,
  /** The toolchain is incomplete (a Pulumi plugin or binary is missing): nothing changed. */
  TOOLCHAIN: 4,
  /** Another update holds the stack's lock. */
  LOCKED: 5,
  /** Interrupted (Ctrl-C); the update was cancelled cleanly and can be resumed with `up`. */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
