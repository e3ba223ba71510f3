/**
 * AWS's own figures the offline cloud enforces for EC2 and EBS: quotas, request rates, instance types,
 * volume initialization. One table, each figure with the page it comes from, so a test or a person can
 * see why the cloud refused. (Timings of state transitions live in context.ts' Timings.)
 */

/**
 * Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances (quota code L-1216C47A), in vCPUs,
 * per account and region. 5 is the AWS default quota value Service Quotas shows for a new account
 * (GetAWSDefaultServiceQuota; new accounts start low and AWS raises them with use or on request).
 * https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-instance-quotas.html
 * https://docs.aws.amazon.com/servicequotas/latest/userguide/gs-request-quota.html
 */
export const DEFAULT_VCPU_QUOTA = 5;

/** The families the Standard quota counts (the quota's own name lists them). */
export const STANDARD_FAMILIES = ['a', 'c', 'd', 'h', 'i', 'm', 'r', 't', 'z'];

/**
 * Default vCPUs of the instance types Lifeboat, its config defaults and its tests use.
 * General purpose: https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html
 * Compute optimized: https://docs.aws.amazon.com/ec2/latest/instancetypes/co.html
 * Memory optimized: https://docs.aws.amazon.com/ec2/latest/instancetypes/mo.html
 * Previous generation (m1, t2): https://docs.aws.amazon.com/ec2/latest/instancetypes/pg.html
 */
export const INSTANCE_VCPUS: Readonly<Record<string, number>> = {
  'm1.small': 1,
  't2.micro': 1,
  't2.small': 1,
  't3.nano': 2,
  't3.micro': 2,
  't3.small': 2,
  't3.medium': 2,
  't3.large': 2,
  't3.xlarge': 4,
  't4g.micro': 2,
  't4g.small': 2,
  'm5.large': 2,
  'm5.xlarge': 4,
  'm5.2xlarge': 8,
  'm6i.large': 2,
  'm6i.xlarge': 4,
  'm7g.large': 2,
  'm7i.large': 2,
  'c5.large': 2,
  'c5.xlarge': 4,
  'c6i.large': 2,
  'c6i.xlarge': 4,
  'c6i.2xlarge': 8,
  'c6i.4xlarge': 16,
  'c6g.large': 2,
  'c7g.large': 2,
  'c7i.large': 2,
  'r5.large': 2,
  'r6i.large': 2,
};

/**
 * Families a zone does not offer, by zone-name suffix. AWS's us-east-1e (use1-az3) is an older zone that
 * offers none of the newer families (no 6th/7th generation, no Graviton), which DescribeInstanceTypeOfferings
 * shows and which is why RunInstances answers `Unsupported` there. The emulator's default zones are a, b
 * and c, so by default every type is offered; a test replaces this table with setInstanceTypeOfferings.
 * https://repost.aws/knowledge-center/ec2-instance-type-not-supported-az-error
 * https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-instance-regions.html
 */
export const ZONE_GAPS: Readonly<Record<string, RegExp>> = {
  e: /^(c6|c7|m6|m7|r6|r7|t4g|c6g|c7g|m7g)/,
};

/**
 * EBS direct API request rates (requests per second; each is a token bucket with a one-second burst).
 * Past an account bucket AWS answers ThrottlingException; past a snapshot bucket RequestThrottledException.
 * https://docs.aws.amazon.com/ebs/latest/userguide/ebs-resource-quotas.html
 * https://docs.aws.amazon.com/ebs/latest/APIReference/API_GetSnapshotBlock.html (Errors)
 */
export interface RateLimit {
  /** Tokens added per second. */
  perSecond: number;
  /** Bucket size (a burst); defaults to perSecond. */
  burst?: number;
}

export interface EbsRates {
  account: Record<string, RateLimit>;
  snapshot: Record<string, RateLimit>;
}

export const EBS_RATES: EbsRates = {
  account: {
    GetSnapshotBlock: { perSecond: 1000 },
    PutSnapshotBlock: { perSecond: 1000 },
    ListChangedBlocks: { perSecond: 50 },
    ListSnapshotBlocks: { perSecond: 50 },
    StartSnapshot: { perSecond: 10 },
    CompleteSnapshot: { perSecond: 10 },
  },
  snapshot: {
    GetSnapshotBlock: { perSecond: 1000 },
    PutSnapshotBlock: { perSecond: 1000 },
  },
};

/**
 * EC2 API request rates (token buckets: bucket size, refill per second), for the calls Lifeboat makes.
 * Past one, EC2 answers RequestLimitExceeded (HTTP 503).
 * https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html
 */
export const EC2_RATES: Record<string, RateLimit> = {
  RunInstances: { burst: 5, perSecond: 2 },
  CreateVolume: { burst: 100, perSecond: 5 },
  DeleteVolume: { burst: 100, perSecond: 5 },
  CreateSnapshot: { burst: 100, perSecond: 5 },
  CreateSnapshots: { burst: 100, perSecond: 5 },
  DeleteSnapshot: { burst: 100, perSecond: 5 },
  AttachVolume: { burst: 50, perSecond: 5 },
  DetachVolume: { burst: 50, perSecond: 5 },
  CreateTags: { burst: 100, perSecond: 10 },
};

/**
 * Volume initialization (a volume from a snapshot pulls each written block from S3).
 * VolumeInitializationRate: 100–300 MiB/s, only with a SnapshotId.
 * https://docs.aws.amazon.com/ebs/latest/userguide/initalize-volume.html
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVolume.html
 * The default rate "fluctuates" and AWS publishes no figure. The model uses 40 MiB/s: below the slowest
 * provisioned rate (100 MiB/s, which AWS sells as the way to be faster and predictable), in the range AWS
 * users report for lazy loading from S3, and a rate at which a 100 GiB volume of written data needs
 * about 43 minutes — the "can take a long time" AWS warns of. It is an assumption, not an AWS figure.
 */
export const VOLUME_INITIALIZATION = {
  minProvisionedMiBps: 100,
  maxProvisionedMiBps: 300,
  defaultMiBps: 40,
};

/** The limits one cloud enforces; tests may lower a figure to reach it quickly (never to switch a rule off). */
export interface AwsLimits {
  vcpuQuota: number;
  ebsRates: EbsRates;
  ec2Rates: Record<string, RateLimit>;
  defaultInitializationMiBps: number;
}

export const DEFAULT_LIMITS: AwsLimits = {
  vcpuQuota: DEFAULT_VCPU_QUOTA,
  ebsRates: EBS_RATES,
  ec2Rates: EC2_RATES,
  defaultInitializationMiBps: VOLUME_INITIALIZATION.defaultMiBps,
};

export function limitsOf(ctx: { limits?: AwsLimits }): AwsLimits {
  return ctx.limits ?? DEFAULT_LIMITS;
}
