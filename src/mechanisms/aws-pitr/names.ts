// Pure: names of what an AWS restore creates. RDS identifiers are 1-63 letters, digits and
// hyphens, start with a letter, and have no "--" and no trailing "-"; the deployment name allows
// more ('.', '_'), so it is folded into that alphabet here, once, for every name.

/** Longest restored cluster identifier: its member instances append "-<n>" (n up to 16). */
const CLUSTER_ID_MAX = 60;
const RDS_ID_MAX = 63;
/** Snapshot identifiers may be longer than instance identifiers. */
const SNAPSHOT_ID_MAX = 255;

/** The deployment name in the RDS identifier alphabet. */
export function rdsBase(deployment: string): string {
  const folded = deployment.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/-{2,}/g, "-").replace(/^-+|-+$/g, "");
  return /^[a-z]/.test(folded) ? folded : `d-${folded}`.replace(/-+$/, "");
}

function fit(base: string, tail: string, max: number): string {
  return `${base.slice(0, max - tail.length).replace(/-+$/, "")}${tail}`;
}

/** `<deployment>-restored-<suffix>`: the new cluster or instance. */
export function restoredIdentifier(deployment: string, suffix: string, kind: "cluster" | "instance"): string {
  return fit(rdsBase(deployment), `-restored-${suffix}`, kind === "cluster" ? CLUSTER_ID_MAX : RDS_ID_MAX);
}

/** Member instances of the restored cluster: `<cluster>-1` is the writer, readers follow. */
export function memberIdentifier(clusterId: string, index: number): string {
  return `${clusterId}-${index + 1}`;
}

/** `<deployment>-pre-restore-<suffix>`: the manual snapshot of the current (bad) state. */
export function preRestoreSnapshotIdentifier(deployment: string, suffix: string): string {
  return fit(rdsBase(deployment), `-pre-restore-${suffix}`, SNAPSHOT_ID_MAX);
}

/** `<old id>-final-<suffix>`: the snapshot AWS takes when the old database is deleted after sign-off. */
export function finalSnapshotIdentifier(oldId: string, suffix: string): string {
  return fit(oldId, `-final-${suffix}`, SNAPSHOT_ID_MAX);
}

/** The final snapshot a restored database would get if it were ever deleted outside this program. */
export function restoredFinalSnapshotIdentifier(restoredId: string): string {
  return fit(restoredId, "-final", SNAPSHOT_ID_MAX);
}
