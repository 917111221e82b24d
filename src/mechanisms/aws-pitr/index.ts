// Mechanism aws-pitr (aurora-pitr, rds-pitr, rds-snapshot): a new Aurora cluster or RDS instance
// restored beside the old one, the services repointed to it (secret and/or DNS); rollback
// repoints back, sign-off adopts and then releases the old database. Owns its schema, config
// rules, plan, AWS reads and checks, components and summary; imports src/config, src/runbook,
// src/steps, src/aws, never another mechanism. The components load only when declared, so a
// self-managed restore never loads the AWS provider.
import type { Mechanism } from "../mechanism";
import { awsPitrConfig } from "./config-rules";
import { planAws } from "./plan";
import { summarizeAws } from "./summary";

export const awsPitr: Mechanism = {
  config: awsPitrConfig,
  declare: async (c, secrets, ctx) => (await import("./declare")).declareAwsRestore(c, secrets, ctx),
  summary: (stack, c) => summarizeAws(stack, c, planAws(c)),
};
