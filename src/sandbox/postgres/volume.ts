// The db host's data volume in volume mode (`sandbox up --volume btrfs`): a sparse image file on
// a loop device, formatted btrfs and mounted at the db host's volume folder. Postgres' data
// directory is the subvolume `data` on it; read-only snapshots of it go into `snapshots/`. This is
// what a snapshotting filesystem on a real db host looks like to the restore's `volume-snapshot`
// mechanism, made of parts this machine has (loop devices and btrfs, no device-mapper).
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { cleanupPrograms, type VolumeBinaries } from "../binaries";
import type { Layout } from "../layout";
import { serverUserIds } from ".";
import { checkSnapshotName, loopDevicesUnder, mountsUnder, parseLosetupJson, parseMountinfo, parseSubvolumeShow, snapshotName } from "./volume-parse";

/** Sparse, so it costs only what is written; room for the seeded cluster, WAL and many snapshots. */
const IMAGE_BYTES = 2 * 1024 ** 3;

export type VolumeKind = "btrfs";

export interface VolumeSnapshot {
  name: string;
  path: string;
  /** ISO 8601 UTC, second resolution: btrfs' own creation time of the snapshot. */
  createdAt: string;
}

export interface VolumeSnapshotEntry extends VolumeSnapshot {
  readOnly: boolean;
}

/** Loop devices, mkfs and mount need root; say so before anything is made. */
export function requireRootForVolume(): void {
  if (process.getuid?.() !== 0)
    throw new Error("the sandbox's btrfs volume needs root (it attaches a loop device and mounts it); run `sandbox up --volume btrfs` as root, or without --volume");
}

async function run(program: string, args: string[], what: string): Promise<string> {
  const r = await execa(program, args, { reject: false, stdin: "ignore", cwd: "/" });
  if (r.exitCode !== 0) throw new Error(`${what} failed (${program.split("/").at(-1)} exit ${r.exitCode}): ${String(r.stderr || r.stdout).trim()}`);
  return String(r.stdout);
}

/**
 * Image, loop device, mkfs, mount, the `data` subvolume (owned by the server's OS user, 0700 as
 * initdb wants it) and the snapshots folder. The device is recorded as soon as it is attached,
 * so a failure further on is still cleaned up by `sandbox down`.
 */
export async function createVolume(L: Layout, vb: VolumeBinaries): Promise<string> {
  mkdirSync(L.volume.dir, { recursive: true });
  closeSync(openSync(L.volume.image, "w", 0o600));
  // truncate(2) makes a sparse file: 2 GiB of address space, a few MB on disk.
  truncateSync(L.volume.image, IMAGE_BYTES);
  const device = (await run(vb.losetup, ["--find", "--show", L.volume.image], "attaching the volume image to a loop device")).trim();
  writeFileSync(L.volume.deviceFile, `${device}\n`);
  await run(vb.mkfsBtrfs, ["-q", device], "formatting the volume (mkfs.btrfs)");
  mkdirSync(L.volume.mount, { recursive: true });
  await run(vb.mount, ["-t", "btrfs", device, L.volume.mount], "mounting the volume");
  await run(vb.btrfs, ["subvolume", "create", L.pg.data], "creating the data subvolume");
  const { uid, gid } = await serverUserIds();
  chownSync(L.pg.data, uid, gid);
  chmodSync(L.pg.data, 0o700);
  mkdirSync(L.volume.snapshots, { mode: 0o755 });
  return device;
}

