/**
 * Volume initialization, API side, through the real SDK: VolumeInitializationRate's validation, on
 * CreateVolume and in block device mappings (RunInstances and a launch template), DescribeVolumes showing
 * it, and DescribeVolumeStatus' progress moving with the cloud's clock over the snapshot's written data.
 */
import { createHash } from 'node:crypto';
import { CompleteSnapshotCommand, EBSClient, PutSnapshotBlockCommand, StartSnapshotCommand } from '@aws-sdk/client-ebs';
import {
  CreateLaunchTemplateCommand,
  CreateVolumeCommand,
  DescribeVolumeStatusCommand,
  DescribeVolumesCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { VOLUME_INITIALIZATION } from '../src/aws-rates';
import { DEFAULT_IMAGE_ID } from '../src/ec2/images';
import { clientConfig, startTestCloud, type TestCloud } from '../src/testing';

const BLOCK = 524288;

let t: TestCloud;
let ec2: EC2Client;
let ebs: EBSClient;
/** The cloud's clock: tests move it by hand. */
let clock = Date.parse('2026-12-01T00:00:00Z');

beforeAll(async () => {
  // 1 MiB/s for the default rate so its progress is visible in whole seconds
  t = await startTestCloud({ now: () => clock, limits: { defaultInitializationMiBps: 1 } });
  ec2 = new EC2Client(clientConfig(t.url, { maxAttempts: 1 }));
  ebs = new EBSClient(clientConfig(t.url, { maxAttempts: 1 }));
});
afterAll(async () => {
  ec2.destroy();
  ebs.destroy();
  await t.stop();
});

/** A completed snapshot of a 1 GiB volume with `blocks` written 512 KiB blocks. */
async function snapshotWith(blocks: number): Promise<string> {
  const { SnapshotId } = await ebs.send(new StartSnapshotCommand({ VolumeSize: 1 }));
  for (let i = 0; i < blocks; i++) {
    const data = Buffer.alloc(BLOCK, i + 1);
    const Checksum = createHash('sha256').update(data).digest('base64');
    await ebs.send(new PutSnapshotBlockCommand({ SnapshotId, BlockIndex: i, BlockData: data, DataLength: BLOCK, Checksum, ChecksumAlgorithm: 'SHA256' }));
  }
  await ebs.send(new CompleteSnapshotCommand({ SnapshotId, ChangedBlocksCount: blocks }));
  return SnapshotId!;
}

async function status(volumeId: string) {
  const out = await ec2.send(new DescribeVolumeStatusCommand({ VolumeIds: [volumeId] }));
  const item = out.VolumeStatuses![0];
  return { item, state: item.VolumeStatus!.Details!.find((d) => d.Name === 'initialization-state')?.Status, init: item.InitializationStatusDetails };
}

async function errorOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as Error).name;
  }
  return 'no error';
}

test('VolumeInitializationRate is 100-300 MiB/s and only with a SnapshotId', async () => {
  expect(VOLUME_INITIALIZATION).toMatchObject({ minProvisionedMiBps: 100, maxProvisionedMiBps: 300 });
  const snap = await snapshotWith(1);
  const create = (extra: Record<string, unknown>) => ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', ...extra }));
  expect(await errorOf(create({ Size: 1, VolumeInitializationRate: 200 }))).toBe('InvalidParameterCombination');
  expect(await errorOf(create({ SnapshotId: snap, VolumeInitializationRate: 99 }))).toBe('InvalidParameterValue');
  expect(await errorOf(create({ SnapshotId: snap, VolumeInitializationRate: 301 }))).toBe('InvalidParameterValue');
  const ok = await create({ SnapshotId: snap, VolumeInitializationRate: 300 });
  expect(ok.VolumeInitializationRate).toBe(300);
  const described = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [ok.VolumeId!] }));
  expect(described.Volumes![0].VolumeInitializationRate).toBe(300);
});

test('a provisioned rate initializes the written data at that rate, with an estimate, as the clock moves', async () => {
  const snap = await snapshotWith(4); // 2 MiB written: 20 ms at 100 MiB/s
  const { VolumeId } = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', SnapshotId: snap, VolumeInitializationRate: 100 }));
  const start = await status(VolumeId!);
  expect(start.state).toBe('initializing');
  expect(start.init).toEqual({ InitializationType: 'provisioned-rate', Progress: 0, EstimatedTimeToCompleteInSeconds: 1 });
  clock += 10;
  expect((await status(VolumeId!)).init!.Progress).toBe(50);
  clock += 10;
  const done = await status(VolumeId!);
  expect(done.state).toBe('completed');
  expect(done.init).toEqual({ InitializationType: 'provisioned-rate', Progress: 100, EstimatedTimeToCompleteInSeconds: 0 });
  expect(done.item.VolumeStatus!.Status).toBe('ok');
});

test('the default rate reports progress without an estimate, as AWS does', async () => {
  const snap = await snapshotWith(4); // 2 MiB at the test's 1 MiB/s default: 2 s
  const { VolumeId } = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', SnapshotId: snap }));
  expect((await status(VolumeId!)).init).toEqual({ InitializationType: 'default', Progress: 0 });
  clock += 500;
  expect((await status(VolumeId!)).init!.Progress).toBe(25);
  clock += 1500;
  expect(await status(VolumeId!)).toMatchObject({ state: 'completed', init: { InitializationType: 'default', Progress: 100 } });
});

test('an empty volume needs no initialization: no initialization-state and no InitializationStatusDetails', async () => {
  const { VolumeId } = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 4 }));
  const s = await status(VolumeId!);
  expect(s.state).toBeUndefined();
  expect(s.init).toBeUndefined();
  expect(s.item.VolumeStatus!.Details!.map((d) => d.Name)).toEqual(['io-enabled', 'io-performance']);
});

test('a block device mapping takes VolumeInitializationRate, in RunInstances and in a launch template', async () => {
  const snap = await snapshotWith(2);
  const mapping = (rate: number) => [{ DeviceName: '/dev/sdf', Ebs: { SnapshotId: snap, VolumeInitializationRate: rate, DeleteOnTermination: true } }];
  const run = (extra: Record<string, unknown>) =>
    ec2.send(new RunInstancesCommand({ ImageId: DEFAULT_IMAGE_ID, InstanceType: 'm1.small', MinCount: 1, MaxCount: 1, ...extra }));
  expect(await errorOf(run({ BlockDeviceMappings: mapping(50) }))).toBe('InvalidParameterValue');

  const direct = await run({ BlockDeviceMappings: mapping(150) });
  const lt = await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'init-rate', LaunchTemplateData: { BlockDeviceMappings: mapping(250) } }));
  const fromTemplate = await run({ LaunchTemplate: { LaunchTemplateId: lt.LaunchTemplate!.LaunchTemplateId } });
  for (const [instance, rate] of [
    [direct, 150],
    [fromTemplate, 250],
  ] as const) {
    const vols = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [instance.Instances![0].InstanceId!] }] }));
    const fromSnap = vols.Volumes!.find((v) => v.SnapshotId === snap)!;
    expect(fromSnap.VolumeInitializationRate).toBe(rate);
    expect((await status(fromSnap.VolumeId!)).init!.InitializationType).toBe('provisioned-rate');
  }
});
