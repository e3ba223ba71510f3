/**
 * Starts an offline cloud on an OS-chosen port for one test file and returns real SDK clients bound
 * to it (dummy credentials, us-east-1, SDK-default retries). Timings are tiny so waits are short.
 *
 *   let t: TestCloud;
 *   beforeAll(async () => (t = await startTestCloud()));
 *   afterAll(() => t.stop());
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { EBSClient } from '@aws-sdk/client-ebs';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { startCloud } from './cloud';
import type { Cloud, CloudOptions } from './cloud';

/** EC2 far faster than AWS (src/aws-timings.ts): tests of behaviour, which measure no AWS figure. */
export const TEST_TIMINGS = { snapshotMs: 50, volumeMs: 20, instanceMs: 30, bootMs: 0 };
/** EC2 at about a thirtieth of AWS's times: for tests that watch a transition (a snapshot's progress, say). */
export const QUICK_TIMINGS = { snapshotMs: 1500, volumeMs: 300, instanceMs: 500, bootMs: 0, connectTimeoutMs: 60_000 };
export const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
export const TEST_REGION = 'us-east-1';

export interface TestCloud {
  cloud: Cloud;
  url: string;
  ec2: EC2Client;
  ebs: EBSClient;
  s3: S3Client;
  sfn: SFNClient;
  /** Destroys the clients and stops the cloud. */
  stop(): Promise<void>;
}

/** Client settings for any SDK client pointed at the test cloud (spread into its constructor). */
export function clientConfig(url: string, extra: { maxAttempts?: number } = {}) {
  return { endpoint: url, region: TEST_REGION, credentials: TEST_CREDENTIALS, ...extra };
}

export async function startTestCloud(opts: CloudOptions = {}): Promise<TestCloud> {
  const cloud = await startCloud({ quiet: true, ...opts, timings: { ...TEST_TIMINGS, ...opts.timings } });
  const url = cloud.url;
  const ec2 = new EC2Client(clientConfig(url));
  const ebs = new EBSClient(clientConfig(url));
  const s3 = new S3Client({ ...clientConfig(url), forcePathStyle: true });
  const sfn = new SFNClient(clientConfig(url));
  return {
    cloud,
    url,
    ec2,
    ebs,
    s3,
    sfn,
    stop: async () => {
      for (const c of [ec2, ebs, s3, sfn]) c.destroy();
      await cloud.stop();
    },
  };
}
