// Preflight of pg-restore on the db host: the dump reads in full (or is the one read in full
// before, unchanged since).
import type { RestoreConfig } from "../../config";
import type { Check, VerifiedDumps } from "../../runbook/checks";
import * as sh from "../../shell";

export const DUMP_CHECK = "dump reads in full";

export function dumpCheck(c: RestoreConfig, db: sh.DbTarget, verified?: VerifiedDumps): Check {
  const d = c.database;
  if (!d) throw new Error("pg-restore needs database (config validation should have said so)");
  const dump = d.backupDir.replace(/\/+$/, "") + "/" + (c.dump ?? "");
  const dumpExpr = sh.dumpExprOf(db, d.backupDir, c.dump);
  // The whole dump, not only its table of contents: a dump cut short lists fine and fails
  // half-way through pg_restore, after services stopped (docs/safety.md has the cost).
  return {
    check: DUMP_CHECK,
    host: d.host,
    command: sh.script([`cd ${sh.quote(db.dir)}`, ...sh.dumpReadsInFull(db, dumpExpr, "nothing was changed", verified ? { skipIfUnchanged: verified.get(d.host)?.key ?? "" } : {})]),
    judge: (out) => {
      const last = out.trim().split("\n").at(-1) ?? "";
      const at = verified?.get(d.host)?.at;
      return last.startsWith("dump-unchanged=")
        ? { ok: true, detail: last.replace(/^dump-unchanged=/, ""), note: `read in full at ${at}; same size and mtime since, not read again` }
        : { ok: true, detail: last.replace(/^dump-verified=/, "") };
    },
    verifiesDump: true,
    failHint: c.dump ? `the dump ${dump} is missing or not a pg_dump archive` : `no readable *.dump in ${d.backupDir}`,
  };
}
