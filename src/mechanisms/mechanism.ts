// What a mechanism is to the rest of the program: the one interface every folder under
// src/mechanisms/ implements and the registry (./index.ts) lists. Everything that differs between
// mechanisms is behind it, so nothing outside src/mechanisms/ asks which mechanism is configured.
import type { MechanismConfig, RestoreConfig } from "../config";
import type { RestorePlan } from "../runbook";
import type { Check, CheckResult, CheckRun, VerifiedDumps } from "../runbook/checks";
import type { KeptData } from "../runbook/kept";
import type { Summary } from "../runbook/summary";
import type { DbTarget } from "../shell";
import type { ProgramContext, Secrets } from "../steps/common-args";

export interface Mechanism {
  /** Its names, whether it is self-managed, and its config rules (below src/config: ./configs.ts). */
  readonly config: MechanismConfig;
  /**
   * Self-managed: the plan of the configured phase, without reading the host (status, the summary,
   * the mid-restore check). AWS mechanisms plan inside `declare` (their plan needs AWS reads).
   */
  plan?(c: RestoreConfig): RestorePlan;
  /** Self-managed: the data the restore keeps aside (what rollback puts back and sign-off archives). */
  kept?(c: RestoreConfig): KeptData | undefined;
  /** Declare the restore of the configured phase (checks first) and return the stack outputs. */
  declare(c: RestoreConfig, secrets: Secrets, ctx: ProgramContext): Promise<Record<string, unknown>>;
  /**
   * Preflight on the db host after "database answers": self-managed, in phase restore (other phases
   * check the kept data instead); the others, in every phase, in place of the shared checks.
   */
  preflight?(c: RestoreConfig, db: DbTarget, verified?: VerifiedDumps): Check[];
  /** Preflight's last round, after every other check (wal-pitr: the recovery target in reach). */
  finalChecks?(c: RestoreConfig, run: CheckRun, reachable: (host: string) => boolean): Promise<CheckResult[]>;
  /** The blast-radius summary, completed with what preflight found. */
  summary(stack: string, c: RestoreConfig, checks: CheckResult[]): Summary;
  /**
   * It restores pg_dump archives (pg-restore): a rollback without kept data restores the
   * pre-restore snapshot, and `rollback --from-archive` after sign-off restores sign-off's archive.
   */
  readonly restoresDumps?: boolean;
  /** `find-target` can read this mechanism's archive for a recovery target (wal-pitr). */
  readonly findsTargets?: boolean;
}
