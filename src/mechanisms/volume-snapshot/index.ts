// Mechanism volume-snapshot: the data subvolume (btrfs on the db host) swapped for a writable copy
// of a read-only snapshot; the replaced one is kept, rollback puts it back, sign-off archives and
// removes it. Owns its schema, config rules, shell builders, plan, kept data, preflight check and
// summary; imports src/config, src/shell, src/runbook, src/steps, never another mechanism.
import { declareRunbook } from "../../steps/declare-runbook";
import type { Mechanism } from "../mechanism";
import { volumeSnapshotConfig } from "./config-rules";
import { volumeSnapshotKept } from "./kept";
import { planVolumeSnapshot } from "./plan";
import { volumeCheck } from "./preflight";
import { summarizeVolume } from "./summary";

export const volumeSnapshot: Mechanism = {
  config: volumeSnapshotConfig,
  plan: planVolumeSnapshot,
  kept: volumeSnapshotKept,
  declare: async (c, secrets, ctx) => declareRunbook(c, secrets, ctx, planVolumeSnapshot(c), volumeSnapshotKept(c)),
  preflight: (c) => [volumeCheck(c)],
  summary: summarizeVolume,
};
