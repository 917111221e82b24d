// The config half of a mechanism: its names and its cross-field rules. Each mechanism's folder
// exports one (src/mechanisms/<name>/config-rules.ts) and src/mechanisms/configs.ts lists them, so
// config validation stays below every other layer: the rules import only this folder.
import type { AddProblem } from "./problems";
import type { ParsedConfig } from "./schema";

export type Rule = (c: ParsedConfig, add: AddProblem) => void;

export interface MechanismConfig {
  /** The values of `mechanism` that select it (aws-pitr has three: aurora-pitr, rds-pitr, rds-snapshot). */
  readonly names: readonly string[];
  /** The database runs in a container on the db host, reached over SSH (the others are AWS's). */
  readonly selfManaged: boolean;
  /**
   * With order beforeSwitch, the restore is a second database beside the live one while the
   * services still run on the live one, so migrations can run against it first (reconcile.beforeStop).
   */
  readonly restoresBeside?: boolean;
  /** Self-managed: the config key rollback reads the kept data from (`kept`, `volume.rollbackTo`, ...). */
  readonly rollbackKey?: string;
  /** AWS: what the restore replaces and sign-off releases, in words ("database", "data volume"). */
  readonly replaces?: string;
  /**
   * Its rules, each run at its place in the one problem list, so the order an operator reads the
   * problems in does not depend on which folder a rule lives in.
   */
  readonly rules: {
    /** After the shared rules on the phase and the kept data. */
    phase?: Rule;
    /** After the shared rule on order and snapshot. */
    database?: Rule;
    /** Its own config blocks; run for every mechanism, `active` when it is the one configured. */
    blocks?: (c: ParsedConfig, add: AddProblem, active: boolean) => void;
    /** AWS: after the shared rule that the aws block is there. */
    cloud?: Rule;
  };
}
