// The system programs the sandbox needs. Each missing one fails with the Debian package that
// provides it, because on a fresh machine that is the only thing the user has to do.
import { accessSync, constants, existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { execaSync } from "execa";

export class MissingProgramError extends Error {
  constructor(program: string, debianPackage: string, why: string) {
    super(`${program} not found: ${why}. Install the Debian package '${debianPackage}' (apt-get install -y ${debianPackage}), or run scripts/setup.sh.`);
    this.name = "MissingProgramError";
  }
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(program: string): string | undefined {
  for (const dir of ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin", ...(process.env.PATH ?? "").split(":")]) {
    if (dir && executable(join(dir, program))) return join(dir, program);
  }
  return undefined;
}

export interface Binaries {
  /** Folder of the PostgreSQL server programs (initdb, pg_ctl, postgres, psql, pg_dump, ...). */
  pgBin: string;
  sshd: string;
  ssh: string;
  sshKeygen: string;
  /** Runs a command as another OS user (Postgres refuses to run as root). */
  runuser: string;
  bash: string;
}

/**
 * The server binaries: `pg_config --bindir` first (it names the installed major version), else
 * the newest /usr/lib/postgresql/<major>/bin. libpq-dev ships pg_config without the server, so
 * the folder must really hold initdb.
 */
export function findPgBin(): string {
  const candidates: string[] = [];
  const pgConfig = onPath("pg_config");
  if (pgConfig) {
    try {
      candidates.push(execaSync(pgConfig, ["--bindir"]).stdout.trim());
    } catch {
      // A broken pg_config is not fatal: the Debian layout below still works.
    }
  }
  const base = "/usr/lib/postgresql";
  if (existsSync(base)) {
    const majors = readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    candidates.push(...majors.map((v) => join(base, v, "bin")));
  }
  const found = candidates.find((d) => executable(join(d, "initdb")) && executable(join(d, "pg_ctl")));
  if (!found) throw new MissingProgramError("PostgreSQL server (initdb, pg_ctl)", "postgresql", "the sandbox runs a real Postgres server");
  return found;
}

export function findBinaries(): Binaries {
  const pgBin = findPgBin();
  const sshd = executable("/usr/sbin/sshd") ? "/usr/sbin/sshd" : onPath("sshd");
  if (!sshd) throw new MissingProgramError("sshd", "openssh-server", "every sandbox host is a real SSH server");
  const ssh = onPath("ssh");
  if (!ssh) throw new MissingProgramError("ssh", "openssh-client", "the sandbox checks its hosts over SSH");
  const sshKeygen = onPath("ssh-keygen");
  if (!sshKeygen) throw new MissingProgramError("ssh-keygen", "openssh-client", "the sandbox generates host and client keys");
  const runuser = onPath("runuser");
  if (!runuser) throw new MissingProgramError("runuser", "util-linux", "Postgres must run as the postgres OS user, not root");
  const bash = onPath("bash");
  if (!bash) throw new MissingProgramError("bash", "bash", "every sandbox host's docker runs the tests' fault and hold hooks, a bash script");
  return { pgBin, sshd, ssh, sshKeygen, runuser, bash };
}

/** What the btrfs data volume needs (`sandbox up --volume btrfs`): only looked up in that mode. */
export interface VolumeBinaries {
  mkfsBtrfs: string;
  btrfs: string;
  losetup: string;
  mount: string;
  umount: string;
}

export function findVolumeBinaries(): VolumeBinaries {
  const need = (program: string, debianPackage: string, why: string): string => {
    const found = onPath(program);
    if (!found) throw new MissingProgramError(program, debianPackage, why);
    return found;
  };
  return {
    mkfsBtrfs: need("mkfs.btrfs", "btrfs-progs", "the sandbox's volume mode formats its data volume as btrfs"),
    btrfs: need("btrfs", "btrfs-progs", "the sandbox's volume mode makes btrfs subvolumes and snapshots"),
    losetup: need("losetup", "mount", "the sandbox's volume mode attaches its image file to a loop device"),
    mount: need("mount", "mount", "the sandbox's volume mode mounts its data volume"),
    umount: need("umount", "mount", "the sandbox's volume mode unmounts its data volume on `sandbox down`"),
  };
}

/**
 * The clean-up's programs, each by its full path when found, else by name: `sandbox down` must
 * still try to release a stale mount on a machine where the lookup above would refuse.
 */
export function cleanupPrograms(): Pick<VolumeBinaries, "losetup" | "umount"> {
  return { losetup: onPath("losetup") ?? "losetup", umount: onPath("umount") ?? "umount" };
}
