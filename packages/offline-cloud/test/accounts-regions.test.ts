/**
 * Accounts and regions: each account in each region has its own EC2, EBS and Step Functions state; the region
 * comes from the request's SigV4 scope, the account from its credentials; an assembly's stacks deploy into the
 * account and region of their environment; S3 buckets have a region and an owner, a request signed for another
 * region gets S3's PermanentRedirect (which the SDK's followRegionRedirects follows), and another
 * account's bucket is usable only as far as its bucket policy allows.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateVolumeCommand, DescribeAvailabilityZonesCommand, DescribeVolumesCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateBucketCommand, GetBucketLocationCommand, GetObjectCommand, ListBucketsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startTestCloud, type TestCloud } from '../src/testing';
import { role, writeAssembly } from './helpers/iam-assembly';
import { signedIamQuery } from './helpers/iam-query';

const PROTECTED = '111111111111';
const RECOVERY = '222222222222';
const SHARED_BUCKET = 'recovery-site-replica';

/** Two stacks in two accounts and regions: a reader role in one, a bucket whose policy grants it reads in the other. */
function writeTwoAccountAssembly(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-two-accounts-'));
  const readBucket = [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${SHARED_BUCKET}/*` }];
  const stacks = {
    Recovery: {
      env: `aws://${RECOVERY}/eu-west-1`,
      resources: {
        Bucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: SHARED_BUCKET } },
        Policy: {
          Type: 'AWS::S3::BucketPolicy',
          Properties: {
            Bucket: { Ref: 'Bucket' },
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Principal: { AWS: `arn:aws:iam::${PROTECTED}:role/Reader` },
                  Action: 's3:GetObject',
                  Resource: `arn:aws:s3:::${SHARED_BUCKET}/shared/*`,
                },
              ],
            },
          },
        },
      },
    },
    Protected: {
      env: `aws://${PROTECTED}/us-west-2`,
      resources: { Reader: role('Reader', 'lambda.amazonaws.com', readBucket), Stranger: role('Stranger', 'lambda.amazonaws.com', readBucket) },
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
const clients: Array<{ destroy(): void }> = [];

async function post(body: unknown): Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }> {
  const res = await fetch(`${t.url}/_lifeboat/credentials`, { method: 'POST', body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`credentials ${JSON.stringify(body)}: ${res.status}`);
  const c = (await res.json()) as { AccessKeyId: string; SecretAccessKey: string; SessionToken?: string };
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
}

function track<T extends { destroy(): void }>(c: T): T {
  clients.push(c);
  return c;
}

const ec2In = (region: string, credentials = { accessKeyId: 'test', secretAccessKey: 'test' }) =>
  track(new EC2Client({ endpoint: t.url, region, credentials, maxAttempts: 1 }));
const s3In = (
  region: string,
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = { accessKeyId: 'test', secretAccessKey: 'test' },
  extra = {},
) => track(new S3Client({ endpoint: t.url, region, credentials, forcePathStyle: true, maxAttempts: 1, ...extra }));

beforeAll(async () => {
  t = await startTestCloud({ assemblyDir: writeTwoAccountAssembly() });
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await t.stop();
});

test('two regions of one account do not see each other; each has its own default VPC and zones', async () => {
  const east = ec2In('us-east-1');
  const west = ec2In('eu-west-1');
  const vol = await east.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 1 }));
  expect((await east.send(new DescribeVolumesCommand({}))).Volumes!.map((v) => v.VolumeId)).toContain(vol.VolumeId);
  expect((await west.send(new DescribeVolumesCommand({}))).Volumes!.map((v) => v.VolumeId)).not.toContain(vol.VolumeId);
  await expect(west.send(new DescribeVolumesCommand({ VolumeIds: [vol.VolumeId!] }))).rejects.toMatchObject({ name: 'InvalidVolume.NotFound' });
  const zones = (await west.send(new DescribeAvailabilityZonesCommand({}))).AvailabilityZones!.map((z) => z.ZoneName);
  expect(zones).toEqual(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
  const vpcEast = (await east.send(new DescribeVpcsCommand({}))).Vpcs!.find((v) => v.IsDefault)!.VpcId;
  const vpcWest = (await west.send(new DescribeVpcsCommand({}))).Vpcs!.find((v) => v.IsDefault)!.VpcId;
  expect(vpcWest).toBeDefined();
  expect(vpcWest).not.toBe(vpcEast);
  // a volume in a zone of another region is refused, as EC2 refuses an unknown zone
  await expect(west.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 1 }))).rejects.toMatchObject({
    name: expect.stringMatching(/InvalidParameterValue|InvalidAvailabilityZone/),
  });
});

test('two accounts in one region do not see each other', async () => {
  const mine = ec2In('us-east-1');
  const theirs = ec2In('us-east-1', await post({ account: PROTECTED }));
  const vol = await mine.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1b', Size: 1 }));
  expect((await theirs.send(new DescribeVolumesCommand({}))).Volumes!.map((v) => v.VolumeId)).not.toContain(vol.VolumeId);
  const theirVol = await theirs.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1b', Size: 1 }));
  expect(theirVol.VolumeId).toBeDefined();
  expect((await mine.send(new DescribeVolumesCommand({}))).Volumes!.map((v) => v.VolumeId)).not.toContain(theirVol.VolumeId);
});

test("a stack deploys into its environment's account and region; IAM lists each account's own roles", async () => {
  const protectedAdmin = await post({ account: PROTECTED });
  const arns = async (credentials: { accessKeyId: string; secretAccessKey: string }) =>
    [...(await signedIamQuery(t.url, { Action: 'ListRoles' }, credentials)).body.matchAll(/<Arn>([^<]*)<\/Arn>/g)].map((m) => m[1]).sort();
  expect(await arns(protectedAdmin)).toEqual([`arn:aws:iam::${PROTECTED}:role/Reader`, `arn:aws:iam::${PROTECTED}:role/Stranger`]);
  expect(await arns(await post({ account: RECOVERY }))).toEqual([]);
  // the recovery stack's bucket is in eu-west-1 and belongs to the recovery account
  const recoveryS3 = s3In('eu-west-1', await post({ account: RECOVERY }));
  expect((await recoveryS3.send(new GetBucketLocationCommand({ Bucket: SHARED_BUCKET }))).LocationConstraint).toBe('eu-west-1');
  expect((await recoveryS3.send(new ListBucketsCommand({}))).Buckets!.map((b) => b.Name)).toContain(SHARED_BUCKET);
  expect((await s3In('eu-west-1').send(new ListBucketsCommand({}))).Buckets!.map((b) => b.Name)).not.toContain(SHARED_BUCKET);
});

test('a bucket has a region: a request sent to another region is a PermanentRedirect, which the SDK can follow', async () => {
  const west = s3In('eu-west-1');
  await west.send(new CreateBucketCommand({ Bucket: 'west-bucket', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
  await west.send(new PutObjectCommand({ Bucket: 'west-bucket', Key: 'k', Body: 'west' }));
  const err = await s3In('us-east-1')
    .send(new GetObjectCommand({ Bucket: 'west-bucket', Key: 'k' }))
    .catch((e: unknown) => e);
  expect(err).toMatchObject({ name: 'PermanentRedirect', $metadata: { httpStatusCode: 301 }, $response: { headers: { 'x-amz-bucket-region': 'eu-west-1' } } });
  const following = s3In('us-east-1', undefined, { followRegionRedirects: true });
  const got = await following.send(new GetObjectCommand({ Bucket: 'west-bucket', Key: 'k' }));
  expect(await got.Body!.transformToString()).toBe('west');
  // CreateBucket names its region (the SDK adds the client's region as the constraint), or is in us-east-1
  await west.send(new CreateBucketCommand({ Bucket: 'sdk-constraint' }));
  expect((await west.send(new GetBucketLocationCommand({ Bucket: 'sdk-constraint' }))).LocationConstraint).toBe('eu-west-1');
  expect((await s3In('us-east-1').send(new GetBucketLocationCommand({ Bucket: 'sdk-constraint' }))).LocationConstraint).toBe('eu-west-1');
  await expect(
    s3In('us-east-1').send(new CreateBucketCommand({ Bucket: 'mismatch', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } })),
  ).rejects.toMatchObject({
    name: 'IllegalLocationConstraintException',
  });
  // bucket names are global: another account cannot take this one
  const other = s3In('eu-west-1', await post({ account: PROTECTED }));
  await expect(
    other.send(new CreateBucketCommand({ Bucket: 'west-bucket', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } })),
  ).rejects.toMatchObject({ name: 'BucketAlreadyExists' });
});

describe("another account's bucket: its bucket policy decides", () => {
  beforeAll(async () => {
    const owner = s3In('eu-west-1', await post({ account: RECOVERY }));
    for (const key of ['shared/a', 'private/b']) await owner.send(new PutObjectCommand({ Bucket: SHARED_BUCKET, Key: key, Body: key }));
  });

  test('the role the policy names reads what it grants, and nothing else', async () => {
    const reader = s3In('eu-west-1', await post({ roleArn: `arn:aws:iam::${PROTECTED}:role/Reader` }));
    expect(await (await reader.send(new GetObjectCommand({ Bucket: SHARED_BUCKET, Key: 'shared/a' }))).Body!.transformToString()).toBe('shared/a');
    await expect(reader.send(new GetObjectCommand({ Bucket: SHARED_BUCKET, Key: 'private/b' }))).rejects.toMatchObject({
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    await expect(reader.send(new PutObjectCommand({ Bucket: SHARED_BUCKET, Key: 'shared/c', Body: 'x' }))).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  test('a role the policy does not name, and the account administrators it does not name, are refused', async () => {
    const stranger = s3In('eu-west-1', await post({ roleArn: `arn:aws:iam::${PROTECTED}:role/Stranger` }));
    await expect(stranger.send(new GetObjectCommand({ Bucket: SHARED_BUCKET, Key: 'shared/a' }))).rejects.toMatchObject({ name: 'AccessDenied' });
    const protectedAdmin = s3In('eu-west-1', await post({ account: PROTECTED }));
    await expect(protectedAdmin.send(new GetObjectCommand({ Bucket: SHARED_BUCKET, Key: 'shared/a' }))).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(s3In('eu-west-1').send(new GetObjectCommand({ Bucket: SHARED_BUCKET, Key: 'shared/a' }))).rejects.toMatchObject({ name: 'AccessDenied' });
  });
});

test("each account's and region's state, and each bucket's region and owner, survive a restart", async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-regions-restart-'));
  const first = await startTestCloud({ dataDir });
  const other = { accessKeyId: '', secretAccessKey: '' };
  let volumeId: string;
  try {
    const res = await fetch(`${first.url}/_lifeboat/credentials`, { method: 'POST', body: JSON.stringify({ account: PROTECTED }) });
    const c = (await res.json()) as { AccessKeyId: string; SecretAccessKey: string };
    Object.assign(other, { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey });
    const ec2 = new EC2Client({ endpoint: first.url, region: 'eu-west-1', credentials: other, maxAttempts: 1 });
    const s3 = new S3Client({ endpoint: first.url, region: 'eu-west-1', credentials: other, forcePathStyle: true, maxAttempts: 1 });
    volumeId = (await ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'eu-west-1a', Size: 1 }))).VolumeId!;
    await s3.send(new CreateBucketCommand({ Bucket: 'restart-bucket' }));
    ec2.destroy();
    s3.destroy();
  } finally {
    await first.stop();
  }
  const second = await startTestCloud({ dataDir });
  try {
    const ec2 = new EC2Client({ endpoint: second.url, region: 'eu-west-1', credentials: other, maxAttempts: 1 });
    const s3 = new S3Client({ endpoint: second.url, region: 'eu-west-1', credentials: other, forcePathStyle: true, maxAttempts: 1 });
    expect((await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }))).Volumes).toHaveLength(1);
    expect((await second.ec2.send(new DescribeVolumesCommand({}))).Volumes!.map((v) => v.VolumeId)).not.toContain(volumeId);
    expect((await s3.send(new ListBucketsCommand({}))).Buckets!.map((b) => b.Name)).toEqual(['restart-bucket']);
    expect((await s3.send(new GetBucketLocationCommand({ Bucket: 'restart-bucket' }))).LocationConstraint).toBe('eu-west-1');
    ec2.destroy();
    s3.destroy();
  } finally {
    await second.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test('--region: environment-agnostic stacks deploy into that region of the default account', async () => {
  const regional = await startTestCloud({
    region: 'eu-west-1',
    assemblyDir: writeAssembly({ Bucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'agnostic-bucket' } } }),
  });
  try {
    const west = new S3Client({
      endpoint: regional.url,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      forcePathStyle: true,
      maxAttempts: 1,
    });
    expect((await west.send(new GetBucketLocationCommand({ Bucket: 'agnostic-bucket' }))).LocationConstraint).toBe('eu-west-1');
    west.destroy();
    const ec2West = new EC2Client({
      endpoint: regional.url,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    expect((await ec2West.send(new DescribeVpcsCommand({}))).Vpcs!.filter((v) => v.IsDefault)).toHaveLength(1);
    ec2West.destroy();
  } finally {
    await regional.stop();
  }
});
