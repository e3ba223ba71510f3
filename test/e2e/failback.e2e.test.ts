/**
 * Failback end to end on the offline cloud, through the state machines `cdk synth` produced: recovered VMs
 * hold exactly the source volumes of the chosen checkpoint (SHA-256 of whole volumes), every resource is
 * tagged, nothing of the importers stays, bad inputs fail with readable causes and leave nothing, and live
 * mode stops the source, syncs once more and recovers the last write.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  type Instance,
} from '@aws-sdk/client-ec2';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { BLOCK_SIZE } from '../../runtime/core/workers/agent-job';
import type { FailbackOutput } from '../../runtime/core/failback/contract';
import { TAG, tagMap } from '../../runtime/core/tags';
import { createProtectedInstance, seededBytes, writePattern, writeVolume, type ProtectedInstance } from '../../bin/demo/workload';
import { captureVolumeImage, type VolumeImage } from '../../bin/demo/verify';
import { runSync } from '../../bin/demo/run-sync';
import { runFailback } from '../../bin/demo/run-failback';
import { ownedResources } from '../../bin/demo/inventory';
import { readableCause, startExecution, waitForExecution } from '../../bin/commands/executions';
import { vpgRuntimeOf } from '../../bin/commands/context';
import { deployTestSite, type TestSite } from '../helpers/site';

const SITE = 'fb';
const VPG = 'app';
const config = {
  siteId: SITE,
  vpgs: [{ name: VPG, instances: { tags: { app: 'fb-app' } }, syncIntervalMinutes: 60, journalHours: 24 }],
  // two volumes per importer: the three source volumes (root + two data) need two importers
  importer: { volumesPerZsat: 2, maxZsats: 2 },
  pollSeconds: 5,
};
const run = promisify(execFile);
const LIFEBOAT = path.resolve(__dirname, '../../bin/lifeboat.js');

let site: TestSite;
let app: ProtectedInstance;
/** Images of the data volumes as each sync saw them, by checkpoint id. */
const imagesAt = new Map<string, Map<string, VolumeImage>>();
const checkpoints: string[] = [];

async function bucketName(): Promise<string> {
  return (await vpgRuntimeOf(site.sfn, site.syncArn(VPG))).storeBucket;
}

async function images(): Promise<Map<string, VolumeImage>> {
  const all = await Promise.all(app.volumes.map((v) => captureVolumeImage(site.url, v)));
  return new Map(all.map((i) => [i.sourceVolumeId, i]));
}

/** Syncs; `capture` first reads the volumes whole (slow: 1 GiB each) to verify a recovery of this checkpoint later. */
async function syncNow(label: string, capture: boolean): Promise<string> {
  const expected = capture ? await images() : undefined;
  const sync = await runSync(site.sfn, site.syncArn(VPG), label);
  if (expected) imagesAt.set(sync.checkpointId, expected);
  checkpoints.push(sync.checkpointId);
  return sync.checkpointId;
}

async function instance(id: string): Promise<Instance> {
  const d = await site.ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  return d.Reservations![0].Instances![0];
}

/** The source data volumes' devices on the protected instance. */
async function sourceDevices(): Promise<Map<string, string>> {
  const src = await instance(app.instanceId);
  return new Map((src.BlockDeviceMappings ?? []).map((m) => [m.DeviceName!, m.Ebs!.VolumeId!]));
}

/** Every data volume of the recovered VM, by device, equals the source volume's image (SHA-256 of the whole volume). */
async function expectRecovered(out: FailbackOutput, expected: Map<string, VolumeImage>): Promise<void> {
  expect(out.recoveredInstances).toHaveLength(1);
  expect(out.recoveredInstances[0].sourceInstanceId).toBe(app.instanceId);
  const vm = await instance(out.recoveredInstances[0].instanceId);
  expect(vm.State?.Name).toBe('running');
  const byDevice = new Map((vm.BlockDeviceMappings ?? []).map((m) => [m.DeviceName!, m.Ebs!.VolumeId!]));
  const source = await sourceDevices();
  expect([...byDevice.keys()].sort()).toEqual([...source.keys()].sort());
  // the root volume is empty offline and not captured; the data volumes are compared whole
  const data = [...source].filter(([, sourceVolumeId]) => expected.has(sourceVolumeId));
  expect(data).toHaveLength(app.volumes.length);
  const got = await Promise.all(
    data.map(([device, id]) => captureVolumeImage(site.url, { volumeId: byDevice.get(device)!, sizeBytes: expected.get(id)!.sizeBytes })),
  );
  expect(got.map((g, i) => ({ device: data[i][0], sha256: g.sha256 }))).toEqual(data.map(([device, id]) => ({ device, sha256: expected.get(id)!.sha256 })));
  await expectBootedFromRecoveredImage(vm, out.recoveredInstances[0].imageId);
}