async function showSnapshot(vb: VolumeBinaries, path: string): Promise<ReturnType<typeof parseSubvolumeShow>> {
  return parseSubvolumeShow(await run(vb.btrfs, ["subvolume", "show", path], `reading snapshot ${path}`));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A read-only snapshot of the data subvolume, as the nightly job (or an operator) takes it while
 * Postgres runs: crash-consistent, so a start from it runs crash recovery. Without a name it is
 * `<kind>-<UTC second>`; when that second already has one, it waits for the next second instead
 * of inventing a suffix, so names keep saying when they were taken. A given name that exists is
 * refused.
 */
export async function snapshotData(L: Layout, vb: VolumeBinaries, opts: { name?: string; kind?: "nightly" | "manual" } = {}): Promise<VolumeSnapshot> {
  let name = opts.name === undefined ? snapshotName(opts.kind ?? "manual") : checkSnapshotName(opts.name);
  if (opts.name !== undefined && existsSync(join(L.volume.snapshots, name))) throw new Error(`a snapshot named '${name}' exists already (${join(L.volume.snapshots, name)})`);
  while (existsSync(join(L.volume.snapshots, name))) {
    await sleep(1000 - (Date.now() % 1000) + 5);
    name = snapshotName(opts.kind ?? "manual");
  }
  const path = join(L.volume.snapshots, name);
  await run(vb.btrfs, ["subvolume", "snapshot", "-r", L.pg.data, path], `snapshot ${name}`);
  const shown = await showSnapshot(vb, path);
  return { name, path, createdAt: shown.createdAt ?? new Date().toISOString() };
}

/** The snapshots folder's subvolumes, oldest first (by btrfs' creation time, then name). */
export async function listSnapshots(L: Layout, vb: VolumeBinaries): Promise<VolumeSnapshotEntry[]> {
  if (!existsSync(L.volume.snapshots)) return [];
  const names = readdirSync(L.volume.snapshots).sort();
  const out = await Promise.all(
    names.map(async (name): Promise<VolumeSnapshotEntry> => {
      const path = join(L.volume.snapshots, name);
      const shown = await showSnapshot(vb, path);
      return { name, path, createdAt: shown.createdAt ?? "", readOnly: shown.readOnly };
    }),
  );
  return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
}

/** Whether something is mounted exactly at `path` (the volume, for sandboxStatus). */
export function mountedAt(path: string): boolean {
  return parseMountinfo(readFileSync("/proc/self/mountinfo", "utf8")).some((m) => m.mountPoint === path);
}

/**
 * Unmount everything under the sandbox folder (deepest first) and detach every loop device backed
 * by a file under it, including those a killed earlier sandbox left behind (their image may be
 * gone already). Postgres must be stopped first, or the unmount finds the volume busy; then a
 * lazy unmount detaches it anyway and the loop device is freed once the last user lets go.
 * Returns what it released, for the log.
 */
export async function releaseVolumes(L: Layout): Promise<string[]> {
  const released: string[] = [];
  let mountinfo = "";
  try {
    mountinfo = readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return released; // No /proc: nothing we could have mounted either.
  }
  const mounts = mountsUnder(parseMountinfo(mountinfo), L.dir);
  const p = cleanupPrograms();
  for (const m of mounts) {
    const r = await execa(p.umount, [m.mountPoint], { reject: false, stdin: "ignore", cwd: "/" });
    if (r.exitCode === 0) {
      released.push(`unmounted ${m.mountPoint}`);
      continue;
    }
    const lazy = await execa(p.umount, ["--lazy", m.mountPoint], { reject: false, stdin: "ignore", cwd: "/" });
    if (lazy.exitCode !== 0) throw new Error(`could not unmount ${m.mountPoint}: ${String(r.stderr).trim()}; ${String(lazy.stderr).trim()}`);
    released.push(`unmounted ${m.mountPoint} (lazily: it was busy)`);
  }
  const list = await execa(p.losetup, ["--list", "--json", "--output", "NAME,BACK-FILE"], { reject: false, stdin: "ignore" });
  if (list.exitCode !== 0) return released; // No loop support at all: nothing can be attached.
  for (const d of loopDevicesUnder(parseLosetupJson(String(list.stdout)), L.dir)) {
    const r = await execa(p.losetup, ["--detach", d.device], { reject: false, stdin: "ignore" });
    if (r.exitCode !== 0) throw new Error(`could not detach loop device ${d.device} (${d.backFile}): ${String(r.stderr).trim()}`);
    released.push(`detached ${d.device}`);
  }
  return released;
}
