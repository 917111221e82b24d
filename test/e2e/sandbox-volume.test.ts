// The sandbox's btrfs data volume (`sandbox up --volume btrfs`), for real: a loop device, a
// btrfs subvolume as Postgres' data directory, which the database container mounts (a named
// volume binding the btrfs mount), read-only snapshots, and the container's stop/start over SSH
// (the real `docker compose` on the sandbox's engine) really stopping and starting the server.
// A test does by hand what the restore's `volume-snapshot` mechanism does: stop, set the data
// aside, a writable snapshot of a read-only one as the new data, start, and the rows written after
// the snapshot are gone. What happened to the container is read from the engine's own events.
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { layout, listVolumeSnapshots, readEngineOps, sandboxStatus, startSandbox, stopSandbox, takeVolumeSnapshot, type EngineOp, type StartResult } from "../../src/sandbox";
import { projectName } from "../../src/sandbox/hosts/compose-files";
import { compose, dbContainerName } from "../../src/sandbox/postgres/db-container";
import { docker } from "../../src/sandbox/engine";
import { loopDevicesUnder, mountsUnder, parseLosetupJson, parseMountinfo, parseSubvolumeShow } from "../../src/sandbox/postgres/volume-parse";
import { waitGone } from "../../src/sandbox/processes";
import { sql, tempProject } from "./support/sandbox";
import { sshHost } from "./support/ssh";
import { recorded, until } from "./support/wait";

const ROOT = resolve(__dirname, "..", "..");
const isRoot = process.getuid?.() === 0;

const ssh = sshHost;

const mountsIn = (dir: string) => mountsUnder(parseMountinfo(readFileSync("/proc/self/mountinfo", "utf8")), dir);
async function loopsIn(dir: string) {
  return loopDevicesUnder(parseLosetupJson((await execa("losetup", ["--list", "--json", "--output", "NAME,BACK-FILE"])).stdout), dir);
}
const canConnect = (info: StartResult) =>
  execa(join(info.database.pgBin, "psql"), ["-X", "-At", info.databaseUrl, "-c", "select 1"], { reject: false, env: { PGCONNECT_TIMEOUT: "3" } }).then((r) => r.exitCode === 0);

/** The db host's engine operations since a moment, once `n` are recorded (the events recorder writes a moment after the engine sent them). */
async function dbOpsSince(project: string, since: string, n: number): Promise<EngineOp[]> {
  const pick = () => readEngineOps(project, "db").filter((op) => op.ts >= since);
  return recorded(pick, n, "the db host's");
}

