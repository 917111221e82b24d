// The rules of the aws block every AWS mechanism shares: no reserved tag keys, and the old database
// (or data volume) is released for deletion only at sign-off.
import type { AddProblem } from "./problems";
import { NAMESPACE, type ParsedConfig } from "./schema";

export type AwsBlock = NonNullable<ParsedConfig["aws"]>;

/** `replaces`: what the mechanism replaces, in words ("database", "data volume"). */
export function awsTagAndReleaseChecks(c: ParsedConfig, a: AwsBlock, add: AddProblem, replaces: string): void {
  for (const k of Object.keys(a.tags))
    if (k.toLowerCase().startsWith("aws:")) add(["aws", "tags", k], "uses the prefix 'aws:', which AWS reserves for its own tags", `remove it: pulumi config rm --path '${NAMESPACE}:aws.tags.${k}'`, a.tags[k]);
  if (a.releaseOld && c.phase !== "signoff")
    add(["aws", "releaseOld"], `arms the deletion of the old ${replaces} and is only allowed in phase signoff (phase is ${c.phase})`, `first sign off: pulumi config set '${NAMESPACE}:phase' signoff && pulumi up (see docs/aws.md)`, true);
}
