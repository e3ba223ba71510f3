/**
 * The replica bucket as `cdk synth` of the repository's lifeboat.config.json makes it, deployed to the offline cloud,
 * reports through the real S3 client what a preflight check reads: versioning Enabled, SSE-S3 default encryption,
 * every public access blocked, and no Object Lock (the config asks for none). A KMS store with Object Lock reports its
 * key with a bucket key and its default retention.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  GetBucketEncryptionCommand,
  GetBucketVersioningCommand,
  GetObjectLockConfigurationCommand,
  GetPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { vpgRuntimeOf } from '../../bin/commands/context';
import { deployTestSite, type TestSite } from '../helpers/site';

const repoConfig = JSON.parse(fs.readFileSync(path.join(__dirname, '../../lifeboat.config.json'), 'utf8')) as { vpgs: Array<{ name: string }> };
const ALL_BLOCKED = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };

async function replicaBucketOf(site: TestSite, vpg: string): Promise<{ s3: S3Client; bucket: string }> {
  return { s3: site.s3, bucket: (await vpgRuntimeOf(site.sfn, site.syncArn(vpg))).storeBucket };
}

describe('the replica bucket deployed from cdk synth', () => {
  let site: TestSite | undefined;
  afterEach(async () => {
    await site?.stop();
    site = undefined;
  });

  test("the repository's lifeboat.config.json: versioned, SSE-S3, public access blocked, no Object Lock", async () => {
    site = await deployTestSite(repoConfig);
    const { s3, bucket } = await replicaBucketOf(site, repoConfig.vpgs[0].name);
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status).toBe('Enabled');
    const rules = (await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }))).ServerSideEncryptionConfiguration?.Rules;
    expect(rules?.map((r) => r.ApplyServerSideEncryptionByDefault?.SSEAlgorithm)).toEqual(['AES256']);
    expect((await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }))).PublicAccessBlockConfiguration).toEqual(ALL_BLOCKED);
    await expect(s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }))).rejects.toMatchObject({ name: 'ObjectLockConfigurationNotFoundError' });
  }, 240_000);

  test('a KMS store with Object Lock: its key with a bucket key, and the default retention', async () => {
    const config = { ...repoConfig, siteId: 'locked-site', store: { encryption: 'kms', objectLock: { mode: 'GOVERNANCE', days: 1 } } };
    site = await deployTestSite(config);
    const { s3, bucket } = await replicaBucketOf(site, repoConfig.vpgs[0].name);
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status).toBe('Enabled');
    const [rule] = (await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }))).ServerSideEncryptionConfiguration?.Rules ?? [];
    expect(rule.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe('aws:kms');
    expect(rule.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID).toMatch(/^arn:aws:kms:[a-z0-9-]+:\d{12}:key\//);
    expect(rule.BucketKeyEnabled).toBe(true);
    expect((await s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }))).ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } },
    });
  }, 240_000);
});
