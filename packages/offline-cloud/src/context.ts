import type { AwsLimits } from './aws-rates';
import type { CustomResourceResponses } from './assembly/custom-resources';
import { AWS_TIMINGS, type Timings } from './aws-timings';
import type { CloudClock } from './clock';
import type { CloudWatchMetrics } from './cloudwatch/metrics';
import type { IamRegistry } from './iam/registry';
import type { RegionOutages } from './region-outage';

/**
 * What every emulated service of the offline cloud shares: where data lives, the fault settings,
 * the endpoint it serves (so a service can call another one through the real SDK), timings, and a logger.
 */
export interface FaultConfig {
  /** Fraction (0..1) of requests answered with the protocol's throttling error. */
  throttleRate: number;
  /** Fraction (0..1) of requests answered with a 5xx (InternalError / ServiceUnavailable). */
  serverErrorRate: number;
  /** Milliseconds added to every request. */
  latencyMs: number;
  /** Eventual consistency: a new EC2 resource is NotFound to Describe* (by id) for this long after it was
   *  created, and Step Functions' ListExecutions/DescribeExecution lag this far behind. */
  consistencyMs: number;
  /** Fraction (0..1) of RunInstances answered InsufficientInstanceCapacity (src/ec2/capacity.ts). */
  insufficientCapacityRate: number;
  /** Services the rate faults apply to (SigV4 names); empty means ec2 and ebs. */
  services: string[];
  /** Seed of the fault RNG, so a run repeats. */
  seed: number;
}

export type { Timings } from './aws-timings';

export interface CloudContext {
  /** Root folder of everything the cloud stores (volumes, snapshots, S3 objects, state). */
  readonly dataDir: string;
  /** http://127.0.0.1:PORT, known once the server listens. */
  readonly endpoint: () => string;
  readonly region: string;
  readonly accountId: string;
  readonly faults: FaultConfig;
  readonly timings: Timings;
  /** AWS's quotas and request rates in force (src/aws-rates.ts); unset means AWS's defaults. */
  readonly limits?: AwsLimits;
  /** The cloud's one clock (src/clock.ts): every AWS time runs on it. */
  readonly clock: CloudClock;
  /** Count of injected faults by kind, for reports. */
  readonly faultCounts: Record<string, number>;
  /** The deployed identities and their credentials (src/iam/); unset: no request is evaluated (unit harnesses). */
  readonly iam?: IamRegistry;
  /** Ask for the durable state to be saved soon (services call it after every mutation). */
  markDirty(): void;
  log(message: string): void;
  /** Regions taken away by PUT /_lifeboat/regions/{region}/outage (src/region-outage.ts); unset: none ever. */
  readonly outages?: RegionOutages;
  /** Where custom resource functions answer the deploy (src/assembly/custom-resources.ts); unset: recorded only. */
  readonly customResources?: CustomResourceResponses;
  /**
   * CloudWatch's metrics of every account and region (src/cloudwatch/metrics.ts): the Lambda functions' embedded
   * metric format lines and Step Functions' AWS/States metrics go there. Unset: nothing is recorded (unit harnesses).
   */
  readonly metrics?: CloudWatchMetrics;
  /** `lifeboat cloud --no-default-vpc`: the account has no default VPC (as after a landing zone deleted it). */
  readonly noDefaultVpc?: boolean;
}

/** A cloud takes AWS's times unless told otherwise (a test may shorten them: it then measures no AWS figure). */
export const DEFAULT_TIMINGS: Timings = AWS_TIMINGS;
export const DEFAULT_FAULTS: FaultConfig = {
  throttleRate: 0,
  serverErrorRate: 0,
  latencyMs: 0,
  consistencyMs: 0,
  insufficientCapacityRate: 0,
  services: [],
  seed: 1,
};
export const OFFLINE_ACCOUNT_ID = '000000000000';
