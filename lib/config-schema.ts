/**
 * The shape of `lifeboat.config.json`, as a strict zod schema with defaults.
 * Every `error` text says what is allowed, so a ConfigError line reads "<path>: <what is wrong>; <the fix>".
 * Cross-field checks (duplicates, references between keys, selectors, derived names) live in config.ts and the
 * config-*.ts files it calls; the name and IPv4 rules are the runtime's own (runtime/core/names.ts, ipv4.ts).
 */
import { z } from 'zod';
import { IPV4_PATTERN, IPV4_RULE } from '../runtime/core/ipv4';
import { NAME_PATTERN, NAME_RULE, nameProblem } from '../runtime/core/names';

const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

/** Below 5 minutes, every volume gets a snapshot and every VPG a schedule run that often: EBS snapshot and EventBridge/Step Functions costs grow with no gain in RPO the block read can deliver. */
export const MIN_SYNC_INTERVAL_MINUTES = 5;
export const MAX_SYNC_INTERVAL_MINUTES = 1440;
/** Step Functions inline Map runs at most 40 iterations at once. */
export const MAX_ZSATS_LIMIT = 40;

/** Site ids and VPG names become parts of resource names, tag values and S3 keys: the runtime's own rule (runtime/core/names.ts). */
const name = (what: string) =>
  z.string({ error: `must be a string of ${NAME_RULE} (${what})` }).regex(NAME_PATTERN, {
    error: (issue) => `must be ${NAME_RULE} (${what}), and ${JSON.stringify(issue.input)} ${nameProblem(issue.input)}; e.g. "site-a"`,
  });

const instanceId = z
  .string({ error: 'must be an EC2 instance id string such as "i-0123456789abcdef0"' })
  .regex(INSTANCE_ID, { error: 'must be an EC2 instance id such as "i-0123456789abcdef0"' });

const intIn = (min: number, max: number, why = '') =>
  z
    .number({ error: `must be a whole number from ${min} to ${max}${why}` })
    .int({ error: `must be a whole number from ${min} to ${max}${why}` })
    .min(min, { error: `must be at least ${min}${why}` })
    .max(max, { error: `must be at most ${max}${why}` });

const awsId = (prefix: string, example: string) =>
  z
    .string({ error: `must be a ${prefix} id string such as "${example}"` })
    .regex(new RegExp(`^${prefix}-[0-9a-f]{8,17}$`), { error: `must be a ${prefix} id such as "${example}"` });

const instanceType = z
  .string({ error: 'must be an EC2 instance type string such as "c6i.large"' })
  .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, { error: 'must be an EC2 instance type such as "c6i.large"' });

/** Enough to ride out a zone short of one family; each fallback costs a RunInstances call of the launching step. */
const MAX_INSTANCE_TYPES = 5;

/** zSAT readers and ZImporter writers share this shape. */
const workerSchema = () =>
  z
    .strictObject({
      /** VPC of the worker security group and subnets; without it, the account's default VPC (docs/deploying.md). */
      vpcId: awsId('vpc', 'vpc-0123456789abcdef0').optional(),
      /** At most one subnet per Availability Zone: a worker launches in the subnet of its volumes' zone. */
      subnetIds: z
        .array(awsId('subnet', 'subnet-0123456789abcdef0'), { error: 'must be an array of subnet ids, at most one per Availability Zone' })
        .min(1, { error: 'must list at least one subnet (one per Availability Zone with protected volumes)' })
        .optional(),
      /** The same as subnetIds: [subnetId] (the key before subnets per zone). */
      subnetId: awsId('subnet', 'subnet-0123456789abcdef0').optional(),
      /** Create an S3 gateway endpoint in vpcId on these route tables (the workers' subnets' tables). Off by default. */
      s3GatewayEndpoint: z
        .strictObject({
          routeTableIds: z
            .array(awsId('rtb', 'rtb-0123456789abcdef0'), { error: 'must be an array of route table ids' })
            .min(1, { error: 'must list at least one route table (those of the worker subnets)' }),
        })
        .optional(),
      /** The one instance type to launch; unset: the first of instanceTypes, else the default (lib/config-instance-types.ts). */
      instanceType: instanceType.optional(),
      /** Instance types to try in order when EC2 has no capacity for one or the zone does not offer it; the first is preferred. */
      instanceTypes: z
        .array(instanceType, { error: 'must be an array of EC2 instance types, the preferred first' })
        .min(1, { error: 'must list at least one instance type' })
        .max(MAX_INSTANCE_TYPES, { error: `must list at most ${MAX_INSTANCE_TYPES} instance types` })
        .optional(),
      volumesPerZsat: intIn(1, 20, ' (EBS volumes attached to one worker)').default(4),
      maxZsats: intIn(1, MAX_ZSATS_LIMIT, ' (workers at once; a Step Functions inline Map runs at most 40)').default(8),
      amiId: awsId('ami', 'ami-0123456789abcdef0').optional(),
    })
    .prefault({});

