/**
 * EBS encryption under KMS keys in the offline EC2: a volume's key (given, its snapshot's, the account default, aws/ebs),
 * snapshots under their volume's key, the account defaults API, and EC2 calling KMS with the caller's identity through
 * `kms:ViaService`: a refused create ends in `error`, a refused launch terminates with AWS's state reason, and the EBS
 * direct APIs need kms:Decrypt on an encrypted snapshot's key.
 */
import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DeleteVolumeCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
  EnableEbsEncryptionByDefaultCommand,
  GetEbsDefaultKmsKeyIdCommand,
  GetEbsEncryptionByDefaultCommand,
  ModifyEbsDefaultKmsKeyIdCommand,
  ResetEbsDefaultKmsKeyIdCommand,
  DisableEbsEncryptionByDefaultCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { EBSClient, ListSnapshotBlocksCommand } from '@aws-sdk/client-ebs';
import { CreateKeyCommand, DisableKeyCommand, EnableKeyCommand, KMSClient, ListGrantsCommand } from '@aws-sdk/client-kms';
import { clientConfig, startTestCloud, TEST_REGION, type TestCloud } from '../src/testing';
import { role, roleCredentials, writeAssembly } from './helpers/iam-assembly';

const ACCOUNT = '000000000000';
const AZ = `${TEST_REGION}a`;
const ec2Everything = { Effect: 'Allow', Action: ['ec2:*', 'ebs:*'], Resource: '*' };
/** The statement AWS documents for EBS encryption (ebs-encryption-requirements.html), scoped to EC2 in this region. */
const kmsForEbs = (via: string) => [
  {
    Effect: 'Allow',
    Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncrypt*'],
    Resource: '*',
    Condition: { StringEquals: { 'kms:ViaService': via } },
  },
  {
    Effect: 'Allow',
    Action: 'kms:CreateGrant',
    Resource: '*',
    Condition: { StringEquals: { 'kms:ViaService': via }, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
  },
];
const assembly = writeAssembly({
  Allowed: role('EbsKmsAllowed', 'lambda.amazonaws.com', [
    ec2Everything,
    ...kmsForEbs(`ec2.${TEST_REGION}.amazonaws.com`),
    ...kmsForEbs(`ebs.${TEST_REGION}.amazonaws.com`),
  ]),
  OtherRegion: role('EbsKmsOtherRegion', 'lambda.amazonaws.com', [ec2Everything, ...kmsForEbs('ec2.eu-west-1.amazonaws.com')]),
  NoKms: role('EbsNoKms', 'lambda.amazonaws.com', [ec2Everything]),
});

let t: TestCloud;
let kms: KMSClient;
let as: Record<'allowed' | 'otherRegion' | 'noKms', { ec2: EC2Client; ebs: EBSClient }>;

beforeAll(async () => {
  t = await startTestCloud({ assemblyDir: assembly });
  kms = new KMSClient(clientConfig(t.url));
  const clients = async (name: string) => {
    const config = { endpoint: t.url, region: TEST_REGION, credentials: await roleCredentials(t.url, name), maxAttempts: 1 };
    return { ec2: new EC2Client(config), ebs: new EBSClient(config) };
  };
  as = { allowed: await clients('EbsKmsAllowed'), otherRegion: await clients('EbsKmsOtherRegion'), noKms: await clients('EbsNoKms') };
});
afterAll(async () => {
  kms?.destroy();
  for (const c of Object.values(as ?? {})) for (const client of Object.values(c)) client.destroy();
  await t?.stop();
});

const newKey = async () => (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;

async function settled(ec2: EC2Client, volumeId: string): Promise<{ State?: string; Encrypted?: boolean; KmsKeyId?: string }> {
  for (;;) {
    const v = (await t.ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }))).Volumes![0];
    if (v.State !== 'creating') return v;
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function snapshotCompleted(snapshotId: string) {
  for (;;) {
    const s = (await t.ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }))).Snapshots![0];
    if (s.State === 'completed') return s;
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function launchState(ec2: EC2Client): Promise<{ state?: string; reason?: { Code?: string; Message?: string } }> {
  const id = (await ec2.send(new RunInstancesCommand({ ImageId: 'ami-0lifeboat0offline', InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }))).Instances![0]
    .InstanceId!;
  for (;;) {
    const i = (await t.ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0].Instances![0];
    if (i.State?.Name === 'running' || i.State?.Name === 'terminated') return { state: i.State.Name, reason: i.StateReason };
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a volume takes the key it names; its snapshot and a volume made from that snapshot take the same key; EBS holds a grant per volume', async () => {
  const key = await newKey();
  const vol = await as.allowed.ec2.send(new CreateVolumeCommand({ AvailabilityZone: AZ, Size: 1, Encrypted: true, KmsKeyId: key }));
  expect(await settled(as.allowed.ec2, vol.VolumeId!)).toMatchObject({ State: 'available', Encrypted: true, KmsKeyId: key });
  expect((await kms.send(new ListGrantsCommand({ KeyId: key }))).Grants?.map((g) => g.Name)).toEqual([vol.VolumeId]);

  const snap = await as.allowed.ec2.send(new CreateSnapshotCommand({ VolumeId: vol.VolumeId }));
  expect(await snapshotCompleted(snap.SnapshotId!)).toMatchObject({ Encrypted: true, KmsKeyId: key });
  const copy = await as.allowed.ec2.send(new CreateVolumeCommand({ AvailabilityZone: AZ, SnapshotId: snap.SnapshotId }));
  expect(await settled(as.allowed.ec2, copy.VolumeId!)).toMatchObject({ State: 'available', Encrypted: true, KmsKeyId: key });
  const other = await newKey();
  const reKeyed = await as.allowed.ec2.send(new CreateVolumeCommand({ AvailabilityZone: AZ, SnapshotId: snap.SnapshotId, Encrypted: true, KmsKeyId: other }));
  expect(await settled(as.allowed.ec2, reKeyed.VolumeId!)).toMatchObject({ State: 'available', KmsKeyId: other });

  await as.allowed.ec2.send(new DeleteVolumeCommand({ VolumeId: vol.VolumeId }));
  expect((await kms.send(new ListGrantsCommand({ KeyId: key }))).Grants?.map((g) => g.Name)).toEqual([copy.VolumeId]);
  await expect(as.allowed.ec2.send(new CreateVolumeCommand({ AvailabilityZone: AZ, Size: 1, KmsKeyId: key }))).rejects.toMatchObject({
    name: 'InvalidParameterDependency',
  });
});

