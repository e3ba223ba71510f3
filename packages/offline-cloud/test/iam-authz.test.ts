/**
 * The offline cloud evaluates every request signed with a deployed role's credentials against the role's policies
 * (and S3 bucket policies), and refuses as each service does: EC2 UnauthorizedOperation (403), S3 AccessDenied
 * (403), EBS AccessDeniedException (403), Step Functions AccessDeniedException (400). Conditions that do not match
 * (request tag, resource tag, s3:prefix) refuse; the same request with them passes.
 */
import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DeleteVolumeCommand,
  DeregisterImageCommand,
  DescribeVolumesCommand,
  EC2Client,
  RegisterImageCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { EBSClient, ListSnapshotBlocksCommand } from '@aws-sdk/client-ebs';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ListStateMachinesCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { startTestCloud, TEST_REGION, type TestCloud } from '../src/testing';
import { BUCKET, role, roleCredentials, writeAssembly } from './helpers/iam-assembly';

const ACCOUNT = '000000000000';
const OWNER = { Key: 'Owner', Value: 'site-a' };
const volumeArn = `arn:aws:ec2:${TEST_REGION}:${ACCOUNT}:volume/*`;
// images and snapshots carry no account in their ARNs
const imageArn = `arn:aws:ec2:${TEST_REGION}::image/*`;
const snapshotArn = `arn:aws:ec2:${TEST_REGION}::snapshot/*`;
const owned = { StringEquals: { 'aws:ResourceTag/Owner': 'site-a' } };

