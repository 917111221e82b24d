// src/sandbox/images/: the service images, built here (this file) from ./postgres/ and ./service/.
// Imports the sandbox's root files, ../engine and ../postgres.
//
// The sandbox's images, built here because no registry is reachable: a Debian base made by
// `debootstrap --variant=minbase` from the machine's own Debian mirror (its tarball cached per
// user), imported into the sandbox's engine, and two images FROM it (src/sandbox/images/*: the
// database and the Delphi services). Each tag carries a hash of its definition (Dockerfile, the
// files copied in, build arguments, base), so a changed definition builds anew and an unchanged
// one is reused from the engine's data root, across checkouts.
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { MissingProgramError } from "../binaries";
import { cacheDir, docker } from "../engine";
import { serverUserIds } from "../postgres";

const IMAGES_DIR = __dirname;
const SQL_DIR = join(__dirname, "..", "postgres", "sql");
const MIRROR = "http://deb.debian.org/debian";

export interface SandboxImages {
  postgres: string;
  service: string;
}

/** One image's definition: its Dockerfile folder, extra files copied into the build context, build arguments. */
export interface ImageDefinition {
  name: string;
  dockerfileDir: string;
  files: Record<string, string>;
  args: Record<string, string>;
}

/** `delphi-sandbox/<name>:<12 hex of the definition>`: equal definitions, equal tags. */
export function imageTag(def: ImageDefinition, base: string): string {
  const h = createHash("sha256");
  h.update(`base ${base}\n`);
  for (const [k, v] of Object.entries(def.args).sort()) h.update(`arg ${k}=${v}\n`);
  const files: Record<string, string> = { Dockerfile: join(def.dockerfileDir, "Dockerfile"), ...def.files };
  for (const [name, path] of Object.entries(files).sort()) h.update(`file ${name}\n`).update(readFileSync(path));
  return `delphi-sandbox/${def.name}:${h.digest("hex").slice(0, 12)}`;
}

/** The machine's Debian release (VERSION_CODENAME): the images' packages match the host's, Postgres' major version included. */
export function debianSuite(osRelease = readFileSync("/etc/os-release", "utf8")): string {
  const m = /^VERSION_CODENAME=("?)([a-z]+)\1$/m.exec(osRelease);
  if (!m) throw new Error("cannot tell the Debian release from /etc/os-release (VERSION_CODENAME): the sandbox's images are built from the host's Debian release");
  return m[2];
}

function imageExists(tag: string): Promise<boolean> {
  return docker(["image", "inspect", "--format", "{{.Id}}", tag]).then(
    () => true,
    () => false,
  );
}

/** The minbase root filesystem as a tarball in the cache, made once by debootstrap. */
async function baseTarball(suite: string, log: (line: string) => void): Promise<string> {
  const dir = join(cacheDir(), "images");
  const tarball = join(dir, `debian-${suite}-minbase.tar`);
  if (existsSync(tarball)) return tarball;
  const debootstrap = ["/usr/sbin/debootstrap", "/usr/bin/debootstrap"].find((p) => existsSync(p));
  if (!debootstrap) throw new MissingProgramError("debootstrap", "debootstrap", "the sandbox builds its base image from Debian's mirror (no registry is reachable)");
  mkdirSync(dir, { recursive: true });
  const t0 = Date.now();
  log(`sandbox: building the base image: debootstrap --variant=minbase ${suite} (first time only, about a minute)`);
  const root = mkdtempSync(join(dir, "rootfs-"));
  try {
    const r = await execa(debootstrap, ["--variant=minbase", suite, root, MIRROR], { reject: false, stdin: "ignore" });
    if (r.exitCode !== 0) throw new Error(`debootstrap ${suite} failed: ${String(r.stderr || r.stdout).trim().split("\n").slice(-4).join(" / ")}`);
    const tmp = `${tarball}.partial`;
    await execa("tar", ["-C", root, "--numeric-owner", "-cf", tmp, "."], { stdin: "ignore" });
    renameSync(tmp, tarball);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  log(`sandbox: base root filesystem in ${Math.round((Date.now() - t0) / 1000)}s`);
  return tarball;
}

async function baseImage(log: (line: string) => void): Promise<string> {
  const suite = debianSuite();
  const tag = `delphi-sandbox/base:${suite}-minbase`;
  if (await imageExists(tag)) return tag;
  const tarball = await baseTarball(suite, log);
  await docker(["import", tarball, tag]);
  return tag;
}

/** The two definitions, given the host's Postgres major version and its `postgres` OS user. */
export function imageDefinitions(pgMajor: string, pgIds: { uid: number; gid: number }): { postgres: ImageDefinition; service: ImageDefinition } {
  return {
    // The database runs as the host's postgres uid, so the data directory initdb made on the
    // host (and the restore's file work there) and the container agree on ownership.
    postgres: { name: "postgres", dockerfileDir: join(IMAGES_DIR, "postgres"), files: {}, args: { PG_MAJOR: pgMajor, PG_UID: String(pgIds.uid), PG_GID: String(pgIds.gid) } },
    service: {
      name: "service",
      dockerfileDir: join(IMAGES_DIR, "service"),
      files: {
        "delphi-service.py": join(IMAGES_DIR, "service", "delphi-service.py"),
        "voiceai-calls": join(IMAGES_DIR, "service", "voiceai-calls"),
        "prisma-migrations-table.sql": join(SQL_DIR, "prisma-migrations-table.sql"),
      },
      args: { PG_MAJOR: pgMajor },
    },
  };
}

async function build(def: ImageDefinition, base: string, log: (line: string) => void): Promise<string> {
  const tag = imageTag(def, base);
  if (await imageExists(tag)) return tag;
  const t0 = Date.now();
  log(`sandbox: building image ${tag}`);
  const ctx = mkdtempSync(join(cacheDir(), "images", `ctx-${def.name}-`));
  try {
    copyFileSync(join(def.dockerfileDir, "Dockerfile"), join(ctx, "Dockerfile"));
    for (const [name, path] of Object.entries(def.files)) copyFileSync(path, join(ctx, name));
    const args = Object.entries({ BASE: base, ...def.args }).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]);
    // --network=host: apt reaches Debian's mirror the way the host does (the engine has no bridge).
    await docker(["build", "--quiet", "--network=host", "--label", "delphi-restore.image=1", ...args, "--tag", tag, ctx], { timeoutMs: 900_000 });
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
  // Older builds of the same image are dead weight in the cache.
  const old = (await docker(["image", "ls", "--format", "{{.Repository}}:{{.Tag}}", `delphi-sandbox/${def.name}`])).split("\n").filter((t) => t && t !== tag);
  if (old.length) await docker(["image", "rm", ...old]).catch(() => undefined);
  log(`sandbox: built ${tag} in ${Math.round((Date.now() - t0) / 1000)}s`);
  return tag;
}

/** Build or reuse both images on the running engine. */
export async function ensureImages(pgBin: string, log: (line: string) => void = () => undefined): Promise<SandboxImages> {
  const pgMajor = /\/(\d+)\/bin\/?$/.exec(pgBin)?.[1];
  if (!pgMajor) throw new Error(`cannot tell the Postgres major version from ${pgBin} (expected /usr/lib/postgresql/<major>/bin)`);
  const defs = imageDefinitions(pgMajor, await serverUserIds());
  const base = await baseImage(log);
  mkdirSync(join(cacheDir(), "images"), { recursive: true });
  const [postgres, service] = await Promise.all([build(defs.postgres, base, log), build(defs.service, base, log)]);
  return { postgres, service };
}