const storeSchema = z
  .strictObject({
    bucketName: z
      .string({ error: 'must be an S3 bucket name string' })
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: 'must be an S3 bucket name: 3-63 characters a-z, 0-9, "." or "-"' })
      .optional(),
    region: z
      .string({ error: 'must be an AWS region string such as "eu-west-1"' })
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: 'must be an AWS region such as "eu-west-1"' })
      .optional(),
    encryption: z.enum(['s3', 'kms'], { error: 'must be "s3" (SSE-S3) or "kms" (a customer managed KMS key the site stack creates)' }).default('s3'),
    objectLock: z
      .strictObject({
        mode: z.enum(['GOVERNANCE', 'COMPLIANCE'], { error: 'must be "GOVERNANCE" or "COMPLIANCE"' }),
        days: intIn(1, 36500, ' (default retention of every object)'),
      })
      .optional(),
  })
  .prefault({});

const instancesSchema = z.strictObject(
  {
    tags: z
      .record(
        // A key ending in ".$" would read as a JSONPath in the state machine's Init state.
        z.string().regex(/^(?!aws:)(?!.*\.\$$).{1,128}$/, { error: 'must be an EC2 tag key: 1-128 characters, not starting with "aws:", not ending in ".$"' }),
        z.string({ error: 'must be a string tag value' }).max(256, { error: 'must be at most 256 characters (EC2 tag values)' }),
        { error: 'must be an object of tag key → value' },
      )
      .optional(),
    ids: z.array(instanceId, { error: 'must be an array of EC2 instance ids' }).optional(),
  },
  { error: 'must be an object with "ids" (instance ids) and/or "tags" (tag key → value)' },
);

const recoverySchema = z
  .strictObject({
    subnetId: awsId('subnet', 'subnet-0123456789abcdef0').optional(),
    securityGroupIds: z.array(awsId('sg', 'sg-0123456789abcdef0'), { error: 'must be an array of security group ids' }).optional(),
    instanceType: instanceType.optional(),
    privateIps: z
      .record(
        instanceId,
        z
          .string({ error: 'must be an IPv4 address string' })
          .regex(IPV4_PATTERN, { error: `must be ${IPV4_RULE}` })
          // The pattern is exact but unreadable in docs/config.md's table: show the rule in words there.
          .meta({ description: 'an IPv4 address, four numbers 0-255 without leading zeros' }),
        { error: 'must be an object of instance id → IPv4 address' },
      )
      .optional(),
    bootOrder: z.array(instanceId, { error: 'must be an array of instance ids, first booted first' }).optional(),
  })
  .prefault({});

const vpgSchema = z.strictObject(
  {
    name: name('the VPG name'),
    instances: instancesSchema,
    syncIntervalMinutes: intIn(
      MIN_SYNC_INTERVAL_MINUTES,
      MAX_SYNC_INTERVAL_MINUTES,
      ' minutes; each sync snapshots every volume and runs the schedule, so shorter intervals multiply snapshot and EventBridge/Step Functions cost',
    ).default(15),
    journalHours: z
      .number({ error: 'must be a number of hours, at least 1' })
      .min(1, { error: 'must be at least 1 hour (how far back checkpoints are kept)' })
      .max(24 * 365, { error: 'must be at most 8760 hours (one year)' })
      .default(24),
    recovery: recoverySchema,
  },
  { error: 'must be an object with at least "name" and "instances"' },
);