/** The VM boots from an image Lifeboat registered from its recovered snapshots: each volume is made from the image's snapshot on its device. */
async function expectBootedFromRecoveredImage(vm: Instance, imageId: string | undefined): Promise<void> {
  expect(vm.ImageId).toBe(imageId);
  const [image] = (await site.ec2.send(new DescribeImagesCommand({ ImageIds: [vm.ImageId!] }))).Images!;
  expect(tagMap(image.Tags)).toMatchObject({
    [TAG.owner]: SITE,
    [TAG.zerto]: 'ZERTO_EC2_RESOURCE',
    [TAG.role]: 'recovered-vm',
    [TAG.sourceInstance]: app.instanceId,
  });
  // what the source's DescribeInstances said at the sync (the stock image: x86_64, uefi-preferred, so UEFI on a t3)
  expect(image).toMatchObject({ Architecture: 'x86_64', BootMode: 'uefi', VirtualizationType: 'hvm', EnaSupport: true, RootDeviceName: '/dev/xvda' });
  const imageSnapshots = new Map((image.BlockDeviceMappings ?? []).map((m) => [m.DeviceName!, m.Ebs!.SnapshotId!]));
  const vols = await site.ec2.send(new DescribeVolumesCommand({ VolumeIds: vm.BlockDeviceMappings!.map((m) => m.Ebs!.VolumeId!) }));
  const fromSnapshot = new Map(vols.Volumes!.map((v) => [v.VolumeId!, v.SnapshotId]));
  for (const m of vm.BlockDeviceMappings!)
    expect({ device: m.DeviceName, snapshot: fromSnapshot.get(m.Ebs!.VolumeId!) }).toEqual({
      device: m.DeviceName,
      snapshot: imageSnapshots.get(m.DeviceName!),
    });
  // the root snapshot is the recovered root: the snapshot of the volume the importer wrote for the source's root
  const snaps = await site.ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [imageSnapshots.get('/dev/xvda')!] }));
  expect(tagMap(snaps.Snapshots![0].Tags)).toMatchObject({ [TAG.role]: 'recovered-vm', [TAG.sourceInstance]: app.instanceId });
  expect(tagMap(snaps.Snapshots![0].Tags)[TAG.sourceVolume]).toBe((await sourceDevices()).get('/dev/xvda'));
}

