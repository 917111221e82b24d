// The config half of every mechanism, in the order their rules run and their names are listed
// (src/config/schema.ts). A leaf list below src/config, apart from the registry (./index.ts),
// because the registry imports plans and components and config validation must not. Adding a
// mechanism: one line here, one in ./index.ts (checked against this list when it loads).
import type { MechanismConfig } from "../config/mechanism-config";
import { awsPitrConfig } from "./aws-pitr/config-rules";
import { ebsSnapshotConfig } from "./ebs-snapshot/config-rules";
import { pgRestoreConfig } from "./pg-restore/config-rules";
import { volumeSnapshotConfig } from "./volume-snapshot/config-rules";
import { walPitrConfig } from "./wal-pitr/config-rules";

export const MECHANISM_CONFIGS: readonly MechanismConfig[] = [pgRestoreConfig, volumeSnapshotConfig, walPitrConfig, awsPitrConfig, ebsSnapshotConfig];
