// The db host's volume commands: every value quoted, even ones the schema already constrains.
import { execFileSync } from "node:child_process";
import { describe, expect, test } from "vitest";
import { deviceCandidates, findDeviceLines, mountAndStartDatabase, stopDatabaseAndUnmount } from "../../src/mechanisms/ebs-snapshot/shell";

const db = { dir: "/opt/services/postgres", container: "voiceai-postgres", user: "delphi", name: "delphi" };
const EVIL = "/srv/it's $(touch pwned) `x`";
/** The script `sh -c` would run: parsing the outer quoting with the real shell proves it is one word. */
const inner = (cmd: string) => execFileSync("/bin/sh", ["-c", `printf '%s' ${cmd.replace(/^sh -c /, "")}`]).toString();

describe("device candidates", () => {
  test("the NVMe link by volume id first, then the configured names and their Xen aliases", () => {
    expect(deviceCandidates("vol-0abc12345678", ["/dev/sdg"])).toEqual(["/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0abc12345678", "/dev/sdg", "/dev/xvdg"]);
    expect(deviceCandidates("vol-0abc12345678", ["/dev/nvme1n1", "/dev/xvdf"])).toEqual(["/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0abc12345678", "/dev/nvme1n1", "/dev/xvdf"]);
  });

  test("the device search is bounded and says which volume was not seen", () => {
    const lines = findDeviceLines("vol-0abc12345678", ["/dev/sdg"], 30).join("\n");
    expect(lines).toContain("end=$(( $(date +%s) + 30 ))");
    expect(lines).toContain("'volume vol-0abc12345678 is not visible on this host as any of: /dev/sdg (is it attached?)'");
  });
});

describe("stop and unmount", () => {
  test("stops only the database container, syncs, and unmounts only when mounted", () => {
    const s = inner(stopDatabaseAndUnmount(db, "/srv/postgres-data"));
    expect(s.split("\n").slice(0, 6)).toEqual([
      "set -eu",
      "cd /opt/services/postgres",
      "docker compose stop voiceai-postgres",
      'echo "db-stopped-at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"',
      "sync",
      "if mountpoint -q /srv/postgres-data; then",
    ]);
    expect(s).toContain("umount /srv/postgres-data || {");
  });

  test("a hostile mount path stays one word", () => {
    const s = inner(stopDatabaseAndUnmount(db, EVIL));
    expect(s).toContain(`mountpoint -q '/srv/it'\\''s $(touch pwned) \`x\`'; then`);
    expect(s).not.toMatch(/mountpoint -q \/srv/);
  });
});

describe("mount and start", () => {
  const args = { volumeId: "vol-0fedcba9876543210", devices: ["/dev/sdg"], mount: "/srv/postgres-data", readyTimeoutSeconds: 120 };

  test("mounts (XFS with nouuid: the old volume has the same filesystem UUID), starts the container, waits for pg_isready", () => {
    const s = inner(mountAndStartDatabase(db, args));
    expect(s).toContain('if [ "$fstype" = xfs ]; then mount -o nouuid "$dev" /srv/postgres-data; else mount "$dev" /srv/postgres-data; fi');
    expect(s).toContain("docker compose up -d voiceai-postgres");
    expect(s).toContain("until docker compose exec -T voiceai-postgres pg_isready -q -U delphi -d delphi; do");
    expect(s).toContain("end=$(( $(date +%s) + 120 ))");
    // A re-run finds the volume mounted and goes on; another volume on the mount point fails it.
    expect(s).toContain("cur=$(findmnt -n -o SOURCE --mountpoint /srv/postgres-data || true)");
  });

  test("a hostile mount path and volume id stay one word each", () => {
    const s = inner(mountAndStartDatabase(db, { ...args, mount: EVIL, volumeId: "vol-1'; reboot; '" }));
    expect(s).toContain(`mount "$dev" '/srv/it'\\''s $(touch pwned) \`x\`'; fi`);
    expect(s).toContain(`(volume "'vol-1'\\''; reboot; '\\'''"); unmount it first.`);
    expect(s).not.toMatch(/; reboot; [^']/);
  });

  test("the whole script parses with sh -n", () => {
    for (const cmd of [mountAndStartDatabase(db, { ...args, mount: EVIL }), stopDatabaseAndUnmount(db, EVIL)])
      expect(() => execFileSync("/bin/sh", ["-n", "-c", inner(cmd)])).not.toThrow();
  });
});
