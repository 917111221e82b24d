// Preflight of ebs-snapshot on the db host: it reads no dump and writes none; what it needs is the
// data volume mounted where config says.
import type { RestoreConfig } from "../../config";
import type { Check } from "../../runbook/checks";
import * as sh from "../../shell";

/** ebs-snapshot: the data volume is mounted at aws.ebs.mount on the db host (the swap unmounts it there). */
export function dataMountChecks(c: RestoreConfig, host: string): Check[] {
  const mount = c.aws?.ebs?.mount;
  if (!mount) return [];
  return [{
    check: "data volume mounted",
    host,
    command: sh.andThen(`mountpoint -q ${sh.quote(mount)}`, `findmnt -n -o SOURCE --mountpoint ${sh.quote(mount)}`),
    judge: (out) => ({ ok: true, detail: `${mount} is mounted from ${out.trim()}` }),
    failHint: `${mount} is not a mount point: the data volume is not mounted where aws.ebs.mount says`,
  }];
}