/** Alarms and where they go (lib/monitoring.ts; docs/operations.md). */
const alertsSchema = z
  .strictObject({
    /** Subscribed to the site's alert topic (AWS sends a confirmation mail first). */
    email: z
      .string({ error: 'must be an email address string such as "dr-team@example.com"' })
      .regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, { error: 'must be an email address such as "dr-team@example.com"' })
      .optional(),
    rpoAlarmMultiple: z
      .number({ error: 'must be a number from 1 to 10 (the RPO alarm fires beyond this many sync intervals)' })
      .min(1, { error: 'must be at least 1 (the RPO alarm fires beyond this many sync intervals)' })
      .max(10, { error: 'must be at most 10 (the RPO alarm fires beyond this many sync intervals)' })
      .default(2),
  })
  .prefault({});

/** A KMS key ARN: keys are named by ARN so a role's grant is exact (aliases are not resources of a key's permissions). */
const kmsKeyArn = z
  .string({ error: 'must be a KMS key ARN string such as "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"' })
  .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$|^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/mrk-[0-9a-f]{32}$/, {
    error:
      'must be a KMS key ARN such as "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab" (not an alias: IAM authorizes keys by key ARN)',
  });

/**
 * The KMS keys of encrypted protected volumes (and the account's default EBS key, if it is a customer managed key)
 * that Lifeboat's roles may use through EC2 (lib/kms-permissions.ts, docs/kms.md). Unset: any key of the account,
 * through EC2 and EBS only.
 */
const kmsSchema = z
  .strictObject({
    keyArns: z
      .array(kmsKeyArn, { error: 'must be an array of KMS key ARNs' })
      .min(1, { error: 'must list at least one KMS key ARN (or leave "kms" out: any key of the account, through EC2)' }),
  })
  .optional();

/** AWS region names as config keys take them (us-east-1, eu-west-1, ap-southeast-2, us-gov-west-1, il-central-1…). */
const regionName = z
  .string({ error: 'must be an AWS region string such as "eu-west-1"' })
  .regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/, { error: 'must be an AWS region such as "eu-west-1"' });

/**
 * Where the replica store, the failback state machines, the ZImporters and the monitoring live (docs/failback.md):
 * another region than the protected instances', optionally another account. Unset: the protected region and account.
 */
const recoverySiteSchema = z
  .strictObject(
    {
      region: regionName,
      /** The recovery site's account; unset: the protected account. */
      account: z
        .string({ error: 'must be a 12-digit AWS account id string such as "222222222222"' })
        .regex(/^\d{12}$/, { error: 'must be a 12-digit AWS account id such as "222222222222"' })
        .optional(),
    },
    { error: 'must be an object with "region" (and optionally "account"), e.g. {"region": "eu-west-1"}' },
  )
  .optional();

export const siteConfigSchema = z.strictObject(
  {
    siteId: name('the site id, the Owner tag of everything Lifeboat creates'),
    vpgs: z.array(vpgSchema, { error: 'must be an array of VPGs' }).min(1, { error: 'must list at least one VPG' }),
    store: storeSchema,
    recoverySite: recoverySiteSchema,
    agent: workerSchema(),
    importer: workerSchema(),
    pollSeconds: intIn(5, 3600, ' seconds between polls of snapshots and zSATs').default(30),
    heartbeatTimeoutSeconds: intIn(60, 86400, ' seconds a zSAT may go without reporting').default(300),
    alerts: alertsSchema,
    kms: kmsSchema,
    sweeper: z
      .strictObject({
        graceMinutes: intIn(10, 10080, ' minutes a leaked resource must exist before the sweeper deletes it').default(120),
        dryRun: z.boolean({ error: 'must be true (log what would be deleted, delete nothing) or false' }).default(false),
        scheduleMinutes: intIn(5, 1440, ' minutes between sweeps').default(60),
      })
      .prefault({}),
  },
  { error: 'must be a JSON object with at least "siteId" and "vpgs"' },
);

export type SiteConfig = z.output<typeof siteConfigSchema>;
export type VpgConfig = SiteConfig['vpgs'][number];
export type WorkerConfig = SiteConfig['agent'];
export type StoreConfig = SiteConfig['store'];
