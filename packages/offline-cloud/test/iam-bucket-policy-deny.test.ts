/**
 * A bucket policy's explicit Deny, as the offline cloud applies it: an explicit Deny in the bucket's policy overrides
 * every Allow, for a role of the bucket's own account and for a role of another account alike
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html). The Deny
 * names its principals by `aws:PrincipalArn` (the role's ARN, its path included:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn),
 * spares keys with NotResource, and refuses unconditional overwrites with `Null {"s3:if-none-match": "true"}`
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes-enforce.html). Every bucket configuration,
 * retention, legal hold, ACL and version request is authorized as its own action (src/iam/s3-actions.ts), so none
 * passes as a plain PutObject or DeleteObject.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DeleteBucketPolicyCommand,
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectLockConfigurationCommand,
  PutObjectRetentionCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { startTestCloud, TEST_REGION, type TestCloud } from '../src/testing';
import { role } from './helpers/iam-assembly';

const RECOVERY = '000000000000'; // the default account: the bucket's owner
const PROTECTED = '111111111111';
const BUCKET = 'guarded-replica';
const arn = `arn:aws:s3:::${BUCKET}`;
const GUARDED_PATH = '/site/protected/app/';
const guarded = { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/site/protected/*' } };
const deny = (Sid: string, Action: string | string[], where: Record<string, unknown>, Condition: Record<string, unknown> = guarded) => ({
  Sid,
  Effect: 'Deny',
  Principal: { AWS: '*' },
  Action,
  ...where,
  Condition,
});
const CONFIG_ACTIONS = [
  's3:PutBucket*',
  's3:DeleteBucket*',
  's3:PutLifecycleConfiguration',
  's3:PutObjectRetention',
  's3:PutObjectLegalHold',
  's3:BypassGovernanceRetention',
  's3:PutObjectAcl',
  's3:DeleteObjectVersion',
];
const everything = [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }];

function writeAssembly(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-bucket-deny-'));
  const stacks = {
    Recovery: {
      env: `aws://${RECOVERY}/${TEST_REGION}`,
      resources: {
        Bucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: BUCKET, VersioningConfiguration: { Status: 'Enabled' } } },
        Policy: {
          Type: 'AWS::S3::BucketPolicy',
          Properties: {
            Bucket: { Ref: 'Bucket' },
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                deny('NoDeletesButWork', 's3:DeleteObject', { NotResource: `${arn}/work/*` }),
                deny('CreateOnly', 's3:PutObject', { Resource: `${arn}/committed/*` }, { ...guarded, Null: { 's3:if-none-match': 'true' } }),
                deny('NoConfig', CONFIG_ACTIONS, { Resource: [arn, `${arn}/*`] }),
                // the other account's roles need the bucket's Allow at all (cross-account access)
                { Sid: 'ProtectedAccount', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${PROTECTED}:root` }, Action: 's3:*', Resource: [arn, `${arn}/*`] },
              ],
            },
          },
        },
        Guarded: role('Guarded', 'lambda.amazonaws.com', everything, { Path: GUARDED_PATH }),
        Plain: role('Plain', 'lambda.amazonaws.com', everything),
        Writer: role('Writer', 'lambda.amazonaws.com', [
          { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], Resource: `${arn}/*` },
        ]),
        Versions: role('Versions', 'lambda.amazonaws.com', [
          { Effect: 'Allow', Action: ['s3:DeleteObjectVersion', 's3:GetObjectVersion'], Resource: `${arn}/*` },
        ]),
      },
    },
    Protected: {
      env: `aws://${PROTECTED}/${TEST_REGION}`,
      resources: {
        Guarded: role('Guarded', 'lambda.amazonaws.com', everything, { Path: GUARDED_PATH }),
        Plain: role('Plain', 'lambda.amazonaws.com', everything),
      },
    },
  };
  const artifacts: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(stacks)) {
    fs.writeFileSync(path.join(dir, `${name}.template.json`), JSON.stringify({ Resources: s.resources }));
    artifacts[name] = { type: 'aws:cloudformation:stack', environment: s.env, properties: { templateFile: `${name}.template.json` } };
  }
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ version: '36.0.0', artifacts }));
  return dir;
}

let t: TestCloud;
const clients: S3Client[] = [];

async function s3As(roleArn: string): Promise<S3Client> {
  const res = await fetch(`${t.url}/_lifeboat/credentials`, { method: 'POST', body: JSON.stringify({ roleArn }) });
  if (res.status !== 200) throw new Error(`credentials of ${roleArn}: ${res.status}`);
  const c = (await res.json()) as { AccessKeyId: string; SecretAccessKey: string; SessionToken: string };
  const client = new S3Client({
    endpoint: t.url,
    region: TEST_REGION,
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken },
  });
  clients.push(client);
  return client;
}

/** The error's name and status, or 'ok'. */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    const e = err as { name: string; $metadata?: { httpStatusCode?: number } };
    return `${e.name} ${e.$metadata?.httpStatusCode}`;
  }
}