/** Tags of the recovered VM, its volumes and NIC; and that no importer, importer volume or failback snapshot is left. */
async function expectTaggedAndClean(out: FailbackOutput & { executionArn: string }, mode: 'test' | 'live'): Promise<void> {
  const vm = await instance(out.recoveredInstances[0].instanceId);
  const expectTags = (tags: Record<string, string>, zerto: string) => {
    expect(tags).toMatchObject({
      [TAG.owner]: SITE,
      [TAG.zerto]: zerto,
      [TAG.role]: 'recovered-vm',
      [TAG.vpg]: VPG,
      [TAG.sourceInstance]: app.instanceId,
      [TAG.checkpoint]: out.checkpointId,
    });
    if (mode === 'test') expect(Date.parse(tags[TAG.testExpiresAt]) - Date.now()).toBeGreaterThan(23 * 3600_000);
    else expect(tags[TAG.testExpiresAt]).toBeUndefined();
  };
  expectTags(tagMap(vm.Tags), 'ZERTO_EC2_RESOURCE');
  const vols = await site.ec2.send(new DescribeVolumesCommand({ VolumeIds: vm.BlockDeviceMappings!.map((m) => m.Ebs!.VolumeId!) }));
  for (const v of vols.Volumes!) expectTags(tagMap(v.Tags), 'ZERTO_EBS_RESOURCE');
  const nics = await site.ec2.send(
    new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: (vm.NetworkInterfaces ?? []).map((n) => n.NetworkInterfaceId!) }),
  );
  expect(nics.NetworkInterfaces?.length).toBeGreaterThan(0);
  for (const n of nics.NetworkInterfaces!) expectTags(tagMap(n.TagSet), 'ZERTO_EC2_RESOURCE');

  // the importers of this execution are terminated (still listed as such), and were tagged as ZImporters
  const importId = out.executionArn.split(':').pop()!;
  const importers = await site.ec2.send(
    new DescribeInstancesCommand({
      Filters: [
        { Name: `tag:${TAG.executionId}`, Values: [importId] },
        { Name: `tag:${TAG.role}`, Values: ['zimporter'] },
      ],
    }),
  );
  const importerList = (importers.Reservations ?? []).flatMap((r) => r.Instances ?? []);
  expect(importerList.length).toBe(2); // three volumes, two per importer
  for (const i of importerList) {
    expect(i.State?.Name).toBe('terminated');
    expect(tagMap(i.Tags)).toMatchObject({
      [TAG.owner]: SITE,
      [TAG.zerto]: 'ZERTO_EC2_RESOURCE',
      [TAG.vpg]: VPG,
      [TAG.checkpoint]: out.checkpointId,
      [TAG.agentJob]: expect.stringMatching(/^s3:\/\//),
    });
  }

  const owned = await ownedResources(site.ec2, SITE);
  const roleOf = async (kind: 'instance' | 'volume', id: string) => {
    if (kind === 'instance') return tagMap((await instance(id)).Tags)[TAG.role];
    const d = await site.ec2.send(new DescribeVolumesCommand({ VolumeIds: [id] }));
    return tagMap(d.Volumes![0].Tags)[TAG.role];
  };
  for (const id of owned.instances) expect(await roleOf('instance', id)).toBe('recovered-vm');
  for (const id of owned.volumes) expect(await roleOf('volume', id)).toBe('recovered-vm');
  // left: the sync's base snapshots, and the snapshots the recovered VMs' images are registered from
  const images = await site.ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: `tag:${TAG.owner}`, Values: [SITE] }] }));
  const imageSnapshots = new Set((images.Images ?? []).flatMap((i) => (i.BlockDeviceMappings ?? []).map((m) => m.Ebs?.SnapshotId)));
  const snaps = await site.ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: `tag:${TAG.owner}`, Values: [SITE] }] }));
  for (const s of snaps.Snapshots ?? []) {
    const role = tagMap(s.Tags)[TAG.role];
    expect({ role, backsAnImage: imageSnapshots.has(s.SnapshotId) }).toEqual(
      role === 'sync-snapshot' ? { role, backsAnImage: false } : { role: 'recovered-vm', backsAnImage: true },
    );
  }
  const working = await site.s3.send(new ListObjectsV2Command({ Bucket: await bucketName(), Prefix: `vpgs/${VPG}/imports/` }));
  expect(working.KeyCount ?? 0).toBe(0);
}

/** Starts a failback that must fail; returns its readable cause. */
async function failingFailback(input: unknown): Promise<string> {
  const before = await ownedResources(site.ec2, SITE);
  const arn = await startExecution(site.sfn, site.failbackArn(VPG), input, 'bad');
  const exec = await waitForExecution(site.sfn, arn, { label: 'bad failback', pollMs: 200 });
  expect(exec.status).toBe('FAILED');
  const after = await ownedResources(site.ec2, SITE);
  expect(after).toEqual(before);
  return readableCause(exec);
}

