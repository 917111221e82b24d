// Pure helpers of the sandbox's btrfs volume: snapshot names, and reading what `btrfs subvolume
// show`, /proc/self/mountinfo and `losetup --list --json` print. No I/O here, so the unit tests
// cover them without root or a loop device.

/** A snapshot name: one path segment that needs no shell quoting (the restore runs it over SSH). */
export const SNAPSHOT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,100}$/;

export function checkSnapshotName(name: string): string {
  if (!SNAPSHOT_NAME.test(name) || name === "." || name === "..")
    throw new Error(`bad snapshot name '${name}': use 1 to 101 characters of A-Z a-z 0-9 _ . -, starting with a letter or digit`);
  return name;
}

/** UTC yyyymmddThhmmssZ: the stamp the runbook's dump names carry, so snapshots sort the same way. */
export function utcStamp(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "Z");
}

/** `nightly-20260125T020000Z`, `manual-...`: second resolution, as the snapshots' own creation times. */
export function snapshotName(kind: "nightly" | "manual", d = new Date()): string {
  return `${kind}-${utcStamp(d)}`;
}

export interface SubvolumeShow {
  name?: string;
  /** ISO 8601 UTC, from `Creation time:` (second resolution); undefined when btrfs prints `-`. */
  createdAt?: string;
  readOnly: boolean;
  uuid?: string;
}

/** `2026-01-25 02:00:00 +0000` (btrfs-progs' format) as ISO 8601 UTC. */
export function btrfsTime(text: string): string | undefined {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) ([+-])(\d\d)(\d\d)$/.exec(text.trim());
  if (!m) return undefined;
  const d = new Date(`${m[1]}T${m[2]}${m[3]}${m[4]}:${m[5]}`);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** The fields we use from `btrfs subvolume show <path>` (a `Key: value` block, tab-indented). */
export function parseSubvolumeShow(text: string): SubvolumeShow {
  const fields = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^\s+([A-Za-z][A-Za-z ()]*?):\s*(.*)$/.exec(line);
    if (m && !fields.has(m[1])) fields.set(m[1], m[2].trim());
  }
  const flags = fields.get("Flags") ?? "";
  const uuid = fields.get("UUID");
  return {
    name: fields.get("Name"),
    createdAt: btrfsTime(fields.get("Creation time") ?? ""),
    readOnly: flags.split(/[\s,]+/).includes("readonly"),
    uuid: uuid && uuid !== "-" ? uuid : undefined,
  };
}

export interface MountEntry {
  id: number;
  mountPoint: string;
  fsType: string;
  source: string;
}

/** mountinfo escapes space, tab, newline and backslash as octal (\040 ...). */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** /proc/self/mountinfo: `id parent maj:min root mountpoint options [optional...] - fstype source superoptions`. */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split("\n")) {
    const f = line.split(" ");
    const dash = f.indexOf("-", 6);
    if (f.length < 10 || dash < 0) continue;
    out.push({ id: Number(f[0]), mountPoint: unescapeMount(f[4]), fsType: f[dash + 1], source: unescapeMount(f[dash + 2] ?? "") });
  }
  return out;
}

/**
 * The mounts at or below `dir`, in the order to unmount them: deepest first, and of mounts stacked
 * on one point the latest first (the one on top). A path that is mounted twice appears twice.
 */
export function mountsUnder(entries: MountEntry[], dir: string): MountEntry[] {
  const base = dir.replace(/\/+$/, "");
  const depth = (p: string) => p.split("/").length;
  return entries
    .filter((e) => e.mountPoint === base || e.mountPoint.startsWith(`${base}/`))
    .sort((a, b) => depth(b.mountPoint) - depth(a.mountPoint) || b.id - a.id);
}

export interface LoopDevice {
  device: string;
  backFile: string;
  /** The backing file was removed while attached (`losetup` appends ` (deleted)`). */
  deleted: boolean;
}

/** `losetup --list --json --output NAME,BACK-FILE`. */
export function parseLosetupJson(text: string): LoopDevice[] {
  if (!text.trim()) return [];
  const doc = JSON.parse(text) as { loopdevices?: { name?: string; "back-file"?: string | null }[] };
  return (doc.loopdevices ?? []).flatMap((d) => {
    if (!d.name || !d["back-file"]) return [];
    const raw = d["back-file"];
    const deleted = raw.endsWith(" (deleted)");
    return [{ device: d.name, backFile: deleted ? raw.slice(0, -" (deleted)".length) : raw, deleted }];
  });
}

/** Loop devices backed by a file under `dir` (even one removed since: a killed sandbox's image). */
export function loopDevicesUnder(devices: LoopDevice[], dir: string): LoopDevice[] {
  const base = dir.replace(/\/+$/, "");
  return devices.filter((d) => d.backFile.startsWith(`${base}/`));
}