const put = (key: string, extra: Record<string, unknown> = {}) => new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key, ...extra });
const DENIED = 'AccessDenied 403';

beforeAll(async () => {
  t = await startTestCloud({ assemblyDir: writeAssembly() });
  for (const key of ['committed/a', 'committed/b', 'work/a', 'work/b']) await t.s3.send(put(key));
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await t?.stop();
});

describe.each([
  ['of the bucket owner', RECOVERY, 'a'],
  ['of another account', PROTECTED, 'b'],
])('a role under the denied path, %s, granted s3:* everywhere', (_label, account, n) => {
  let s3: S3Client;
  beforeAll(async () => {
    s3 = await s3As(`arn:aws:iam::${account}:role${GUARDED_PATH}Guarded`);
  });

  test('cannot delete, nor overwrite without If-None-Match; may create, delete what NotResource spares, and read', async () => {
    expect({
      delete: await outcome(s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `committed/${n}` }))),
      overwrite: await outcome(s3.send(put(`committed/${n}`))),
      'create without If-None-Match': await outcome(s3.send(put(`committed/new-plain-${n}`))),
      'create with If-None-Match': await outcome(s3.send(put(`committed/new-${n}`, { IfNoneMatch: '*' }))),
      'If-None-Match on an existing key': await outcome(s3.send(put(`committed/${n}`, { IfNoneMatch: '*' }))),
      'delete a work file': await outcome(s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `work/${n}` }))),
      read: await outcome(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `committed/${n}` }))),
    }).toEqual({
      delete: DENIED,
      overwrite: DENIED,
      'create without If-None-Match': DENIED,
      'create with If-None-Match': 'ok',
      'If-None-Match on an existing key': 'PreconditionFailed 412',
      'delete a work file': 'ok',
      read: 'ok',
    });
    const still = await t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `committed/${n}` }));
    expect(await still.Body!.transformToString()).toBe(`committed/${n}`);
  });

  test('cannot change the policy, versioning, lifecycle, Object Lock, retention, legal holds, ACLs or versions', async () => {
    const key = `committed/${n}`;
    const results = {
      PutBucketPolicy: await outcome(s3.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: JSON.stringify({ Version: '2012-10-17', Statement: [] }) }))),
      DeleteBucketPolicy: await outcome(s3.send(new DeleteBucketPolicyCommand({ Bucket: BUCKET }))),
      PutBucketVersioning: await outcome(s3.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Suspended' } }))),
      PutBucketLifecycleConfiguration: await outcome(
        s3.send(
          new PutBucketLifecycleConfigurationCommand({
            Bucket: BUCKET,
            LifecycleConfiguration: { Rules: [{ ID: 'wipe', Status: 'Enabled', Filter: { Prefix: '' }, Expiration: { Days: 1 } }] },
          }),
        ),
      ),
      PutObjectLockConfiguration: await outcome(
        s3.send(new PutObjectLockConfigurationCommand({ Bucket: BUCKET, ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' } })),
      ),
      PutObjectRetention: await outcome(
        s3.send(
          new PutObjectRetentionCommand({ Bucket: BUCKET, Key: key, Retention: { Mode: 'GOVERNANCE', RetainUntilDate: new Date(Date.now() + 86400_000) } }),
        ),
      ),
      PutObjectLegalHold: await outcome(s3.send(new PutObjectLegalHoldCommand({ Bucket: BUCKET, Key: key, LegalHold: { Status: 'OFF' } }))),
      PutObjectAcl: await outcome(s3.send(new PutObjectAclCommand({ Bucket: BUCKET, Key: key, ACL: 'public-read' }))),
      DeleteObjectVersion: await outcome(s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key, VersionId: 'v1' }))),
      'DeleteObject bypassing governance': await outcome(
        s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `work/x-${n}`, BypassGovernanceRetention: true })),
      ),
    };
    expect(results).toEqual(Object.fromEntries(Object.keys(results).map((k) => [k, DENIED])));
    expect((await t.s3.send(new GetBucketVersioningCommand({ Bucket: BUCKET }))).Status).toBe('Enabled');
  });
});

