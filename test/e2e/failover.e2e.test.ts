/**
 * A failover end to end on the offline cloud, after the protected instance and the image it ran are gone (as in a
 * recovery region where neither exists): the checkpoint's launch facts are all the recovery has. The recovered VM
 * boots from an image Lifeboat registered from its recovered snapshots, with the source's architecture, boot mode,
 * root device and ENA support, its type and its own tags; its root volume is made from that image's root snapshot,
 * the snapshot of the recovered root; every disk, the root too, equals the checkpoint byte for byte; and the VM is
 * kept: `lifeboat failback-cleanup` leaves it and its image.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  DetachVolumeCommand,
  RegisterImageCommand,
  TerminateInstancesCommand,
  type Instance,
} from '@aws-sdk/client-ec2';
import { BLOCK_SIZE } from '../../runtime/core/workers/agent-job';
import { TAG, tagMap } from '../../runtime/core/tags';
import { createProtectedInstance, seededBytes, writePattern, writeVolume, type ProtectedInstance } from '../../bin/demo/workload';
import { captureVolumeImage, type VolumeImage } from '../../bin/demo/verify';
import { runSync } from '../../bin/demo/run-sync';
import { deployTestSite, type TestSite } from '../helpers/site';

const SITE = 'fo';
const VPG = 'app';
const config = {
  siteId: SITE,
  vpgs: [{ name: VPG, instances: { tags: { app: 'fo-app' } }, syncIntervalMinutes: 60, journalHours: 24 }],
  pollSeconds: 5,
};
const run = promisify(execFile);
const LIFEBOAT = path.resolve(__dirname, '../../bin/lifeboat.js');
const GIB = 1024 ** 3;

let site: TestSite;
let app: ProtectedInstance;
let rootVolumeId: string;
let checkpointId: string;
/** The source's disks at the checkpoint, by device. */
const expected = new Map<string, VolumeImage>();

async function instance(id: string): Promise<Instance> {
  const d = await site.ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  return d.Reservations![0].Instances![0];
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
    const v = await probe();
    if (v !== undefined) return v;
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  site = await deployTestSite(config, { vcpuQuota: 16 });
  // the workload's own image: a 1 GiB root on /dev/sda1, BIOS boot, no ENA: facts the stock image does not have
  const image = await site.ec2.send(
    new RegisterImageCommand({
      Name: 'fo-app-image',
      Architecture: 'x86_64',
      BootMode: 'legacy-bios',
      VirtualizationType: 'hvm',
      EnaSupport: false,
      RootDeviceName: '/dev/sda1',
      BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { VolumeSize: 1, VolumeType: 'gp3' } }],
    }),
  );
  app = await createProtectedInstance(site.ec2, {
    tags: { app: 'fo-app', team: 'payments' },
    name: 'fo-web',
    volumeSizesGiB: [1],
    instanceType: 't3.small',
    imageId: image.ImageId!,
  });
  const src = await instance(app.instanceId);
  rootVolumeId = src.BlockDeviceMappings!.find((m) => m.DeviceName === '/dev/sda1')!.Ebs!.VolumeId!;
  await writeVolume(site.url, rootVolumeId, 0, seededBytes('boot', 6 * BLOCK_SIZE));
  await writeVolume(site.url, rootVolumeId, 700 * BLOCK_SIZE + 17, seededBytes('etc', 70_000));
  await writePattern(site.url, app.volumes[0], { seed: 'data', runs: 2, runBlocks: 4, scattered: 5 });
  expected.set('/dev/sda1', await captureVolumeImage(site.url, { volumeId: rootVolumeId, sizeBytes: GIB }));
  expected.set('/dev/sdf', await captureVolumeImage(site.url, app.volumes[0]));
  checkpointId = (await runSync(site.sfn, site.syncArn(VPG), 'sync 1')).checkpointId;

  // the disaster: the protected instance, its volumes and its image are gone
  await site.ec2.send(new DetachVolumeCommand({ VolumeId: app.volumes[0].volumeId }));
  await site.ec2.send(new TerminateInstancesCommand({ InstanceIds: [app.instanceId] }));
  await site.ec2.send(new DeregisterImageCommand({ ImageId: image.ImageId }));
  await until('the source to terminate', async () => ((await instance(app.instanceId)).State?.Name === 'terminated' ? true : undefined));
}, 420_000);

