// Mechanism ebs-snapshot: a new EBS volume from a snapshot, attached beside the db host's data
// volume and swapped in under the database (same host, same address); rollback swaps back,
// sign-off adopts and then releases the old volume. Owns its schema, config rules, shell
// builders, plan, AWS reads and checks, components, preflight check and summary; imports
// src/config, src/shell, src/runbook, src/resources, src/steps, src/aws, never another mechanism.
// The components load only when declared (see aws-pitr).
import type { Mechanism } from "../mechanism";
import { ebsSnapshotConfig } from "./config-rules";
import { planEbs } from "./plan";
import { dataMountChecks } from "./preflight";
import { summarizeEbs } from "./summary";

export const ebsSnapshot: Mechanism = {
  config: ebsSnapshotConfig,
  declare: async (c, secrets, ctx) => (await import("./declare")).declareEbsRestore(c, secrets, ctx),
  preflight: (c) => (c.database ? dataMountChecks(c, c.database.host) : []),
  summary: (stack, c) => summarizeEbs(stack, c, planEbs(c)),
};
