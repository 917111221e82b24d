// How every command reaches a host: the ssh argv (pinned key, batch mode), the fingerprint shown
// to operators (checked against ssh-keygen itself) and the words for ssh's own failures.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { statSync } from "node:fs";
import { explainSshFailure, hostKeyAlias, hostKeyFingerprint, knownHostsLine, oneAtATime, SHARE_SECONDS, shareDir, sharePath, sshArgs, STILL_RUNNING_EXIT, type HostTarget } from "../../../src/resources/ssh-exec";
import { HOST_KEY } from "../fixtures/pg-config";

const web: HostTarget = { name: "web", address: "10.0.1.10", port: 2222, user: "deploy", local: false, hostKey: HOST_KEY };

describe("sshArgs", () => {
  const args = sshArgs(web, { knownHosts: "/tmp/x/known_hosts", identity: "/tmp/x/id" }, "docker compose stop");
  const opts = args.flatMap((a, i) => (args[i - 1] === "-o" ? [a] : []));

  it("trusts exactly the pinned key: strict checking, only our known_hosts, keyed by the host's alias", () => {
    expect(opts).toEqual(expect.arrayContaining(["StrictHostKeyChecking=yes", "UserKnownHostsFile=/tmp/x/known_hosts", "GlobalKnownHostsFile=/dev/null", "HostKeyAlias=delphi-restore-web", "UpdateHostKeys=no"]));
    expect(knownHostsLine(web)).toBe(`${hostKeyAlias("web")} ${HOST_KEY}\n`);
  });

  it("never prompts, gives up on a dead host, and notices a dead peer", () => {
    expect(opts).toEqual(expect.arrayContaining(["BatchMode=yes", "ConnectTimeout=10", "ServerAliveInterval=15", "ServerAliveCountMax=4", "IdentitiesOnly=yes"]));
  });

  it("passes the command as one argument after `--`, with the port and user as their own arguments", () => {
    expect(args.slice(-3)).toEqual(["10.0.1.10", "--", "docker compose stop"]);
    expect(args.slice(0, 5)).toEqual(["-T", "-p", "2222", "-l", "deploy"]);
  });

  it("without a key file, leaves identities to the agent and ssh_config", () => {
    expect(sshArgs(web, { knownHosts: "/k" }, "true")).not.toContain("-i");
  });
});

describe("connection sharing", () => {
  it("shares one connection per host through a socket in a private folder, kept open a while after the last command", () => {
    const args = sshArgs(web, { knownHosts: "/k", share: "/run/x/abc" }, "true");
    const opts = args.flatMap((a, i) => (args[i - 1] === "-o" ? [a] : []));
    expect(opts).toEqual(expect.arrayContaining(["ControlMaster=auto", "ControlPath=/run/x/abc", `ControlPersist=${SHARE_SECONDS}`]));
    expect(sshArgs(web, { knownHosts: "/k" }, "true").join(" ")).not.toContain("Control");
    const dir = shareDir();
    expect(dir).toBeDefined();
    expect(statSync(dir as string).mode & 0o777).toBe(0o700);
  });

  it("never lets a changed key, host key, user or address ride on a connection made with the old one", () => {
    const base = sharePath("/d", web, "KEY-A");
    expect(sharePath("/d", web, "KEY-A")).toBe(base);
    for (const other of [sharePath("/d", web, "KEY-B"), sharePath("/d", { ...web, hostKey: "ssh-ed25519 BBBB" }, "KEY-A"), sharePath("/d", { ...web, user: "root" }, "KEY-A"), sharePath("/d", { ...web, port: 22 }, "KEY-A")])
      expect(other).not.toBe(base);
    // The socket's name says nothing about the key, and fits a Unix socket path.
    expect(base).not.toContain("KEY");
    expect(base.length).toBeLessThan(40);
  });

  it("is off with DELPHI_RESTORE_SSH_SHARING=off", () => {
    process.env.DELPHI_RESTORE_SSH_SHARING = "off";
    try {
      expect(shareDir()).toBeUndefined();
    } finally {
      delete process.env.DELPHI_RESTORE_SSH_SHARING;
    }
  });
});

