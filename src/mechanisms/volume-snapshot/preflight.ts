// Preflight of volume-snapshot on the db host: the snapshot to restore, resolved there.
import type { RestoreConfig } from "../../config";
import type { Check, CheckResult } from "../../runbook/checks";
import { markers } from "../../runbook/markers";
import * as sh from "../../shell";
import { volumeTargetLines } from "./shell";

export const VOLUME_CHECK = "volume snapshot";

/** The volume check's result: the snapshot it resolved and its creation time (in `--json` too). */
export interface VolumeCheckResult extends CheckResult {
  volume?: { name: string; createdAt: string };
}

/** volume-snapshot: the snapshot to restore (exists, read-only, older than the incident, room). */
export function volumeCheck(c: RestoreConfig): Check<VolumeCheckResult> {
  const d = c.database;
  const v = c.volume;
  if (!d || !v) throw new Error("volume-snapshot needs database and volume (config validation should have said so)");
  return {
    check: VOLUME_CHECK,
    host: d.host,
    command: sh.script(volumeTargetLines(v, "nothing was changed")),
    judge: (out) => {
      const name = markers(out, "volume-target")[0];
      const at = markers(out, "restore-point")[0];
      const free = markers(out, "volume-free-mib")[0];
      return name && at
        ? { ok: true, detail: `${name} (read-only, created ${at}); ${free} MiB free on ${v.mount}`, volume: { name, createdAt: at } }
        : { ok: false, detail: `could not resolve the snapshot: ${out.trim()}` };
    },
    failHint: "the volume snapshot is refused",
  };
}