afterAll(async () => site?.stop());

describe('failover, end to end on the offline cloud', () => {
  let vm: Instance;

  it('the CLI recovers the latest checkpoint in failover mode with only its launch facts', async () => {
    const env = { ...process.env, AWS_ENDPOINT_URL: site.url };
    const res = await run(process.execPath, [LIFEBOAT, 'failback', VPG, '--mode', 'failover', '--wait', '--config', site.configPath], { env });
    expect(res.stdout).toContain(`recovered checkpoint ${checkpointId} (failover)`);
    const id = new RegExp(`${app.instanceId} -> (i-[0-9a-f]+)`).exec(res.stdout)![1];
    vm = await instance(id);
    expect(vm.State?.Name).toBe('running');
    expect(vm.InstanceType).toBe('t3.small');
    expect(tagMap(vm.Tags)).toMatchObject({
      Name: 'fo-web',
      team: 'payments',
      app: 'fo-app',
      [TAG.owner]: SITE,
      [TAG.role]: 'recovered-vm',
      [TAG.recoveryMode]: 'failover',
      [TAG.sourceInstance]: app.instanceId,
    });
    expect(tagMap(vm.Tags)[TAG.testExpiresAt]).toBeUndefined();
  }, 300_000);

  it('it boots from a Lifeboat-registered image of the recorded facts, whose root snapshot is the recovered root', async () => {
    const [image] = (await site.ec2.send(new DescribeImagesCommand({ ImageIds: [vm.ImageId!] }))).Images!;
    expect(image).toMatchObject({ Architecture: 'x86_64', BootMode: 'legacy-bios', EnaSupport: false, VirtualizationType: 'hvm', RootDeviceName: '/dev/sda1' });
    expect(tagMap(image.Tags)).toMatchObject({ [TAG.owner]: SITE, [TAG.zerto]: 'ZERTO_EC2_RESOURCE', [TAG.role]: 'recovered-vm', [TAG.vpg]: VPG });
    expect(vm).toMatchObject({ RootDeviceName: '/dev/sda1', CurrentInstanceBootMode: 'legacy-bios', EnaSupport: false });
    const rootSnapshot = image.BlockDeviceMappings!.find((m) => m.DeviceName === '/dev/sda1')!.Ebs!.SnapshotId!;
    const recoveredRoot = vm.BlockDeviceMappings!.find((m) => m.DeviceName === '/dev/sda1')!.Ebs!.VolumeId!;
    const [volume] = (await site.ec2.send(new DescribeVolumesCommand({ VolumeIds: [recoveredRoot] }))).Volumes!;
    expect(volume.SnapshotId).toBe(rootSnapshot);
    const [snapshot] = (await site.ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [rootSnapshot] }))).Snapshots!;
    // the snapshot of the volume a ZImporter wrote for the source's root
    expect(tagMap(snapshot.Tags)).toMatchObject({ [TAG.role]: 'recovered-vm', [TAG.sourceVolume]: rootVolumeId, [TAG.checkpoint]: checkpointId });
  });

  it('every disk, the root too, equals the checkpoint byte for byte, on its device', async () => {
    const byDevice = new Map(vm.BlockDeviceMappings!.map((m) => [m.DeviceName!, m.Ebs!.VolumeId!]));
    expect([...byDevice.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [device, image] of expected) {
      const got = await captureVolumeImage(site.url, { volumeId: byDevice.get(device)!, sizeBytes: image.sizeBytes });
      expect({ device, sha256: got.sha256 }).toEqual({ device, sha256: image.sha256 });
    }
    expect(expected.get('/dev/sda1')!.blocks.size).toBeGreaterThan(6);
  });

  it('failback-cleanup leaves the failover VM and its image alone', async () => {
    const env = { ...process.env, AWS_ENDPOINT_URL: site.url };
    const res = await run(process.execPath, [LIFEBOAT, 'failback-cleanup', VPG, '--config', site.configPath], { env });
    expect(res.stdout).toContain(`no test VMs of ${VPG} to remove`);
    expect((await instance(vm.InstanceId!)).State?.Name).toBe('running');
    expect((await site.ec2.send(new DescribeImagesCommand({ ImageIds: [vm.ImageId!] }))).Images).toHaveLength(1);
  });
});
