// How every command reaches a host: the ssh argv (pinned key, batch mode), the fingerprint shown
// to operators (checked against ssh-keygen itself) and the words for ssh's own failures.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { explainSshFailure, hostKeyAlias, hostKeyFingerprint, knownHostsLine, sshArgs, type HostTarget } from "../../../src/resources/ssh-exec";
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
    expect(explainSshFailure(web, 1, "Host key verification failed.")).toBeUndefined();
    expect(explainSshFailure({ ...web, local: true }, 255, "Connection refused")).toBeUndefined();
  });
});