beforeAll(async () => {
  // The account's vCPU quota holds this file's workload: the source t3.micro, the test-mode recovered VMs the
  // tests keep until failback-cleanup (t3.micro each), and the zSAT and importers (c6i.large, 2 vCPUs each).
  site = await deployTestSite(config, { vcpuQuota: 16 });
  app = await createProtectedInstance(site.ec2, { tags: { app: 'fb-app' }, volumeSizesGiB: [1, 1] });
  const [dense, sparse] = app.volumes;
  await writeVolume(site.url, dense.volumeId, 0, seededBytes('dense', 24 * BLOCK_SIZE));
  await writePattern(site.url, sparse, { seed: 's1', runs: 2, runBlocks: 4, scattered: 5 });
  await syncNow('sync 1', true);
  await writePattern(site.url, dense, { seed: 'd2', runs: 1, runBlocks: 3, scattered: 3, trim: [2, 5] });
  await writePattern(site.url, sparse, { seed: 's2', runs: 1, runBlocks: 5, scattered: 2, trim: [] });
  await syncNow('sync 2', false);
  await writePattern(site.url, dense, { seed: 'd3', runs: 1, runBlocks: 2, scattered: 2, trim: [0] });
  await writePattern(site.url, sparse, { seed: 's3', runs: 0, runBlocks: 1, scattered: 4 });
  await syncNow('sync 3', true);
}, 420_000);

afterAll(async () => site?.stop());

