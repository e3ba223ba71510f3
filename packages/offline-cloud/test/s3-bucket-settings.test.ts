/**
 * A bucket's settings through the real SDK: versioning, default encryption (SSE-S3 for every new bucket), Object
 * Lock (at creation, or on a versioned bucket) and the public access block, each with AWS's errors; IAM decides who
 * may read them; an AWS::S3::Bucket deploys with its settings as CloudFormation would apply them.
 */
import {
  CreateBucketCommand,
  DeleteBucketEncryptionCommand,
  GetBucketEncryptionCommand,
  GetBucketVersioningCommand,
  GetObjectLockConfigurationCommand,
  GetPublicAccessBlockCommand,
  PutBucketEncryptionCommand,
  PutBucketVersioningCommand,
  PutObjectLockConfigurationCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { clientConfig, startTestCloud, TEST_REGION, type TestCloud } from '../src/testing';
import { BUCKET, role, roleCredentials, writeAssembly } from './helpers/iam-assembly';

let t: TestCloud | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

const client = (url: string) => new S3Client({ ...clientConfig(url, { maxAttempts: 1 }), forcePathStyle: true });

async function failure(p: Promise<unknown>): Promise<{ name: string; status?: number }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected a refusal');
}

it('keeps versioning, encryption and the public access block, with SSE-S3 by default and AWS errors when none is set', async () => {
  t = await startTestCloud();
  const s3 = client(t.url);
  await s3.send(new CreateBucketCommand({ Bucket: 'plain' }));
  expect((await s3.send(new GetBucketVersioningCommand({ Bucket: 'plain' }))).Status).toBeUndefined();
  const encryption = async () => (await s3.send(new GetBucketEncryptionCommand({ Bucket: 'plain' }))).ServerSideEncryptionConfiguration?.Rules?.[0];
  expect(await encryption()).toEqual({ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false });
  expect(await failure(s3.send(new GetObjectLockConfigurationCommand({ Bucket: 'plain' })))).toEqual({ name: 'ObjectLockConfigurationNotFoundError', status: 404 });
  expect(await failure(s3.send(new GetPublicAccessBlockCommand({ Bucket: 'plain' })))).toEqual({ name: 'NoSuchPublicAccessBlockConfiguration', status: 404 });

  await s3.send(new PutBucketVersioningCommand({ Bucket: 'plain', VersioningConfiguration: { Status: 'Enabled' } }));
  expect((await s3.send(new GetBucketVersioningCommand({ Bucket: 'plain' }))).Status).toBe('Enabled');
  const key = 'arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  await s3.send(new PutBucketEncryptionCommand({ Bucket: 'plain', ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: key }, BucketKeyEnabled: true }] } }));
  expect(await encryption()).toEqual({ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: key }, BucketKeyEnabled: true });
  await s3.send(new DeleteBucketEncryptionCommand({ Bucket: 'plain' }));
  expect((await encryption())?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe('AES256');
  const block = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: false };
  await s3.send(new PutPublicAccessBlockCommand({ Bucket: 'plain', PublicAccessBlockConfiguration: block }));
  expect((await s3.send(new GetPublicAccessBlockCommand({ Bucket: 'plain' }))).PublicAccessBlockConfiguration).toEqual(block);
  expect(await failure(s3.send(new GetBucketVersioningCommand({ Bucket: 'nosuch' })))).toEqual({ name: 'NoSuchBucket', status: 404 });
  s3.destroy();
});

it('enables Object Lock at creation with versioning, refuses it on an unversioned bucket, and keeps versioning on under a lock', async () => {
  t = await startTestCloud();
  const s3 = client(t.url);
  await s3.send(new CreateBucketCommand({ Bucket: 'locked', ObjectLockEnabledForBucket: true }));
  expect((await s3.send(new GetBucketVersioningCommand({ Bucket: 'locked' }))).Status).toBe('Enabled');
  expect((await s3.send(new GetObjectLockConfigurationCommand({ Bucket: 'locked' }))).ObjectLockConfiguration).toEqual({ ObjectLockEnabled: 'Enabled' });
  await s3.send(new PutObjectLockConfigurationCommand({ Bucket: 'locked', ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 30 } } } }));
  expect((await s3.send(new GetObjectLockConfigurationCommand({ Bucket: 'locked' }))).ObjectLockConfiguration?.Rule?.DefaultRetention).toEqual({ Mode: 'COMPLIANCE', Days: 30 });
  expect(await failure(s3.send(new PutBucketVersioningCommand({ Bucket: 'locked', VersioningConfiguration: { Status: 'Suspended' } })))).toEqual({ name: 'InvalidBucketState', status: 409 });

  await s3.send(new CreateBucketCommand({ Bucket: 'unversioned' }));
  const lock = { ObjectLockEnabled: 'Enabled' as const, Rule: { DefaultRetention: { Mode: 'GOVERNANCE' as const, Days: 1 } } };
  expect(await failure(s3.send(new PutObjectLockConfigurationCommand({ Bucket: 'unversioned', ObjectLockConfiguration: lock })))).toEqual({ name: 'InvalidBucketState', status: 409 });
  s3.destroy();
});

it('lets a deployed role read a setting only with its IAM action, and deploys a bucket with its settings', async () => {
  const assembly = writeAssembly({
    Bucket: {
      Type: 'AWS::S3::Bucket',
      Properties: {
        BucketName: BUCKET,
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' }, BucketKeyEnabled: true }] },
        ObjectLockEnabled: true,
        ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 7 } } },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      },
    },
    Reader: role('SettingsReader', 'lambda.amazonaws.com', [{ Effect: 'Allow', Action: ['s3:GetBucketVersioning'], Resource: `arn:aws:s3:::${BUCKET}` }]),
  });
  t = await startTestCloud({ assemblyDir: assembly });
  const admin = client(t.url);
  expect((await admin.send(new GetBucketVersioningCommand({ Bucket: BUCKET }))).Status).toBe('Enabled');
  expect((await admin.send(new GetBucketEncryptionCommand({ Bucket: BUCKET }))).ServerSideEncryptionConfiguration?.Rules?.[0]).toEqual({ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' }, BucketKeyEnabled: true });
  expect((await admin.send(new GetObjectLockConfigurationCommand({ Bucket: BUCKET }))).ObjectLockConfiguration).toEqual({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 7 } } });
  expect((await admin.send(new GetPublicAccessBlockCommand({ Bucket: BUCKET }))).PublicAccessBlockConfiguration?.RestrictPublicBuckets).toBe(true);

  const reader = new S3Client({ endpoint: t.url, region: TEST_REGION, credentials: await roleCredentials(t.url, 'SettingsReader'), forcePathStyle: true, maxAttempts: 1 });
  expect((await reader.send(new GetBucketVersioningCommand({ Bucket: BUCKET }))).Status).toBe('Enabled');
  expect(await failure(reader.send(new GetBucketEncryptionCommand({ Bucket: BUCKET })))).toEqual({ name: 'AccessDenied', status: 403 });
  expect(await failure(reader.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Suspended' } })))).toEqual({ name: 'AccessDenied', status: 403 });
  expect((await admin.send(new GetBucketVersioningCommand({ Bucket: BUCKET }))).Status).toBe('Enabled');
  admin.destroy();
  reader.destroy();
});
