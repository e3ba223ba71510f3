/**
 * A bucket's versioning, default encryption, Object Lock and public access block on the offline cloud, through the
 * real @aws-sdk/client-s3: each API's round trip and documented errors, each action's own IAM name, a bucket
 * deployed from a template with each AWS::S3::Bucket property, and the configuration surviving a restart (--data).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CreateBucketCommand,
  DeleteBucketEncryptionCommand,
  DeletePublicAccessBlockCommand,
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
import { startTestCloud, TEST_REGION, type TestCloud } from '../src/testing';
import { role, roleCredentials, writeAssembly } from './helpers/iam-assembly';

const KEY_ARN = `arn:aws:kms:${TEST_REGION}:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const ALL_BLOCKED = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };
const GET_ACTIONS = ['s3:GetBucketVersioning', 's3:GetEncryptionConfiguration', 's3:GetBucketObjectLockConfiguration', 's3:GetBucketPublicAccessBlock'];

const assembly = writeAssembly(
  {
    Plain: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'cfg-plain' } },
    Replica: {
      Type: 'AWS::S3::Bucket',
      Properties: {
        BucketName: 'cfg-replica',
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: KEY_ARN }, BucketKeyEnabled: true }],
        },
        ObjectLockEnabled: true,
        ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 7 } } },
        PublicAccessBlockConfiguration: ALL_BLOCKED,
      },
    },
    Creator: role('Creator', 'lambda.amazonaws.com', [{ Effect: 'Allow', Action: 's3:CreateBucket', Resource: 'arn:aws:s3:::cfg-made-*' }]),
    Reader: role('Reader', 'lambda.amazonaws.com', [{ Effect: 'Allow', Action: GET_ACTIONS, Resource: 'arn:aws:s3:::cfg-replica' }]),
  },
  'BucketConfigTest',
);

let dataDir: string;
let t: TestCloud;
let s3: S3Client;

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: { name: string; $metadata?: { httpStatusCode?: number } }) => ({ name: e.name, status: e.$metadata?.httpStatusCode }),
  );

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 's3cfg-'));
  t = await startTestCloud({ assemblyDir: assembly, dataDir });
  s3 = t.s3;
});
afterAll(async () => {
  await t?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('versioning', () => {
  test('never enabled answers no status; Enabled and Suspended round trip', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'cfg-versions' }));
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: 'cfg-versions' }))).Status).toBeUndefined();
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'cfg-versions', VersioningConfiguration: { Status: 'Enabled' } }));
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: 'cfg-versions' }))).Status).toBe('Enabled');
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'cfg-versions', VersioningConfiguration: { Status: 'Suspended' } }));
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: 'cfg-versions' }))).Status).toBe('Suspended');
  });

  test('a bucket with Object Lock cannot suspend versioning: 409 InvalidBucketState', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'cfg-locked', ObjectLockEnabledForBucket: true }));
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: 'cfg-locked' }))).Status).toBe('Enabled');
    const put = s3.send(new PutBucketVersioningCommand({ Bucket: 'cfg-locked', VersioningConfiguration: { Status: 'Suspended' } }));
    expect(await failure(put)).toEqual({ name: 'InvalidBucketState', status: 409 });
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: 'cfg-locked' }))).Status).toBe('Enabled');
  });

  test('a configuration of a bucket that does not exist is NoSuchBucket', async () => {
    expect(await failure(s3.send(new GetBucketVersioningCommand({ Bucket: 'cfg-nowhere' })))).toMatchObject({ status: 404 });
  });
});

describe('default encryption', () => {
  test('a new bucket answers SSE-S3 (AES256); aws:kms with a bucket key round trips; delete goes back to SSE-S3', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'cfg-sse' }));
    const rule = async () => (await s3.send(new GetBucketEncryptionCommand({ Bucket: 'cfg-sse' }))).ServerSideEncryptionConfiguration?.Rules?.[0];
    expect(await rule()).toEqual({ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false });
    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket: 'cfg-sse',
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: KEY_ARN }, BucketKeyEnabled: true }],
        },
      }),
    );
    expect(await rule()).toEqual({ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: KEY_ARN }, BucketKeyEnabled: true });
    await s3.send(new DeleteBucketEncryptionCommand({ Bucket: 'cfg-sse' }));
    expect((await rule())?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe('AES256');
  });

  test('an unknown algorithm is MalformedXML; a key with AES256 is InvalidArgument', async () => {
    const put = (SSEAlgorithm: string, KMSMasterKeyID?: string) =>
      s3.send(
        new PutBucketEncryptionCommand({
          Bucket: 'cfg-sse',
          ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: SSEAlgorithm as 'AES256', KMSMasterKeyID } }] },
        }),
      );
    expect(await failure(put('DES'))).toEqual({ name: 'MalformedXML', status: 400 });
    expect(await failure(put('AES256', KEY_ARN))).toEqual({ name: 'InvalidArgument', status: 400 });
  });
});

describe('Object Lock', () => {
  test('none is ObjectLockConfigurationNotFoundError; a versioned bucket takes it with a default retention', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'cfg-lock-later' }));
    const get = () => s3.send(new GetObjectLockConfigurationCommand({ Bucket: 'cfg-lock-later' }));
    expect(await failure(get())).toEqual({ name: 'ObjectLockConfigurationNotFoundError', status: 404 });
    const lock = { ObjectLockEnabled: 'Enabled' as const, Rule: { DefaultRetention: { Mode: 'COMPLIANCE' as const, Years: 1 } } };
    // Object Lock on an existing bucket needs versioning Enabled first
    expect(await failure(s3.send(new PutObjectLockConfigurationCommand({ Bucket: 'cfg-lock-later', ObjectLockConfiguration: lock })))).toEqual({
      name: 'InvalidBucketState',
      status: 409,
    });
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'cfg-lock-later', VersioningConfiguration: { Status: 'Enabled' } }));
    await s3.send(new PutObjectLockConfigurationCommand({ Bucket: 'cfg-lock-later', ObjectLockConfiguration: lock }));
    expect((await get()).ObjectLockConfiguration).toEqual(lock);
  });

  test('a bucket created with Object Lock answers Enabled with no rule; a retention with both Days and Years is MalformedXML', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'cfg-lock-new', ObjectLockEnabledForBucket: true }));
    expect((await s3.send(new GetObjectLockConfigurationCommand({ Bucket: 'cfg-lock-new' }))).ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
    });
    const both = { ObjectLockEnabled: 'Enabled' as const, Rule: { DefaultRetention: { Mode: 'GOVERNANCE' as const, Days: 1, Years: 1 } } };
    expect(await failure(s3.send(new PutObjectLockConfigurationCommand({ Bucket: 'cfg-lock-new', ObjectLockConfiguration: both })))).toEqual({
      name: 'MalformedXML',
      status: 400,
    });
  });
});

describe('public access block', () => {
  test('none is NoSuchPublicAccessBlockConfiguration; put, get and delete round trip', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'cfg-pab' }));
    const get = () => s3.send(new GetPublicAccessBlockCommand({ Bucket: 'cfg-pab' }));
    expect(await failure(get())).toEqual({ name: 'NoSuchPublicAccessBlockConfiguration', status: 404 });
    await s3.send(
      new PutPublicAccessBlockCommand({ Bucket: 'cfg-pab', PublicAccessBlockConfiguration: { BlockPublicAcls: true, RestrictPublicBuckets: true } }),
    );
    expect((await get()).PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: false,
      BlockPublicPolicy: false,
      RestrictPublicBuckets: true,
    });
    await s3.send(new DeletePublicAccessBlockCommand({ Bucket: 'cfg-pab' }));
    expect(await failure(get())).toEqual({ name: 'NoSuchPublicAccessBlockConfiguration', status: 404 });
  });
});

describe('a bucket deployed from a template', () => {
  test('carries each AWS::S3::Bucket property; a plain one has only the defaults', async () => {
    const b = { Bucket: 'cfg-replica' };
    expect((await s3.send(new GetBucketVersioningCommand(b))).Status).toBe('Enabled');
    expect((await s3.send(new GetBucketEncryptionCommand(b))).ServerSideEncryptionConfiguration?.Rules).toEqual([
      { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: KEY_ARN }, BucketKeyEnabled: true },
    ]);
    expect((await s3.send(new GetObjectLockConfigurationCommand(b))).ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 7 } },
    });
    expect((await s3.send(new GetPublicAccessBlockCommand(b))).PublicAccessBlockConfiguration).toEqual(ALL_BLOCKED);
    const plain = { Bucket: 'cfg-plain' };
    expect((await s3.send(new GetBucketVersioningCommand(plain))).Status).toBeUndefined();
    expect(await failure(s3.send(new GetObjectLockConfigurationCommand(plain)))).toMatchObject({ name: 'ObjectLockConfigurationNotFoundError' });
    expect(await failure(s3.send(new GetPublicAccessBlockCommand(plain)))).toMatchObject({ name: 'NoSuchPublicAccessBlockConfiguration' });
  });
});

describe('IAM: each action under its own name', () => {
  test('a role with only the four Get actions reads the configuration and is refused every Put', async () => {
    const credentials = await roleCredentials(t.url, 'Reader');
    const reader = new S3Client({ endpoint: t.url, region: TEST_REGION, credentials, forcePathStyle: true, maxAttempts: 1 });
    try {
      const b = { Bucket: 'cfg-replica' };
      expect((await reader.send(new GetBucketVersioningCommand(b))).Status).toBe('Enabled');
      await expect(reader.send(new GetBucketEncryptionCommand(b))).resolves.toBeDefined();
      await expect(reader.send(new GetObjectLockConfigurationCommand(b))).resolves.toBeDefined();
      await expect(reader.send(new GetPublicAccessBlockCommand(b))).resolves.toBeDefined();
      const denied = { name: 'AccessDenied', status: 403 };
      expect(await failure(reader.send(new PutBucketVersioningCommand({ ...b, VersioningConfiguration: { Status: 'Suspended' } })))).toEqual(denied);
      expect(
        await failure(
          reader.send(
            new PutBucketEncryptionCommand({
              ...b,
              ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
            }),
          ),
        ),
      ).toEqual(denied);
      expect(await failure(reader.send(new DeleteBucketEncryptionCommand(b)))).toEqual(denied);
      expect(await failure(reader.send(new PutObjectLockConfigurationCommand({ ...b, ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' } })))).toEqual(
        denied,
      );
      expect(await failure(reader.send(new DeletePublicAccessBlockCommand(b)))).toEqual(denied);
      // the denied calls changed nothing
      expect(
        (await s3.send(new GetBucketEncryptionCommand(b))).ServerSideEncryptionConfiguration?.Rules?.[0].ApplyServerSideEncryptionByDefault?.SSEAlgorithm,
      ).toBe('aws:kms');
      expect((await s3.send(new GetPublicAccessBlockCommand(b))).PublicAccessBlockConfiguration).toEqual(ALL_BLOCKED);
      // on another bucket the role has nothing
      expect(await failure(reader.send(new GetBucketVersioningCommand({ Bucket: 'cfg-plain' })))).toEqual(denied);
    } finally {
      reader.destroy();
    }
  });
});

test('CreateBucket with Object Lock needs s3:PutBucketObjectLockConfiguration and s3:PutBucketVersioning too', async () => {
  const credentials = await roleCredentials(t.url, 'Creator');
  const creator = new S3Client({ endpoint: t.url, region: TEST_REGION, credentials, forcePathStyle: true, maxAttempts: 1 });
  try {
    await creator.send(new CreateBucketCommand({ Bucket: 'cfg-made-plain' }));
    expect(await failure(creator.send(new CreateBucketCommand({ Bucket: 'cfg-made-locked', ObjectLockEnabledForBucket: true })))).toEqual({
      name: 'AccessDenied',
      status: 403,
    });
    expect(await failure(s3.send(new GetBucketVersioningCommand({ Bucket: 'cfg-made-locked' })))).toMatchObject({ status: 404 });
  } finally {
    creator.destroy();
  }
});

describe('persistence', () => {
  test('the configuration survives a restart on the same data directory', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'cfg-kept' }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'cfg-kept', VersioningConfiguration: { Status: 'Enabled' } }));
    await s3.send(new PutPublicAccessBlockCommand({ Bucket: 'cfg-kept', PublicAccessBlockConfiguration: ALL_BLOCKED }));
    await t.stop();
    t = await startTestCloud({ dataDir });
    s3 = t.s3;
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: 'cfg-kept' }))).Status).toBe('Enabled');
    expect((await s3.send(new GetPublicAccessBlockCommand({ Bucket: 'cfg-kept' }))).PublicAccessBlockConfiguration).toEqual(ALL_BLOCKED);
  });
});