describe('failback, end to end on the offline cloud', () => {
  it('test mode recovers checkpoint 1 byte for byte, tagged, with nothing of the importers left', async () => {
    const out = await runFailback(site.sfn, site.failbackArn(VPG), { checkpoint: checkpoints[0], mode: 'test' });
    expect(out).toMatchObject({ checkpointId: checkpoints[0], mode: 'test' });
    expect(out.durationSeconds).toBeGreaterThanOrEqual(0);
    expect(out.volumes.map((v) => v.sourceVolumeId).sort()).toEqual([...(await sourceDevices()).values()].sort());
    const dense = out.volumes.find((v) => v.sourceVolumeId === app.volumes[0].volumeId)!;
    expect(dense.bytesWritten).toBe(24 * BLOCK_SIZE);
    await expectRecovered(out, imagesAt.get(checkpoints[0])!);
    await expectTaggedAndClean(out, 'test');
  });

  it('test mode recovers the latest checkpoint (by default)', async () => {
    const out = await runFailback(site.sfn, site.failbackArn(VPG), {});
    expect(out).toMatchObject({ checkpointId: checkpoints[2], mode: 'test' });
    await expectRecovered(out, imagesAt.get(checkpoints[2])!);
    await expectTaggedAndClean(out, 'test');
  });

  it('the CLI recovers a point in time (the last checkpoint at or before it) and refuses a bad mode as bad usage', async () => {
    const env = { ...process.env, AWS_ENDPOINT_URL: site.url };
    const store = await site.store(VPG);
    const second = (await store.listCheckpoints(VPG)).find((c) => c.id === checkpoints[1])!;
    const at = new Date(Date.parse(second.createdAt) + 1).toISOString();
    const res = await run(process.execPath, [LIFEBOAT, 'failback', VPG, '--checkpoint', at, '--wait', '--config', site.configPath], { env });
    expect(res.stdout).toContain(`recovered checkpoint ${checkpoints[1]} (test)`);
    expect(res.stdout).toMatch(new RegExp(`${app.instanceId} -> i-[0-9a-f]+`));
    const bad = await run(process.execPath, [LIFEBOAT, 'failback', VPG, '--mode', 'prod', '--config', site.configPath], { env }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr).toContain("--mode must be one of test, live, failover (got 'prod')");
  });

  it('failback-cleanup removes the test VMs of the VPG and prints them', async () => {
    const env = { ...process.env, AWS_ENDPOINT_URL: site.url };
    const before = await ownedResources(site.ec2, SITE);
    expect(before.instances).toHaveLength(3);
    const res = await run(process.execPath, [LIFEBOAT, 'failback-cleanup', VPG, '--config', site.configPath], { env });
    for (const id of before.instances) expect(res.stdout).toContain(`terminated ${id}`);
    const after = await ownedResources(site.ec2, SITE);
    expect(after.instances).toEqual([]);
    expect(after.volumes).toEqual([]);
    // the test VMs' images went, and their snapshots: only the sync's remain
    const images = await site.ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: `tag:${TAG.owner}`, Values: [SITE] }] }));
    expect(images.Images ?? []).toEqual([]);
    expect(res.stdout).toMatch(/deregistered ami-/);
    const snaps = await site.ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: `tag:${TAG.owner}`, Values: [SITE] }] }));
    expect(new Set((snaps.Snapshots ?? []).map((s) => tagMap(s.Tags)[TAG.role]))).toEqual(new Set(['sync-snapshot']));
    const src = await instance(app.instanceId);
    expect(src.State?.Name).toBe('running');
  });

  it('bad inputs fail at once with causes that name the field, and leave nothing', async () => {
    expect(await failingFailback({ checkpoint: 'cp-20000101T000000Z-nope' })).toMatch(
      new RegExp(`checkpoint: cp-20000101T000000Z-nope is not a committed checkpoint of VPG app; nearest after: ${checkpoints[0]} \\(`),
    );
    const store = await site.store(VPG);
    const first = (await store.listCheckpoints(VPG))[0];
    expect(await failingFailback({ checkpoint: '2001-01-01T00:00:00Z' })).toContain(
      `checkpoint: 2001-01-01T00:00:00Z is before the first checkpoint of VPG app, ${first.id} taken at ${first.createdAt}`,
    );
    expect(await failingFailback({ mode: 'prod' })).toMatch(/mode: must be "test" .*, "live" .* or "failover" .*\(got "prod"\)/);
    expect(await failingFailback({ mode: 'test', colour: 'blue' })).toMatch(/colour: is not a known field; allowed: checkpoint, mode, target/);
    expect(await failingFailback({ target: { subnet: 'x' } })).toMatch(/target\.subnet: is not a known field/);
  });

  it('a corrupted block in the store fails the failback with the block named, and leaves nothing', async () => {
    const store = await site.store(VPG);
    const bucket = await bucketName();
    const wanted = new Set((await store.resolveVolume(VPG, checkpoints[0], app.volumes[0].volumeId)).values());
    const listing = await site.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `vpgs/${VPG}/packs/` }));
    let packKey = '';
    for (const o of listing.Contents ?? []) {
      if (!o.Key!.endsWith('.idx.json')) continue;
      const idx = JSON.parse(await (await site.s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key! }))).Body!.transformToString()) as {
        blocks: Array<{ hash: string }>;
      };
      if (idx.blocks.some((b) => wanted.has(b.hash))) packKey = o.Key!.replace(/\.idx\.json$/, '.pack');
    }
    expect(packKey).not.toBe('');
    const original = Buffer.from(await (await site.s3.send(new GetObjectCommand({ Bucket: bucket, Key: packKey }))).Body!.transformToByteArray());
    const corrupted = Buffer.from(original);
    corrupted[1234] ^= 0xff;
    await site.s3.send(new PutObjectCommand({ Bucket: bucket, Key: packKey, Body: corrupted }));
    try {
      const cause = await failingFailback({ checkpoint: checkpoints[0] });
      expect(cause).toMatch(/ZImporter i-\S+ agent failed: .*CorruptBlock: block [0-9a-f]{64} in pack .* hashes to/);
      const working = await site.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `vpgs/${VPG}/imports/` }));
      expect(working.KeyCount ?? 0).toBe(0);
      expect((await store.listCheckpoints(VPG)).map((c) => c.id)).toEqual(checkpoints);
    } finally {
      await site.s3.send(new PutObjectCommand({ Bucket: bucket, Key: packKey, Body: original }));
    }
  });

  it('live mode stops the source, runs a final sync and recovers the last write', async () => {
    const [dense] = app.volumes;
    await writeVolume(site.url, dense.volumeId, 7 * BLOCK_SIZE + 99, seededBytes('last-write', 70_000));
    const expected = await images();
    const store = await site.store(VPG);
    const before = (await store.listCheckpoints(VPG)).map((c) => c.id);
    const out = await runFailback(site.sfn, site.failbackArn(VPG), { mode: 'live' });
    const after = (await store.listCheckpoints(VPG)).map((c) => c.id);
    expect(after).toEqual([...before, out.checkpointId]);
    expect(out.mode).toBe('live');
    expect((await instance(app.instanceId)).State?.Name).toBe('stopped');
    await expectRecovered(out, expected);
    await expectTaggedAndClean(out, 'live');
  }, 300_000); // stop, final sync, import and launch in one flow: the longest of the file (about 100 s here)
});
