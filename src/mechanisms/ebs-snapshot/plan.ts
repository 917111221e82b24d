// Pure: config -> the ordered plan of an ebs-snapshot restore for each phase: which step, which
// component name, what it creates in AWS and which commands it runs on the db host. The program
// declares resources from this plan and the driver prints it, so preview and summary agree.
//
// The swap keeps the old volume attached (unmounted) until sign-off and attaches the restored one
// beside it, at a second device name: a rollback is then a remount on the host, with no AWS call.
import { NAMESPACE, type EbsConfig, type RestoreConfig } from "../../config";
import { type HostCommand, STEP_TITLES, confirmStoppedCommands, quiesceCommands, reconcileCommand, resumeCommands, serviceStops, verifyCommands } from "../../runbook";
import { dbTarget } from "../../runbook/commands";
import { mountAndStartDatabase, stopDatabaseAndUnmount } from "./shell";
import type { SignoffStage } from "../../aws/types";

export type EbsStepName = "snapshot" | "restore" | "quiesce" | "confirm" | "swap" | "reconcile" | "resume" | "verify" | "report" | "rollback" | "signoff";
export type EbsSnapshotChoice = { type: "id"; snapshotId: string } | { type: "before"; before: string };

/** Values of a volume command known only once AWS created the restored volume. */
export interface VolumeValues {
  newVolumeId: string;
}

/** A db-host command of the swap or the rollback; it may need the restored volume's id. */
export interface VolumeCommand {
  name: string;
  host: string;
  description: string;
  render: (v: VolumeValues) => string;
}

export interface EbsStepPlan {
  step: EbsStepName;
  /** Component name, unique in the stack (rollback reruns remote steps under new names). */
  name: string;
  title: string;
  /** What the step creates or changes in AWS, one line per resource. */
  aws: string[];
  /** Remote steps shared with the other mechanisms (quiesce, confirm, reconcile, resume, verify). */
  commands: HostCommand[];
  /** The swap's and the rollback's commands on the db host, in order (each waits for the previous). */
  volumeCommands: VolumeCommand[];
  /** Everything the step does, as the preview and summary print it. */
  does: string[];
}

export interface EbsPlan {
  deployment: string;
  mechanism: "ebs-snapshot";
  phase: RestoreConfig["phase"];
  dbHost: string;
  volumeId: string;
  instanceId: string;
  deviceName: string;
  restoreDeviceName: string;
  mount: string;
  snapshot: EbsSnapshotChoice;
  signoffStage?: SignoffStage;
  steps: EbsStepPlan[];
  downtime: string;
  stops: { host: string; service: string }[];
}

export const EBS_STEP_TITLES: Record<"snapshot" | "restore" | "swap" | "rollback" | "signoff", string> = {
  snapshot: "Pre-restore EBS snapshot of the data volume",
  restore: "New volume from the snapshot, attached beside the old one",
  swap: "Swap the data volume under the database",
  rollback: "Remount the old data volume",
  signoff: "Sign-off: detach and delete the old data volume",
};

/** Shown where the restored volume's id is not known yet (preview, summary). */
export const NEW_VOLUME_PLACEHOLDER = "<new volume id>";

const LETTERS = "fghijklmnop";

/** The next recommended device letter after the data volume's (wrapping from p to f). */
export function nextDeviceName(deviceName: string): string {
  const m = /^(\/dev\/(?:sd|xvd))([f-p])$/.exec(deviceName);
  if (!m) throw new Error(`${deviceName} is not an EBS data device name (config validation should have said so)`);
  return `${m[1]}${LETTERS[(LETTERS.indexOf(m[2]) + 1) % LETTERS.length]}`;
}

/** The aws.ebs block; config validation guarantees it for ebs-snapshot. */
export function ebsConfig(c: RestoreConfig): EbsConfig {
  const e = c.aws?.ebs;
  if (!e) throw new Error(`mechanism ${c.mechanism} needs ${NAMESPACE}:aws.ebs (config validation should have said so)`);
  return e;
}