test('roles outside the denied path keep what their own policies and the bucket grant, in both accounts', async () => {
  for (const account of [RECOVERY, PROTECTED]) {
    const plain = await s3As(`arn:aws:iam::${account}:role/Plain`);
    await t.s3.send(put(`committed/plain-${account}`));
    await expect(plain.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `committed/plain-${account}` }))).resolves.toBeDefined();
    await expect(plain.send(put(`committed/plain-${account}`))).resolves.toBeDefined();
  }
});

describe('each configuration, retention and version request is its own action, never a plain PutObject or DeleteObject', () => {
  test('a role allowed PutObject and DeleteObject only is refused each of them', async () => {
    const writer = await s3As(`arn:aws:iam::${RECOVERY}:role/Writer`);
    const key = 'work/writer';
    const results = {
      PutObject: await outcome(writer.send(put(key))),
      PutObjectRetention: await outcome(
        writer.send(
          new PutObjectRetentionCommand({ Bucket: BUCKET, Key: key, Retention: { Mode: 'GOVERNANCE', RetainUntilDate: new Date(Date.now() + 86400_000) } }),
        ),
      ),
      PutObjectLegalHold: await outcome(writer.send(new PutObjectLegalHoldCommand({ Bucket: BUCKET, Key: key, LegalHold: { Status: 'ON' } }))),
      PutObjectAcl: await outcome(writer.send(new PutObjectAclCommand({ Bucket: BUCKET, Key: key, ACL: 'private' }))),
      'PutObject with a retention': await outcome(
        writer.send(put(`${key}-locked`, { ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: new Date(Date.now() + 86400_000) })),
      ),
      'PutObject with a legal hold': await outcome(writer.send(put(`${key}-held`, { ObjectLockLegalHoldStatus: 'ON' }))),
      'PutObject with tags': await outcome(writer.send(put(`${key}-tagged`, { Tagging: 'a=b' }))),
      DeleteObjectVersion: await outcome(writer.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key, VersionId: 'v1' }))),
      'DeleteObject bypassing governance': await outcome(writer.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key, BypassGovernanceRetention: true }))),
      PutBucketVersioning: await outcome(writer.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Suspended' } }))),
    };
    expect(results).toEqual({ ...Object.fromEntries(Object.keys(results).map((k) => [k, DENIED])), PutObject: 'ok' });
  });

  test('a version request that is allowed is refused as not implemented, and the current object stays', async () => {
    const versions = await s3As(`arn:aws:iam::${RECOVERY}:role/Versions`);
    await t.s3.send(put('work/versioned'));
    expect(await outcome(versions.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'work/versioned', VersionId: 'v1' })))).toBe('NotImplemented 501');
    expect(await (await t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'work/versioned' }))).Body!.transformToString()).toBe('work/versioned');
  });
});