describe("hostKeyFingerprint", () => {
  it("is what ssh-keygen -lf prints for the same key", async () => {
    const dir = mkdtempSync(join(tmpdir(), "delphi-fp-"));
    try {
      await execa("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "k")]);
      const pub = readFileSync(join(dir, "k.pub"), "utf8").trim();
      const printed = (await execa("ssh-keygen", ["-lf", join(dir, "k.pub")])).stdout.split(" ")[1];
      expect(hostKeyFingerprint(pub)).toBe(`ssh-ed25519 ${printed}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("explainSshFailure", () => {
  it("names a changed host key, the pinned fingerprint and what to do", () => {
    const why = explainSshFailure(web, 255, "@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n...\nHost key verification failed.\n");
    expect(why).toContain("host web (deploy@10.0.1.10:2222) presented a host key that differs from hosts.web.hostKey");
    expect(why).toContain(hostKeyFingerprint(HOST_KEY));
    expect(why).toContain("nothing was run on it");
  });

  it("names a refused key and an unreachable host; a command's own exit code is not ssh's", () => {
    expect(explainSshFailure(web, 255, "deploy@10.0.1.10: Permission denied (publickey).")).toContain("refused the SSH key");
    expect(explainSshFailure(web, 255, "ssh: connect to host 10.0.1.10 port 2222: Connection refused")).toContain("cannot be reached over SSH");
    expect(explainSshFailure(web, 255, "Connection to 10.0.1.10 closed by remote host.")).toContain("dropped the SSH connection while the command ran (Connection to 10.0.1.10 closed by remote host.); the command may still be running there");
    expect(explainSshFailure(web, 1, "Host key verification failed.")).toBeUndefined();
    expect(explainSshFailure({ ...web, local: true }, 255, "Connection refused")).toBeUndefined();
  });
});

describe("oneAtATime: a re-run never overlaps an earlier run still going on the host", () => {
  const label = () => `unit-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const sh = (cmd: string) => execa("sh", ["-c", cmd], { reject: false });

  it("runs the command as it was written (quotes, $, newlines) and passes its exit code on", async () => {
    const r = await sh(oneAtATime(label(), `printf '%s|' "it's" '$HOME'\necho; exit 3`, 10));
    expect([r.exitCode, r.stdout]).toEqual([3, "it's|$HOME|"]);
  });

  it("a second run of the same command waits for the first and says why; another command does not wait", async () => {
    const name = label();
    const first = sh(oneAtATime(name, "sleep 1; echo first", 30));
    await new Promise((r) => setTimeout(r, 300));
    const other = await sh(oneAtATime(label(), "echo other", 30));
    expect(other.stderr).toBe("");
    const t0 = Date.now();
    const second = await sh(oneAtATime(name, "echo second", 30));
    expect((await first).stdout).toBe("first");
    expect(second.stdout).toBe("second");
    expect(Date.now() - t0).toBeGreaterThan(400);
    expect(second.stderr).toContain(`waiting: an earlier run of ${name} is still running on this host`);
  });

  it("gives up after the wait with its own exit code, running nothing", async () => {
    const name = label();
    const first = sh(oneAtATime(name, "sleep 3", 30));
    await new Promise((r) => setTimeout(r, 300));
    const second = await sh(oneAtATime(name, "echo ran", 1));
    expect([second.exitCode, second.stdout]).toEqual([STILL_RUNNING_EXIT, ""]);
    await first;
  });

  it("a service the command starts in the background does not keep the lock", async () => {
    const name = label();
    const r = await sh(`${oneAtATime(name, "(sleep 5 >/dev/null 2>&1 &); echo started", 30)}`);
    expect(r.stdout).toBe("started");
    const t0 = Date.now();
    const again = await sh(oneAtATime(name, "echo again", 30));
    expect([again.stdout, again.stderr]).toEqual(["again", ""]);
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});
