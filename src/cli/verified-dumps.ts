// Which dumps preflight has read in full, per host (`.state/verified-dumps.json`): a preview and
// then an `up` on a 100 GB dump should not read it twice more. Keyed by path, size and mtime as
// the db host reports them; the pre-restore snapshot step reads the dump again regardless, inside
// the engine, before anything stops.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { VerifiedDumps } from "../runbook/checks";
import { STATE_DIR } from "./workspace";

type Entries = Record<string, { key: string; at: string }>;

export function verifiedDumps(file = join(STATE_DIR, "verified-dumps.json")): VerifiedDumps {
  let entries: Entries = {};
  try {
    entries = JSON.parse(readFileSync(file, "utf8")) as Entries;
  } catch {
    // None yet (or unreadable): every dump is read in full.
  }
  return {
    get: (host) => entries[host],
    set: (host, key) => {
      entries = { ...entries, [host]: { key, at: new Date().toISOString().replace(/\.\d+Z$/, "Z") } };
      try {
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, `${JSON.stringify(entries, null, 2)}\n`, { mode: 0o600 });
      } catch {
        // Only a saving: the next preflight reads the dump in full again.
      }
    },
  };
}