export function snapshotChoice(e: EbsConfig): EbsSnapshotChoice {
  return e.snapshotId ? { type: "id", snapshotId: e.snapshotId } : { type: "before", before: e.snapshotBefore ?? "" };
}

export function snapshotText(s: EbsSnapshotChoice, volumeId: string): string {
  return s.type === "id" ? `snapshot ${s.snapshotId}` : `the newest completed snapshot of ${volumeId} started before ${s.before}`;
}

export function restoreDevice(e: EbsConfig): string {
  return e.restoreDeviceName ?? nextDeviceName(e.deviceName);
}

/** Stop the database and unmount the volume under it, then mount `volume` and start it again. */
function remountCommands(c: RestoreConfig, which: "new" | "old"): VolumeCommand[] {
  const e = ebsConfig(c);
  const d = c.database;
  if (!d) throw new Error("ebs-snapshot needs `database` (config validation should have said so)");
  const db = dbTarget(c);
  const mounted = which === "new" ? `the old volume ${e.volumeId}` : "the restored volume";
  const devices = which === "new" ? [restoreDevice(e)] : [...(e.fsDevice ? [e.fsDevice] : []), e.deviceName];
  const target = which === "new" ? `the restored volume (${restoreDevice(e)}, or its NVMe name)` : `the old volume ${e.volumeId} (${devices.join(" or ")}, or its NVMe name)`;
  return [
    {
      name: "stop-db-unmount",
      host: d.host,
      description: `docker compose stop ${d.container} in ${db.dir}, sync, umount ${e.mount} (${mounted}; it stays attached)`,
      render: () => stopDatabaseAndUnmount(db, e.mount),
    },
    {
      name: `mount-${which}-start-db`,
      host: d.host,
      description: `mount ${target} at ${e.mount}, docker compose up -d ${d.container}, wait up to ${e.readyTimeoutSeconds}s for pg_isready`,
      render: (v) =>
        mountAndStartDatabase(db, { volumeId: which === "new" ? v.newVolumeId : e.volumeId, devices, mount: e.mount, readyTimeoutSeconds: e.readyTimeoutSeconds }),
    },
  ];
}

function step(s: EbsStepName, title: string, aws: string[], opts: { commands?: HostCommand[]; volumeCommands?: VolumeCommand[]; name?: string } = {}): EbsStepPlan {
  const commands = opts.commands ?? [];
  const volumeCommands = opts.volumeCommands ?? [];
  const hostLines = [...commands, ...volumeCommands].map((x) => `${x.host}: ${x.description}`);
  return { step: s, name: opts.name ?? s, title, aws, commands, volumeCommands, does: [...aws.map((l) => `aws: ${l}`), ...hostLines] };
}

const remote = (s: "quiesce" | "confirm" | "reconcile" | "resume" | "verify", commands: HostCommand[], name: string = s, title: string = STEP_TITLES[s]) =>
  step(s, title, [], { commands, name });