const assembly = writeAssembly({
  Bucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: BUCKET } },
  BucketPolicy: {
    Type: 'AWS::S3::BucketPolicy',
    Properties: {
      Bucket: { Ref: 'Bucket' },
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:*',
            Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
          { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/Worker` }, Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/shared/*` },
        ],
      },
    },
  },
  Worker: role('Worker', 'lambda.amazonaws.com', [
    { Effect: 'Allow', Action: 'ec2:CreateVolume', Resource: volumeArn, Condition: { StringEquals: { 'aws:RequestTag/Owner': 'site-a' } } },
    { Effect: 'Allow', Action: 'ec2:CreateTags', Resource: volumeArn, Condition: { StringEquals: { 'ec2:CreateAction': 'CreateVolume' } } },
    { Effect: 'Allow', Action: 'ec2:DeleteVolume', Resource: volumeArn, Condition: owned },
    { Effect: 'Allow', Action: 'ec2:DescribeVolumes', Resource: '*' },
    { Effect: 'Allow', Action: 'ec2:RegisterImage', Resource: imageArn, Condition: { StringEquals: { 'aws:RequestTag/Owner': 'site-a' } } },
    { Effect: 'Allow', Action: 'ec2:RegisterImage', Resource: snapshotArn, Condition: owned },
    { Effect: 'Allow', Action: 'ec2:CreateTags', Resource: imageArn, Condition: { StringEquals: { 'ec2:CreateAction': 'RegisterImage' } } },
    { Effect: 'Allow', Action: 'ec2:DeregisterImage', Resource: imageArn, Condition: owned },
    { Effect: 'Allow', Action: 'ebs:ListSnapshotBlocks', Resource: `arn:aws:ec2:${TEST_REGION}::snapshot/*`, Condition: owned },
    { Effect: 'Allow', Action: 's3:ListBucket', Resource: `arn:aws:s3:::${BUCKET}`, Condition: { StringLike: { 's3:prefix': ['mine/*'] } } },
    { Effect: 'Allow', Action: ['s3:PutObject', 's3:GetObject'], Resource: `arn:aws:s3:::${BUCKET}/mine/*` },
    { Effect: 'Allow', Action: 'states:ListStateMachines', Resource: '*' },
  ]),
  Nobody: role('Nobody', 'lambda.amazonaws.com', []),
  Lister: role('Lister', 'lambda.amazonaws.com', [
    { Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/mine/*` },
    { Effect: 'Allow', Action: 's3:ListBucket', Resource: `arn:aws:s3:::${BUCKET}` },
  ]),
});

let t: TestCloud;
let worker: { ec2: EC2Client; s3: S3Client; ebs: EBSClient; sfn: SFNClient };
let nobody: typeof worker;

async function clientsOf(name: string) {
  const credentials = await roleCredentials(t.url, name);
  const config = { endpoint: t.url, region: TEST_REGION, credentials, maxAttempts: 1 };
  return { ec2: new EC2Client(config), s3: new S3Client({ ...config, forcePathStyle: true }), ebs: new EBSClient(config), sfn: new SFNClient(config) };
}

beforeAll(async () => {
  t = await startTestCloud({ assemblyDir: assembly });
  worker = await clientsOf('Worker');
  nobody = await clientsOf('Nobody');
});
afterAll(async () => {
  for (const c of [worker, nobody]) for (const client of Object.values(c ?? {})) client.destroy();
  await t?.stop();
});

const volumeSpec = (tags: Array<{ Key: string; Value: string }>) => ({
  AvailabilityZone: `${TEST_REGION}a`,
  Size: 1,
  TagSpecifications: [{ ResourceType: 'volume' as const, Tags: tags }],
});

async function failure(p: Promise<unknown>): Promise<{ name: string; status?: number; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  throw new Error('the request was allowed');
}

describe('EC2', () => {
  test('a role without the permission gets UnauthorizedOperation (403)', async () => {
    const f = await failure(nobody.ec2.send(new DescribeVolumesCommand({})));
    expect(f).toMatchObject({ name: 'UnauthorizedOperation', status: 403 });
    expect(f.message).toContain('is not authorized to perform: ec2:DescribeVolumes');
  });

  test('a create whose request tag does not match is refused; with it, it passes', async () => {
    expect(await failure(worker.ec2.send(new CreateVolumeCommand(volumeSpec([{ Key: 'Owner', Value: 'site-b' }]))))).toMatchObject({
      name: 'UnauthorizedOperation',
      status: 403,
    });
    const created = await worker.ec2.send(new CreateVolumeCommand(volumeSpec([OWNER])));
    expect(created.VolumeId).toMatch(/^vol-/);
  });

  test('a destroy on a resource whose tag does not match is refused; on our own it passes', async () => {
    const foreign = await t.ec2.send(new CreateVolumeCommand(volumeSpec([{ Key: 'Owner', Value: 'someone-else' }])));
    expect(await failure(worker.ec2.send(new DeleteVolumeCommand({ VolumeId: foreign.VolumeId })))).toMatchObject({
      name: 'UnauthorizedOperation',
      status: 403,
    });
    const ours = await worker.ec2.send(new CreateVolumeCommand(volumeSpec([OWNER])));
    await waitAvailable(ours.VolumeId!);
    await expect(worker.ec2.send(new DeleteVolumeCommand({ VolumeId: ours.VolumeId }))).resolves.toBeDefined();
  });

  test("RegisterImage needs its request tags and each snapshot it names to match; DeregisterImage the image's tags", async () => {
    const volume = await t.ec2.send(new CreateVolumeCommand(volumeSpec([OWNER])));
    await waitAvailable(volume.VolumeId!);
    const snapshot = async (tags: Array<{ Key: string; Value: string }>) =>
      (await t.ec2.send(new CreateSnapshotCommand({ VolumeId: volume.VolumeId, TagSpecifications: [{ ResourceType: 'snapshot', Tags: tags }] }))).SnapshotId!;
    const ourSnapshot = await snapshot([OWNER]);
    const foreignSnapshot = await snapshot([{ Key: 'Owner', Value: 'site-b' }]);
    const register = (name: string, snapshotId: string, owner: string) =>
      worker.ec2.send(
        new RegisterImageCommand({
          Name: name,
          RootDeviceName: '/dev/xvda',
          BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: snapshotId } }],
          TagSpecifications: [{ ResourceType: 'image', Tags: [{ Key: 'Owner', Value: owner }] }],
        }),
      );
    expect(await failure(register('tagged-as-theirs', ourSnapshot, 'site-b'))).toMatchObject({ name: 'UnauthorizedOperation', status: 403 });
    expect(await failure(register('from-their-snapshot', foreignSnapshot, 'site-a'))).toMatchObject({ name: 'UnauthorizedOperation', status: 403 });
    const ours = await register('ours', ourSnapshot, 'site-a');
    expect(ours.ImageId).toMatch(/^ami-/);

    const theirs = await t.ec2.send(
      new RegisterImageCommand({
        Name: 'theirs',
        RootDeviceName: '/dev/xvda',
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: foreignSnapshot } }],
        TagSpecifications: [{ ResourceType: 'image', Tags: [{ Key: 'Owner', Value: 'site-b' }] }],
      }),
    );
    expect(await failure(worker.ec2.send(new DeregisterImageCommand({ ImageId: theirs.ImageId })))).toMatchObject({
      name: 'UnauthorizedOperation',
      status: 403,
    });
    await expect(worker.ec2.send(new DeregisterImageCommand({ ImageId: ours.ImageId }))).resolves.toBeDefined();
  });

  test('RunInstances without permission on every resource it touches is refused', async () => {
    const f = await failure(worker.ec2.send(new RunInstancesCommand({ ImageId: await anyImage(), MinCount: 1, MaxCount: 1 })));
    expect(f).toMatchObject({ name: 'UnauthorizedOperation', status: 403 });
  });
});

describe('S3', () => {
  test('a role without the permission gets AccessDenied (403)', async () => {
    const f = await failure(nobody.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'mine/a', Body: 'x' })));
    expect(f).toMatchObject({ name: 'AccessDenied', status: 403 });
  });

  test('writes and reads under the allowed prefix pass; elsewhere they are refused', async () => {
    await worker.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'mine/a', Body: 'x' }));
    const got = await worker.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'mine/a' }));
    expect(await got.Body!.transformToString()).toBe('x');
    expect(await failure(worker.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'theirs/a', Body: 'x' })))).toMatchObject({
      name: 'AccessDenied',
      status: 403,
    });
  });

  test('a listing with a prefix the condition does not allow is refused; with it, it passes', async () => {
    expect(await failure(worker.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'theirs/' })))).toMatchObject({ name: 'AccessDenied', status: 403 });
    const listed = await worker.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'mine/' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['mine/a']);
  });

  test('a missing object is 404 NoSuchKey only to a caller that may list the bucket; to others 403 AccessDenied', async () => {
    const lister = await clientsOf('Lister');
    try {
      expect(await failure(lister.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'mine/missing' })))).toMatchObject({ name: 'NoSuchKey', status: 404 });
      // Worker may list only under an s3:prefix condition, which a read carries no prefix for
      expect(await failure(worker.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'mine/missing' })))).toMatchObject({ name: 'AccessDenied', status: 403 });
      expect(await failure(worker.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'mine/missing' })))).toMatchObject({ status: 403 });
      // an object that exists reads normally
      await expect(worker.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'mine/a' }))).resolves.toBeDefined();
    } finally {
      for (const c of Object.values(lister)) c.destroy();
    }
  });

  test('the bucket policy grants what the identity policy does not', async () => {
    await t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'shared/s', Body: 'shared' }));
    const got = await worker.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'shared/s' }));
    expect(await got.Body!.transformToString()).toBe('shared');
    expect(await failure(nobody.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'shared/s' })))).toMatchObject({ name: 'AccessDenied', status: 403 });
  });
});

describe('EBS direct APIs', () => {
  test('a snapshot whose tag does not match is refused with AccessDeniedException (403); our own passes', async () => {
    const volume = await t.ec2.send(new CreateVolumeCommand(volumeSpec([OWNER])));
    await waitAvailable(volume.VolumeId!);
    const snapshot = (tags: Array<{ Key: string; Value: string }>) =>
      t.ec2.send(new CreateSnapshotCommand({ VolumeId: volume.VolumeId, TagSpecifications: [{ ResourceType: 'snapshot', Tags: tags }] }));
    const foreign = await snapshot([{ Key: 'Owner', Value: 'site-b' }]);
    const ours = await snapshot([OWNER]);
    expect(await failure(worker.ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: foreign.SnapshotId })))).toMatchObject({
      name: 'AccessDeniedException',
      status: 403,
    });
    // past authorization, EBS itself answers (a pending snapshot is a ValidationException, not a denial)
    const f = await failure(worker.ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: ours.SnapshotId }))).catch(() => ({ name: 'allowed' }));
    expect(f.name).not.toBe('AccessDeniedException');
  });
});

describe('Step Functions', () => {
  test('a role without the permission gets AccessDeniedException (400); with it, the call passes', async () => {
    const f = await failure(worker.sfn.send(new StartExecutionCommand({ stateMachineArn: `arn:aws:states:${TEST_REGION}:${ACCOUNT}:stateMachine:x` })));
    expect(f).toMatchObject({ name: 'AccessDeniedException', status: 400 });
    await expect(worker.sfn.send(new ListStateMachinesCommand({}))).resolves.toBeDefined();
    expect(await failure(nobody.sfn.send(new ListStateMachinesCommand({})))).toMatchObject({ name: 'AccessDeniedException', status: 400 });
  });
});

test("unknown access keys (the tests' dummy keys) are the default account's administrator", async () => {
  await expect(t.ec2.send(new DescribeVolumesCommand({}))).resolves.toBeDefined();
  await expect(t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'mine/a' }))).resolves.toBeDefined();
});

async function anyImage(): Promise<string> {
  const { DescribeImagesCommand } = await import('@aws-sdk/client-ec2');
  return (await t.ec2.send(new DescribeImagesCommand({}))).Images![0].ImageId!;
}

async function waitAvailable(volumeId: string): Promise<void> {
  const { waitUntilVolumeAvailable } = await import('@aws-sdk/client-ec2');
  await waitUntilVolumeAvailable({ client: t.ec2, maxWaitTime: 30, minDelay: 1 }, { VolumeIds: [volumeId] });
}
