// Pure: the shape of preflight's read-only checks (a command on one host, and how its output is
// judged) and of their results. The shared checks are the driver's (src/cli/preflight.ts); each
// mechanism adds its own through the registry. A mechanism's check may add what it resolved to its
// result under a key of its own (wal-pitr: `pitr`, volume-snapshot: `volume`), for its summary
// and for `--json`.
export interface CheckResult {
  check: string;
  host: string;
  ok: boolean;
  detail: string;
  /** Said beside the detail (the dump check: read in full earlier, unchanged since). */
  note?: string;
}

/**
 * Dumps preflight has read in full, by host: `<path> <size> <mtime>` and when. A dump that is the
 * same file, unchanged, is not read again by the next preflight; the snapshot step still reads it
 * before anything stops.
 */
export interface VerifiedDumps {
  get(host: string): { key: string; at: string } | undefined;
  set(host: string, key: string): void;
}

/** `R`: the result a mechanism's check gives (CheckResult and what it resolved). */
export interface Check<R extends CheckResult = CheckResult> {
  check: string;
  host: string;
  command: string;
  /** Turn the command's output into a verdict (default: exit code 0 passes). */
  judge?: (stdout: string) => Omit<R, "check" | "host">;
  failHint: string;
  /** The command prints `dump-identity=` when it read a dump in full: remembered (VerifiedDumps) when it passes. */
  verifiesDump?: boolean;
}

/** Runs one command on a config host (over SSH, or locally), with a timeout in seconds. */
export type CheckRun = (host: string, command: string, timeoutSeconds: number) => Promise<{ ok: boolean; stdout: string; stderr: string }>;
