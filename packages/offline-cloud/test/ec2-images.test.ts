/**
 * Images registered from snapshots (RegisterImage of an EBS-backed AMI): what the request may set, the defaults the
 * reference gives, and an instance launched from one: its root volume holds the root snapshot's bytes, and it reports
 * the image's boot mode, virtualization type and ENA support.
 */
import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  RegisterImageCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { type Ec2Harness, errorName, pollUntil, startEc2 } from './helpers/ec2-harness';

let h: Ec2Harness;
beforeEach(async () => {
  h = await startEc2();
});
afterEach(() => h.close());

/** A completed snapshot of a 1 GiB volume holding `bytes` at `offset`. */
async function snapshotHolding(offset: number, bytes: Buffer): Promise<string> {
  const v = await h.client.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 1, VolumeType: 'gp3' }));
  await pollUntil(
    async () => (await h.client.send(new DescribeVolumesCommand({ VolumeIds: [v.VolumeId!] }))).Volumes![0].State === 'available' || undefined,
    'the volume',
  );
  h.storage.writeVolume(v.VolumeId!, offset, bytes);
  const s = await h.client.send(new CreateSnapshotCommand({ VolumeId: v.VolumeId }));
  await pollUntil(() => h.ec2.snapshots.get(s.SnapshotId!)?.state === 'completed' || undefined, 'the snapshot');
  return s.SnapshotId!;
}

test('an image registered from snapshots keeps what the request gives; an instance from it boots its root from the root snapshot', async () => {
  const root = await snapshotHolding(4096, Buffer.from('the recovered root'));
  const data = await snapshotHolding(0, Buffer.from('the recovered data'));
  const reg = await h.client.send(
    new RegisterImageCommand({
      Name: 'lifeboat site-1 web (recovered)',
      Architecture: 'x86_64',
      BootMode: 'uefi',
      VirtualizationType: 'hvm',
      EnaSupport: true,
      RootDeviceName: '/dev/xvda',
      BlockDeviceMappings: [
        { DeviceName: '/dev/xvda', Ebs: { SnapshotId: root, VolumeType: 'gp3', Iops: 4000, Throughput: 250, DeleteOnTermination: true } },
        { DeviceName: '/dev/xvdf', Ebs: { SnapshotId: data, VolumeType: 'gp2' } },
      ],
      TagSpecifications: [{ ResourceType: 'image', Tags: [{ Key: 'Owner', Value: 'site-1' }] }],
    }),
  );
  const [image] = (await h.client.send(new DescribeImagesCommand({ ImageIds: [reg.ImageId!] }))).Images!;
  expect(image).toMatchObject({ Architecture: 'x86_64', BootMode: 'uefi', VirtualizationType: 'hvm', EnaSupport: true, RootDeviceName: '/dev/xvda' });
  expect(image.BlockDeviceMappings!.map((m) => [m.DeviceName, m.Ebs!.SnapshotId, m.Ebs!.Throughput])).toEqual([
    ['/dev/xvda', root, 250],
    ['/dev/xvdf', data, undefined],
  ]);

  const run = await h.client.send(new RunInstancesCommand({ ImageId: reg.ImageId, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }));
  const instanceId = run.Instances![0].InstanceId!;
  const [inst] = (await h.client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations![0].Instances!;
  expect(inst).toMatchObject({ ImageId: reg.ImageId, BootMode: 'uefi', CurrentInstanceBootMode: 'uefi', VirtualizationType: 'hvm', EnaSupport: true });
  expect(inst.PlatformDetails).toBe('Linux/UNIX');
  const byDevice = new Map(inst.BlockDeviceMappings!.map((m) => [m.DeviceName!, m.Ebs!.VolumeId!]));
  const volumes = (await h.client.send(new DescribeVolumesCommand({ VolumeIds: [...byDevice.values()] }))).Volumes!;
  const rootVolume = volumes.find((v) => v.VolumeId === byDevice.get('/dev/xvda'))!;
  expect(rootVolume).toMatchObject({ SnapshotId: root, VolumeType: 'gp3', Iops: 4000, Throughput: 250 });
  expect(h.storage.readVolume(rootVolume.VolumeId!, 4096, 18).toString()).toBe('the recovered root');
  expect(h.storage.readVolume(byDevice.get('/dev/xvdf')!, 0, 18).toString()).toBe('the recovered data');
});

test("RegisterImage's defaults and refusals follow the reference", async () => {
  const root = await snapshotHolding(0, Buffer.from('x'));
  const mapping = [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: root } }];
  const bare = await h.client.send(new RegisterImageCommand({ Name: 'bare', RootDeviceName: '/dev/xvda', BlockDeviceMappings: mapping }));
  const [image] = (await h.client.send(new DescribeImagesCommand({ ImageIds: [bare.ImageId!] }))).Images!;
  // Architecture: "Default: For Amazon EBS-backed AMIs, i386"; VirtualizationType: "Default: paravirtual"
  expect(image).toMatchObject({ Architecture: 'i386', VirtualizationType: 'paravirtual', EnaSupport: false });
  expect(image.BootMode).toBeUndefined();
  const register = (over: Record<string, unknown>) =>
    errorName(h.client.send(new RegisterImageCommand({ Name: 'other', RootDeviceName: '/dev/xvda', BlockDeviceMappings: mapping, ...over })));
  expect(await register({ Name: 'bare' })).toBe('InvalidAMIName.Duplicate');
  expect(await register({ Name: 'no' })).toBe('InvalidAMIName.Malformed');
  expect(await register({ Name: 'a name with a # in it' })).toBe('InvalidAMIName.Malformed');
  expect(await register({ BootMode: 'bios' })).toBe('InvalidParameterValue');
  // only the image is taggable at RegisterImage
  expect(await register({ TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'Owner', Value: 's' }] }] })).toBe('InvalidParameterValue');
  // a volume from a snapshot takes the snapshot's encryption
  expect(await register({ BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: root, Encrypted: true } }] })).toBe(
    'InvalidParameterCombination',
  );
  expect(await register({ RootDeviceName: '/dev/sda1' })).toBe('InvalidBlockDeviceMapping');
});

test('the stock image is uefi-preferred: UEFI on current types, legacy BIOS on previous-generation ones', async () => {
  const bootOf = async (instanceType: string) => {
    const run = await h.client.send(
      new RunInstancesCommand({ ImageId: 'ami-0lifeboat0offline', InstanceType: instanceType as never, MinCount: 1, MaxCount: 1 }),
    );
    const d = await h.client.send(new DescribeInstancesCommand({ InstanceIds: [run.Instances![0].InstanceId!] }));
    const i = d.Reservations![0].Instances![0];
    return [i.BootMode, i.CurrentInstanceBootMode];
  };
  expect(await bootOf('t3.micro')).toEqual(['uefi-preferred', 'uefi']);
  expect(await bootOf('t2.micro')).toEqual(['uefi-preferred', 'legacy-bios']);
});
