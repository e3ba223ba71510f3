/**
 * The offline cloud: an AWS for tests and demos on 127.0.0.1 (README.md). `startCloud` runs it; `testing`
 * starts one per test file with SDK clients bound to it. Deeper modules are importable by path
 * (`@lifeboat/offline-cloud/src/ec2`, …) for tests of one service.
 */
export { startCloud, type Cloud, type CloudOptions } from './cloud';
export { CloudClock, type ClockAnchor } from './clock';
export { AWS_TIMINGS, type Timings } from './aws-timings';
export { DEFAULT_LIMITS, type AwsLimits } from './aws-rates';
export { OFFLINE_ACCOUNT_ID, type CloudContext, type FaultConfig } from './context';