function restoreSteps(c: RestoreConfig): EbsStepPlan[] {
  const e = ebsConfig(c);
  const type = e.volumeType ?? "the old volume's type";
  const perf = [e.iops ? `${e.iops} IOPS` : undefined, e.throughput ? `${e.throughput} MiB/s` : undefined].filter(Boolean).join(", ") || "its IOPS and throughput";
  return [
    step("snapshot", EBS_STEP_TITLES.snapshot, [`manual EBS snapshot of the data volume ${e.volumeId} (tagged delphi-restore:purpose=pre-restore; protected, kept on destroy)`]),
    step("restore", EBS_STEP_TITLES.restore, [
      `new EBS volume from ${snapshotText(snapshotChoice(e), e.volumeId)}, in ${e.volumeId}'s availability zone, ${type} with ${perf}, its encryption and KMS key, size max(old volume, snapshot) (protected, kept on destroy)`,
      `attachment of the new volume to ${e.instanceId} at ${restoreDevice(e)}, beside ${e.volumeId} at ${e.deviceName} (not mounted yet; destroy leaves it attached)`,
    ]),
    remote("quiesce", quiesceCommands(c)),
    remote("confirm", confirmStoppedCommands(c)),
    step(
      "swap",
      EBS_STEP_TITLES.swap,
      [`tags on the old volume ${e.volumeId}: delphi-restore:state=replaced, delphi-restore:replaced-by=${NEW_VOLUME_PLACEHOLDER}, delphi-restore:keep-until=signoff (it stays attached at ${e.deviceName}, unmounted)`],
      { volumeCommands: remountCommands(c, "new") },
    ),
    remote("reconcile", [reconcileCommand(c)]),
    remote("resume", resumeCommands(c)),
    remote("verify", verifyCommands(c)),
    step("report", STEP_TITLES.report, [`tenant-admin notice in ${c.report.dir}: data-loss window [snapshot start time, moment writes stopped]; lost rows are not counted (that needs SQL on the old volume's database)`]),
  ];
}

function signoffLines(e: EbsConfig, stage: SignoffStage): string[] {
  return stage === "adopt"
    ? [`adopt the old volume ${e.volumeId} and its attachment to ${e.instanceId} at ${e.deviceName} (import, no change; still protected and kept on destroy)`]
    : [
        `old volume ${e.volumeId}: a final snapshot is taken when it is deleted`,
        `old volume and its attachment: unprotected, so \`pulumi destroy --target <volume urn> --target-dependents\` detaches and deletes exactly it`,
      ];
}

export function planEbs(c: RestoreConfig): EbsPlan {
  const e = ebsConfig(c);
  const base = restoreSteps(c);
  let steps: EbsStepPlan[];
  let signoffStage: SignoffStage | undefined;
  if (c.phase === "rollback") {
    // The snapshot and the new volume stay declared (protected); the services stop again, the
    // old volume is mounted back, and everything restarts under new command names.
    steps = [
      ...base.filter((s) => s.step === "snapshot" || s.step === "restore"),
      remote("quiesce", quiesceCommands(c), "rollback-quiesce", `${STEP_TITLES.quiesce} (rollback)`),
      remote("confirm", confirmStoppedCommands(c), "rollback-confirm", `${STEP_TITLES.confirm} (rollback)`),
      step("rollback", EBS_STEP_TITLES.rollback, [`tag on the old volume ${e.volumeId}: delphi-restore:state=in-use (rolled back); the restored volume stays attached, unmounted`], { volumeCommands: remountCommands(c, "old") }),
      remote("resume", resumeCommands(c), "rollback-resume", `${STEP_TITLES.resume} (rollback)`),
      remote("verify", verifyCommands(c), "rollback-verify", `${STEP_TITLES.verify} (rollback)`),
    ];
  } else if (c.phase === "signoff") {
    signoffStage = c.aws?.releaseOld ? "release" : "adopt";
    steps = [...base, step("signoff", EBS_STEP_TITLES.signoff, signoffLines(e, signoffStage))];
  } else {
    steps = base;
  }
  return {
    deployment: c.deployment,
    mechanism: "ebs-snapshot",
    phase: c.phase,
    dbHost: c.database?.host ?? "",
    volumeId: e.volumeId,
    instanceId: e.instanceId,
    deviceName: e.deviceName,
    restoreDeviceName: restoreDevice(e),
    mount: e.mount,
    snapshot: snapshotChoice(e),
    signoffStage,
    steps,
    downtime:
      c.phase === "signoff"
        ? "none: sign-off stops no service (the restore's commands are declared unchanged and do not run again)"
        : "switch time: the new volume is created and attached before anything stops; services stop for the remount and the database's start",
    stops: c.phase === "signoff" ? [] : serviceStops(c).map(({ host, service }) => ({ host, service })),
  };
}
