// Mechanism pg-restore: a pg_dump archive restored into a fresh database beside the live one,
// then switched in (the replaced database is kept); rollback renames it back, sign-off archives
// and removes it. Owns its config rules, shell builders, plan, kept data, preflight check and
// summary; imports src/config, src/shell, src/runbook, src/steps, never another mechanism.
import { declareRunbook } from "../../steps/declare-runbook";
import { programHostRun } from "../../steps/host-run";
import type { Mechanism } from "../mechanism";
import { pgRestoreConfig } from "./config-rules";
import { pgRestoreKept } from "./kept";
import { pgRestorePlan } from "./plan";
import { resolveDump } from "./resolve";
import { dumpCheck } from "./preflight";
import { summarizePgRestore } from "./summary";

export const pgRestore: Mechanism = {
  config: pgRestoreConfig,
  plan: pgRestorePlan,
  kept: pgRestoreKept,
  declare: async (c, secrets, ctx) => {
    const resolved = await resolveDump(c, programHostRun(c, secrets, ctx));
    return declareRunbook(resolved, secrets, ctx, pgRestorePlan(resolved), pgRestoreKept(c));
  },
  preflight: (c, db, verified) => [dumpCheck(c, db, verified)],
  summary: summarizePgRestore,
  restoresDumps: true,
};
