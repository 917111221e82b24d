// The host-command provider's own behaviour, run for real on this machine through /bin/sh (a host
// marked local), and as the engine's provider host runs it: from its serialised text.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, describe, expect, it } from "vitest";
import { hostCommandProvider } from "../../../src/resources/host-command";

type Provider = Required<pulumi.dynamic.ResourceProvider>;
const provider = hostCommandProvider as Provider;
const local = { name: "web", address: "localhost", port: 0, user: "", local: true };
const inputs = (create: string, extra: Record<string, unknown> = {}) => ({ label: "quiesce-web-web", connection: local, create, triggers: ['{"dump":"a.dump"}'], ...extra });
const scratch = mkdtempSync(join(tmpdir(), "delphi-host-command-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("create", () => {
  it("runs the command and returns its output, exit code and times; stdin reaches it and is not kept", async () => {
    const r = await provider.create(inputs("cat; echo done; echo note >&2", { stdin: "from-stdin\n" }));
    expect(r.outs.stdout).toBe("from-stdin\ndone\n");
    expect(r.outs.stderr).toBe("note\n");
    expect(r.outs.exitCode).toBe(0);
    expect(Date.parse(r.outs.endedAt)).toBeGreaterThanOrEqual(Date.parse(r.outs.startedAt));
    expect(JSON.stringify(r.outs)).not.toContain("from-stdin\\n\"");
    expect(Object.keys(r.outs)).not.toContain("stdin");
    expect(r.id).toMatch(/^quiesce-web-web-/);
  });

  it("a non-zero exit fails with the command's name, the host, the exit code and the last lines of stderr", async () => {
    const run = provider.create(inputs("echo first >&2; for i in 1 2 3 4 5 6 7 8 9; do echo line$i >&2; done; exit 3"));
    await expect(run).rejects.toThrow(/^quiesce-web-web failed on host web \(local\) with exit code 3:\nline2\n[\s\S]*line9$/);
    await expect(provider.create(inputs("exit 3"))).rejects.not.toThrow(/first/);
  });

  it("a command that outlives its timeout is killed and says so", async () => {
    await expect(provider.create(inputs("sleep 30", { timeoutSeconds: 1 }))).rejects.toThrow(/exit code 143 \(killed after 1s\)/);
  });

  it("a remote host without a pinned host key is refused before ssh is started", async () => {
    await expect(provider.create(inputs("echo hi", { connection: { ...local, local: false, address: "127.0.0.1", port: 1 } }))).rejects.toThrow("host web has no pinned host key");
  });
});

describe("diff, update, delete", () => {
  const olds = { label: "quiesce-web-web", connection: { address: "127.0.0.1", local: false, name: "web", port: 2222, user: "root", hostKey: "ssh-ed25519 AAAA" }, create: "docker compose stop", triggers: ['{"dump":"a.dump"}'], stdout: "stopped-at=x", stderr: "", exitCode: 0, startedAt: "t0", endedAt: "t1" };
  const news = { label: "quiesce-web-web", connection: { name: "web", address: "127.0.0.1", port: 2222, user: "root", local: false, hostKey: "ssh-ed25519 AAAA", privateKey: "KEY" }, create: "docker compose stop", triggers: ['{"dump":"a.dump"}'] };

  it("unchanged inputs (keys in any order, the private key not compared): no change, nothing runs", async () => {
    expect(await provider.diff("id", olds, news)).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
  });

  it("a changed command or trigger (a new restore) is an in-place update that runs the command again, not a replacement", async () => {
    for (const changed of [{ ...news, create: "docker compose stop -t 5" }, { ...news, triggers: ['{"dump":"b.dump"}'] }]) expect(await provider.diff("id", olds, changed)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    const ran = join(scratch, "update-ran-again");
    const u = await provider.update("id", olds, { ...news, connection: local, create: `touch ${ran}; echo again`, triggers: ['{"dump":"b.dump"}'] });
    expect(existsSync(ran)).toBe(true);
    expect(u.outs).toMatchObject({ stdout: "again\n", exitCode: 0, triggers: ['{"dump":"b.dump"}'], create: `touch ${ran}; echo again` });
    expect(u.outs.startedAt).not.toBe(olds.startedAt);
    // A failing run fails the update: the engine keeps the old outputs, so `up` tries it again.
    await expect(provider.update("id", olds, { ...news, connection: local, create: "exit 4", triggers: ['{"dump":"c.dump"}'] })).rejects.toThrow(/exit code 4/);
  });

  it("a moved host (new port) is an update that keeps the last run's output and runs nothing", async () => {
    const moved = { ...news, create: `touch ${join(scratch, "update-ran")}`, connection: { ...news.connection, port: 2223 } };
    const d = await provider.diff("id", { ...olds, create: moved.create }, moved);
    expect([d.changes, d.replaces]).toEqual([true, []]);
    const u = await provider.update("id", { ...olds, create: moved.create }, moved);
    expect(u.outs).toMatchObject({ stdout: "stopped-at=x", connection: { port: 2223 } });
    expect(JSON.stringify(u.outs)).not.toContain("KEY");
    expect(existsSync(join(scratch, "update-ran"))).toBe(false);
  });

  it("delete runs nothing: `pulumi destroy` never stops a service", async () => {
    await provider.delete("id", { ...olds, connection: local, create: `touch ${join(scratch, "delete-ran")}` });
    expect(existsSync(join(scratch, "delete-ran"))).toBe(false);
  });
});

describe("the provider as the engine's provider host loads it", () => {
  it("serialises without machine paths or secrets, and the serialised text runs a command", async () => {
    const sf = await pulumi.runtime.serializeFunction(() => hostCommandProvider, { allowSecrets: true });
    expect(sf.containsSecrets).toBe(false);
    expect(sf.text).not.toContain(resolve(__dirname, "..", "..", ".."));
    // What pulumi-resource-pulumi-nodejs does with `__provider`: load the text, call handler().
    const mod = { exports: {} as { handler: () => Provider } };
    new Function("exports", "module", "require", sf.text)(mod.exports, mod, require);
    const loaded = mod.exports.handler();
    const r = await loaded.create(inputs("echo from-serialised"));
    expect(r.outs.stdout).toBe("from-serialised\n");
  });
});
