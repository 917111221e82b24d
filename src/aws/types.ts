// src/aws/: what the AWS mechanisms (aws-pitr, ebs-snapshot) share, so that neither imports the
// other: these types, the invoke reader (./read.ts) and the runbook steps they declare alike
// (./shared-steps.ts). Imports src/config, src/runbook and src/steps; never a mechanism.
//
// What the AWS mechanisms' components share: the options that keep what they create, the
// arguments every AWS step takes, and the two stages of sign-off.
import type * as pulumi from "@pulumi/pulumi";

/** Never deleted by Pulumi: destroy refuses (protect), and without protect it only forgets (retainOnDelete). */
export const KEEP = { protect: true, retainOnDelete: true } as const;

export interface AwsStepArgs {
  /** The previous step: nothing here starts before it finished. */
  after: pulumi.Resource[];
}

/** Sign-off happens in two `pulumi up`s: adopt the old database unchanged, then release it for deletion. */
export type SignoffStage = "adopt" | "release";
