// One command on a sandbox host over SSH as a user would type it: the sandbox's key, its pinned
// host keys (StrictHostKeyChecking=yes), batch mode. Never throws; the result carries the exit code.
import { execa } from "execa";
import type { SandboxHost, StartResult } from "../../../src/sandbox";

export async function sshHost(info: StartResult, hostName: string, command: string) {
  const h = info.hosts.find((x) => x.name === hostName) as SandboxHost;
  return execa(
    "ssh",
    ["-i", info.sshKeyFile, "-p", String(h.port), "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${info.knownHostsFile}`, "-o", "LogLevel=ERROR", `${h.user}@${h.address}`, "--", command],
    { reject: false, stdin: "ignore" },
  );
}