describe.skipIf(!isRoot)("sandbox with a btrfs data volume", () => {
  const project = tempProject("sandbox-volume");
  const L = layout(project);
  let info: StartResult;
  let dbDir = "";

  beforeAll(async () => {
    const t0 = Date.now();
    info = await startSandbox({ projectDir: project, volume: "btrfs" });
    dbDir = `${info.hosts.find((h) => h.name === "db")?.servicesRoot}/postgres`;
    console.log(`volume sandbox up took ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  });

  afterAll(async () => {
    await stopSandbox(project).catch(() => undefined);
    rmSync(project, { recursive: true, force: true });
  });

  it("keeps the data directory in a btrfs subvolume on a loop device, and reports the volume", async () => {
    expect(info.volume).toEqual({ filesystem: "btrfs", mount: L.volume.mount, dataSubvolume: "data", snapshotsDir: "snapshots", nightlySnapshot: expect.stringMatching(/^nightly-\d{8}T\d{6}Z$/), device: expect.stringMatching(/^\/dev\/loop\d+$/) });
    const [mount] = mountsIn(L.dir);
    expect(mount).toMatchObject({ mountPoint: L.volume.mount, fsType: "btrfs", source: info.volume?.device });
    expect((await loopsIn(L.dir)).map((d) => [d.device, d.backFile])).toEqual([[info.volume?.device, L.volume.image]]);
    // A subvolume's root has inode 256 on btrfs; `subvolume show` is the authority.
    expect(statSync(L.pg.data).ino).toBe(256);
    const shown = parseSubvolumeShow((await execa("btrfs", ["subvolume", "show", L.pg.data])).stdout);
    expect(shown).toMatchObject({ name: "data", readOnly: false });
    expect(existsSync(join(L.pg.data, "PG_VERSION"))).toBe(true);
    expect(statSync(L.pg.data).mode & 0o777).toBe(0o700);
    expect(sandboxStatus(project)).toMatchObject({ up: true, problems: [] });
  });

  it("the database container mounts the btrfs volume (a named volume binding its mount) and its server runs on the subvolume", async () => {
    type Mount = { Type: string; Name?: string; Source: string; Destination: string; RW: boolean };
    const [container] = JSON.parse(await docker(["inspect", dbContainerName(L)])) as { Mounts: Mount[] }[];
    const volumeName = `${projectName(L, "db")}_pgdata`;
    expect(container.Mounts.find((m) => m.Destination === L.volume.mount)).toMatchObject({ Type: "volume", Name: volumeName, RW: true });
    const [volume] = JSON.parse(await docker(["volume", "inspect", volumeName])) as { Driver: string; Options: Record<string, string> }[];
    expect(volume).toMatchObject({ Driver: "local", Options: { type: "none", o: "bind", device: L.volume.mount } });
    // Inside the container the path is the same, and it is the btrfs filesystem, the subvolume's root.
    const inside = await compose(L, "db", ["exec", "-T", "voiceai-postgres", "stat", "-f", "-c", "%T", L.pg.data]);
    expect(inside.trim()).toBe("btrfs");
    expect((await compose(L, "db", ["exec", "-T", "voiceai-postgres", "stat", "-c", "%i", L.pg.data])).trim()).toBe("256");
    // The server's own word (as its superuser, in its container: delphi may not read the setting).
    expect((await compose(L, "db", ["exec", "-T", "voiceai-postgres", "psql", "-X", "-At", "-U", "postgres", "-d", "postgres", "-c", "show data_directory"])).trim()).toBe(L.pg.data);
  });

  it("took a read-only nightly snapshot after the nightly dump", async () => {
    const snaps = await listVolumeSnapshots(project);
    expect(snaps.map((s) => s.name)).toEqual([info.volume?.nightlySnapshot]);
    const [nightly] = snaps;
    expect(nightly).toMatchObject({ path: join(L.volume.snapshots, nightly.name), readOnly: true });
    expect(nightly.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    // The dump and the snapshot carry the same kind of stamp; the snapshot is not older.
    const dumpStamp = /delphi-(\d{8}T\d{6}Z)\.dump$/.exec(info.nightlyDump)?.[1] ?? "";
    expect(nightly.name.slice("nightly-".length) >= dumpStamp).toBe(true);
    const write = await execa("touch", [join(nightly.path, "x")], { reject: false });
    expect(write.stderr).toMatch(/Read-only file system/);
  });

  it("`docker compose stop voiceai-postgres` over SSH really stops the server; `up -d` brings it back with its data", async () => {
    const before = await sql(info, "select count(*) from conversations");
    const since = new Date().toISOString();
    const stop = await ssh(info, "db", `cd ${dbDir} && docker compose stop voiceai-postgres && docker compose ps -a --format json`);
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect(JSON.parse(stop.stdout.trim())).toMatchObject({ Service: "voiceai-postgres", State: "exited" });
    expect(await canConnect(info)).toBe(false);
    expect(sandboxStatus(project).problems).toContain("the voiceai-postgres container is not running");
    const again = await ssh(info, "db", `cd ${dbDir} && docker compose stop voiceai-postgres`);
    expect(again.exitCode, again.stderr).toBe(0); // stopping a stopped server is a no-op

    const up = await ssh(info, "db", `cd ${dbDir} && docker compose up -d voiceai-postgres && docker compose ps --format json`);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(JSON.parse(up.stdout.trim())).toMatchObject({ Service: "voiceai-postgres", State: "running" });
    await until(() => canConnect(info), "the database to accept connections after `up -d`");
    expect(await sql(info, "select count(*) from conversations")).toBe(before);
    expect(sandboxStatus(project)).toMatchObject({ up: true, problems: [] });
    // The engine's record: one stop (the fast-shutdown signal, a clean exit), nothing for the
    // second stop of a stopped container, then one start.
    const ops = await dbOpsSince(project, since, 4);
    expect(ops.map((op) => `${op.service} ${op.verb} ${op.event} ${op.detail}`)).toEqual([
      "voiceai-postgres stop start signal 2",
      "voiceai-postgres die ok exit 0",
      "voiceai-postgres stop ok ",
      "voiceai-postgres start ok ",
    ]);
  });

  it("takes named and unnamed snapshots, unique to the second, and refuses bad or taken names", async () => {
    const a = await takeVolumeSnapshot(project);
    const b = await takeVolumeSnapshot(project);
    const c = await takeVolumeSnapshot(project);
    expect(new Set([a.name, b.name, c.name]).size).toBe(3);
    for (const s of [a, b, c]) expect(s.name).toMatch(/^manual-\d{8}T\d{6}Z$/);
    const named = await takeVolumeSnapshot(project, "before-upgrade");
    expect(named).toMatchObject({ name: "before-upgrade", path: join(L.volume.snapshots, "before-upgrade") });
    await expect(takeVolumeSnapshot(project, "before-upgrade")).rejects.toThrow(/exists already/);
    await expect(takeVolumeSnapshot(project, "../data")).rejects.toThrow(/bad snapshot name/);
    const cli = await execa(join(ROOT, "bin", "delphi-restore"), ["sandbox", "snapshot", "--name", "from-the-cli", "--json"], { env: { DELPHI_RESTORE_PROJECT_DIR: project }, reject: false });
    expect(cli.exitCode, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ name: "from-the-cli", path: join(L.volume.snapshots, "from-the-cli"), createdAt: expect.stringMatching(/Z$/) });
    const listed = await listVolumeSnapshots(project);
    expect(listed.map((s) => s.name)).toEqual(expect.arrayContaining([a.name, b.name, c.name, "before-upgrade", "from-the-cli"]));
    expect(listed.every((s) => s.readOnly)).toBe(true);
  });

  it("a stop, a writable copy of a snapshot swapped in as the data, and a start bring the database back to the snapshot", async () => {
    await sql(info, "create table if not exists volume_probe (id int primary key, note text)");
    await sql(info, "insert into volume_probe values (1, 'before the snapshot')");
    const snap = await takeVolumeSnapshot(project, "probe-1");
    await sql(info, "insert into volume_probe values (2, 'after the snapshot')");
    await sql(info, "delete from conversations where id = 'conv_known_0001'");
    expect(await sql(info, "select count(*) from volume_probe")).toBe("2");

    // What the volume-snapshot restore runs on the db host, over SSH.
    const m = L.volume.mount;
    const stamp = "20990101T000000Z";
    const swap = await ssh(
      info,
      "db",
      [
        `cd ${dbDir}`,
        "docker compose stop voiceai-postgres",
        `mv ${m}/data ${m}/data.pre-restore-${stamp}`,
        `btrfs subvolume snapshot ${m}/snapshots/${snap.name} ${m}/data`,
        "docker compose up -d voiceai-postgres",
      ].join(" && "),
    );
    expect(swap.exitCode, swap.stderr).toBe(0);
    await until(() => canConnect(info), "the database to accept connections on the snapshot's data");
    expect(await sql(info, "select string_agg(id || ':' || note, ',' order by id) from volume_probe")).toBe("1:before the snapshot");
    expect(await sql(info, "select count(*) from conversations where id = 'conv_known_0001'")).toBe("1");
    expect(parseSubvolumeShow((await execa("btrfs", ["subvolume", "show", L.pg.data])).stdout).readOnly).toBe(false);
    expect(parseSubvolumeShow((await execa("btrfs", ["subvolume", "show", `${m}/data.pre-restore-${stamp}`])).stdout).readOnly).toBe(false);
    // The server came up through crash recovery: the snapshot was taken while it ran (its container's logs say so).
    expect(await compose(L, "db", ["logs", "--no-color", "voiceai-postgres"])).toMatch(/database system was not properly shut down; automatic recovery in progress/);
    // And the database keeps working on the restored data.
    await sql(info, "insert into volume_probe values (3, 'after the restore')");
    expect(await sql(info, "select count(*) from volume_probe")).toBe("2");
  });

  it("down stops everything, unmounts the volume, detaches the loop device and removes the folder", async () => {
    const device = info.volume?.device;
    const r = await stopSandbox(project);
    expect(r.stopped).toEqual(expect.arrayContaining(["containers of db", `unmounted ${L.volume.mount}`, `detached ${device}`]));
    expect(mountsIn(L.dir)).toEqual([]);
    expect(await loopsIn(L.dir)).toEqual([]);
    expect(existsSync(L.dir)).toBe(false);
  });

  it("a stale mount and loop device from a killed sandbox do not stop the next up, and down releases them", async () => {
    const first = await startSandbox({ projectDir: project, volume: "btrfs" });
    // "Killed": the database container's init process (and with it the server) dies without a
    // shutdown, nothing is unmounted or detached.
    process.kill(first.pids.postgres, "SIGKILL");
    await waitGone([first.pids.postgres], 10_000);
    const second = await startSandbox({ projectDir: project, volume: "btrfs" });
    expect(second.alreadyUp).toBe(false);
    expect(mountsIn(L.dir).map((x) => x.source)).toEqual([second.volume?.device]);
    expect((await loopsIn(L.dir)).map((d) => d.device)).toEqual([second.volume?.device]);
    expect(await sql(second, "select count(*) from conversations where id = 'conv_known_0001'")).toBe("1");
    await stopSandbox(project);
    expect(mountsIn(L.dir)).toEqual([]);
    expect(await loopsIn(L.dir)).toEqual([]);
  });
});
