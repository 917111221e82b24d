// The registry: every mechanism, behind the one interface of ./mechanism.ts. The program, the
// driver and preflight ask it for the configured mechanism's plan, components, checks and summary;
// nothing outside src/mechanisms/ branches on a mechanism's name. Each src/mechanisms/<name>/ owns
// one mechanism and never imports another; what several share is below them (src/runbook for the
// self-managed ones, src/aws for the AWS ones). May import every layer but src/program.ts and src/cli.
//
// Adding a mechanism: its folder (see docs/architecture.md), one line in ./configs.ts (its config
// half, which config validation reads), one in MECHANISMS below, and its names and block in
// src/config/schema.ts.
import { type RestoreConfig, mechanismConfigOf } from "../config";
import type { RestorePlan } from "../runbook";
import { type KeptData, mustKeep } from "../runbook/kept";
import { keptSignoffPlan } from "../runbook/swap";
import { awsPitr } from "./aws-pitr";
import { MECHANISM_CONFIGS } from "./configs";
import { ebsSnapshot } from "./ebs-snapshot";
import type { Mechanism } from "./mechanism";
import { pgRestore } from "./pg-restore";
import { volumeSnapshot } from "./volume-snapshot";
import { walPitr } from "./wal-pitr";

export type { Mechanism } from "./mechanism";

/** In the order of ./configs.ts (checked when this module loads). */
export const MECHANISMS: readonly Mechanism[] = [pgRestore, volumeSnapshot, walPitr, awsPitr, ebsSnapshot];

if (MECHANISMS.length !== MECHANISM_CONFIGS.length || MECHANISMS.some((m, i) => m.config !== MECHANISM_CONFIGS[i]))
  throw new Error("src/mechanisms/index.ts and src/mechanisms/configs.ts must list the same mechanisms in the same order");

/** The configured mechanism. */
export function mechanismOf(c: Pick<RestoreConfig, "mechanism">): Mechanism {
  const config = mechanismConfigOf(c);
  const m = MECHANISMS.find((x) => x.config === config);
  if (!m) throw new Error(`mechanism ${c.mechanism} has no entry in src/mechanisms/index.ts`);
  return m;
}

/** The plan of a self-managed restore, whichever mechanism, for the configured phase. */
export function planSelfManaged(c: RestoreConfig): RestorePlan {
  const plan = mechanismOf(c).plan;
  if (!plan) throw new Error(`mechanism ${c.mechanism} has no self-managed plan`);
  return plan(c);
}

/** The kept data of a self-managed config; undefined for AWS and for pg-restore with `snapshot: before` (it overwrites). */
export function keptDataOf(c: RestoreConfig): KeptData | undefined {
  return mechanismOf(c).kept?.(c);
}

/** The kept data, for the mechanisms that must have it (config validation guarantees their blocks). */
export function keptData(c: RestoreConfig): KeptData {
  return mustKeep(c, keptDataOf(c));
}

/** Sign-off of a self-managed restore: archive the kept data, then remove it. */
export function signoffPlan(c: RestoreConfig): RestorePlan {
  return keptSignoffPlan(c, keptData(c));
}

/** The mechanisms' names that satisfy `has`, for messages ("wal-pitr"). */
export function namesOf(has: (m: Mechanism) => boolean): string {
  return MECHANISMS.filter(has).flatMap((m) => m.config.names).join("/");
}
