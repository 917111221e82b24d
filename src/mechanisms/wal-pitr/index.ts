// Mechanism wal-pitr: a base backup recovered from the WAL archive to a target (time, xid, lsn,
// restore point or latest) in place of the data directory; the replaced one is kept, rollback
// puts it back, sign-off archives and removes it. Owns its schema, config rules, WAL parsing and
// shell builders, the reach decision, plan, kept data, preflight check, summary and the archive
// reading `find-target` does; imports src/config, src/shell, src/runbook, src/resources,
// src/steps, never another mechanism.
import { declareRunbook } from "../../steps/declare-runbook";
import type { Mechanism } from "../mechanism";
import { walChoice } from "./choice";
import { walPitrConfig } from "./config-rules";
import { walPitrKept } from "./kept";
import { planWalPitr } from "./plan";
import { targetChecks } from "./preflight";
import { summarizePitr } from "./summary";

export const walPitr: Mechanism = {
  config: walPitrConfig,
  // Without the archive read (status, the summary's plan): the commands name placeholders.
  plan: (c) => planWalPitr(c),
  kept: walPitrKept,
  declare: async (c, secrets, ctx) => declareRunbook(c, secrets, ctx, planWalPitr(c, await walChoice(c, secrets, ctx)), walPitrKept(c)),
  finalChecks: targetChecks,
  summary: summarizePitr,
  findsTargets: true,
};
