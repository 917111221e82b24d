// The config of mechanism aws-pitr (a leaf: zod and the field builders only): its three names and
// its keys of the aws block (src/config/schema.ts adds ebs-snapshot's aws.ebs and the shared releaseOld).
import { z } from "zod";
import { HOSTNAME_RE, isoTime } from "../../config/fields";

/** Aurora point-in-time, RDS point-in-time, RDS from a snapshot: one mechanism, three sources. */
export const AWS_PITR_NAMES = ["aurora-pitr", "rds-pitr", "rds-snapshot"] as const;

const AWS_ID_RE = /^[a-zA-Z][a-zA-Z0-9-]{0,62}$/;
const AWS_REGION_RE = /^[a-z]{2}(?:-gov)?-[a-z]+-\d$/;
const ARN_RE = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$/;
const ZONE_ID_RE = /^Z[A-Z0-9]{1,32}$/;
const INSTANCE_CLASS_RE = /^db\.[a-z0-9]+\.[a-z0-9]+$/;

export const awsPitrFields = {
  region: z.string().regex(AWS_REGION_RE, { error: "must be an AWS region such as eu-west-1" }),
  sourceClusterIdentifier: z.string().regex(AWS_ID_RE, { error: "must be an RDS cluster identifier: a letter, then letters, digits or '-', at most 63" }).optional(),
  sourceInstanceIdentifier: z.string().regex(AWS_ID_RE, { error: "must be an RDS instance identifier: a letter, then letters, digits or '-', at most 63" }).optional(),
  snapshotIdentifier: z.string().regex(/^[a-zA-Z][a-zA-Z0-9-:]{0,254}$/, { error: "must be an RDS snapshot identifier or ARN" }).optional(),
  targetTime: isoTime("point-in-time target").optional(),
  useLatestRestorableTime: z.boolean({ error: "must be true or false" }).default(false),
  instanceClass: z.string().regex(INSTANCE_CLASS_RE, { error: "must be an RDS instance class such as db.r6g.large" }).optional(),
  readers: z.number().int({ error: "must be a whole number" }).min(0, { error: "must be between 0 and 15" }).max(15, { error: "must be between 0 and 15" }).default(0),
  databaseUrlSecretArn: z.string().regex(ARN_RE, { error: "must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)" }).optional(),
  route53: z
    .strictObject({
      zoneId: z.string().regex(ZONE_ID_RE, { error: "must be a Route53 hosted zone id such as Z0123456789ABC" }),
      name: z.string().refine((n) => HOSTNAME_RE.test(n.replace(/\.$/, "")), { error: "must be a DNS name" }),
      ttl: z.number().int().min(5, { error: "must be between 5 and 86400 seconds" }).max(86400, { error: "must be between 5 and 86400 seconds" }).default(60),
    })
    .optional(),
  tags: z.record(z.string().regex(/^[A-Za-z0-9 _.:/=+@-]{1,128}$/), z.string().max(256)).default({}),
};
