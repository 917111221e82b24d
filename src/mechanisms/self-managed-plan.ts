// Pure: the plan of a self-managed restore, whichever mechanism (a pg_dump archive, a volume
// snapshot, a base backup and WAL), and of its sign-off. The program, preflight, the summary and
// `status` all read it from here.
import type { RestoreConfig } from "../config";
import { type RestorePlan } from "../runbook";
import { planPgRestore } from "../mechanisms/pg-restore/plan";
import { signoffPlan } from "../runbook/swap";
import { planVolumeSnapshot } from "./volume-snapshot/plan";
import { planWalPitr } from "./wal-pitr/plan";

export function planSelfManaged(c: RestoreConfig): RestorePlan {
  if (c.phase === "signoff") return signoffPlan(c);
  if (c.mechanism === "volume-snapshot") return planVolumeSnapshot(c);
  if (c.mechanism === "pg-restore") return planPgRestore(c);
  // Without the archive read (status, the summary's plan): the commands name placeholders.
  if (c.mechanism === "wal-pitr") return planWalPitr(c);
  throw new Error(`mechanism ${c.mechanism} has no self-managed plan`);
}