test('EC2 calls KMS as the caller, through ec2.REGION: without the permission, or scoped to another region, the volume ends in error', async () => {
  const key = await newKey();
  for (const who of ['noKms', 'otherRegion'] as const) {
    const vol = await as[who].ec2.send(new CreateVolumeCommand({ AvailabilityZone: AZ, Size: 1, Encrypted: true, KmsKeyId: key }));
    expect(await settled(as[who].ec2, vol.VolumeId!)).toMatchObject({ State: 'error', Encrypted: true, KmsKeyId: key });
  }
  expect((await kms.send(new ListGrantsCommand({ KeyId: key }))).Grants).toEqual([]);
});

test('the account default: encryption by default under a customer managed key, for volumes and launches; a disabled default key fails launches', async () => {
  expect((await t.ec2.send(new GetEbsEncryptionByDefaultCommand({}))).EbsEncryptionByDefault).toBe(false);
  expect((await t.ec2.send(new GetEbsDefaultKmsKeyIdCommand({}))).KmsKeyId).toBe(`arn:aws:kms:${TEST_REGION}:${ACCOUNT}:alias/aws/ebs`);
  const key = await newKey();
  await t.ec2.send(new EnableEbsEncryptionByDefaultCommand({}));
  expect((await t.ec2.send(new ModifyEbsDefaultKmsKeyIdCommand({ KmsKeyId: key }))).KmsKeyId).toBe(key);
  try {
    const vol = await as.allowed.ec2.send(new CreateVolumeCommand({ AvailabilityZone: AZ, Size: 1 }));
    expect(await settled(as.allowed.ec2, vol.VolumeId!)).toMatchObject({ State: 'available', Encrypted: true, KmsKeyId: key });

    expect(await launchState(as.allowed.ec2)).toMatchObject({ state: 'running' });
    expect(await launchState(as.noKms.ec2)).toMatchObject({
      state: 'terminated',
      reason: { Code: 'Client.InternalError', Message: 'Client.InternalError: Client error on launch' },
    });
    await kms.send(new DisableKeyCommand({ KeyId: key }));
    expect(await launchState(as.allowed.ec2)).toMatchObject({ state: 'terminated', reason: { Code: 'Client.InvalidKMSKey.InvalidState' } });
    await kms.send(new EnableKeyCommand({ KeyId: key }));
  } finally {
    await t.ec2.send(new ResetEbsDefaultKmsKeyIdCommand({}));
    await t.ec2.send(new DisableEbsEncryptionByDefaultCommand({}));
  }
  const plain = await as.noKms.ec2.send(new CreateVolumeCommand({ AvailabilityZone: AZ, Size: 1 }));
  expect(await settled(as.noKms.ec2, plain.VolumeId!)).toMatchObject({ State: 'available', Encrypted: false });
});

test('the EBS direct APIs read an encrypted snapshot only with kms:Decrypt on its key', async () => {
  const key = await newKey();
  const vol = await t.ec2.send(new CreateVolumeCommand({ AvailabilityZone: AZ, Size: 1, Encrypted: true, KmsKeyId: key }));
  await settled(t.ec2, vol.VolumeId!);
  const snap = await t.ec2.send(new CreateSnapshotCommand({ VolumeId: vol.VolumeId }));
  await snapshotCompleted(snap.SnapshotId!);
  expect((await as.allowed.ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: snap.SnapshotId }))).Blocks).toEqual([]);
  const denied = as.noKms.ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: snap.SnapshotId }));
  await expect(denied).rejects.toMatchObject({ name: 'AccessDeniedException', message: expect.stringContaining(`kms:Decrypt on resource: ${key}`) });
});
