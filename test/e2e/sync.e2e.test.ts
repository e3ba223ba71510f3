/**
 * End to end on the offline cloud, running the state machines `cdk synth` produced: a first sync reads
 * exactly the allocated blocks, the next ones exactly the changed blocks, every checkpoint reproduces the
 * volumes byte for byte, nothing is left but the base snapshots, and nothing foreign is touched.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  RunInstancesCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
} from '@aws-sdk/client-ec2';
import { BLOCK_SIZE } from '../../runtime/core/workers/agent-job';
import { RESERVED_EVENTS } from '../../runtime/core/sync/history-budget';
import { TAG } from '../../runtime/core/tags';
import { createProtectedInstance, seededBytes, writePattern, writeVolume, type ProtectedInstance } from '../../bin/demo/workload';
import type { VolumeImage } from '../../bin/demo/verify';
import { runSync } from '../../bin/demo/run-sync';
import { startExecution, waitForExecution } from '../../bin/commands/executions';
import { deployTestSite, type TestSite } from '../helpers/site';
import { checksOf, doctorOf } from '../helpers/doctor';
import { expectOnlyBaseSnapshotsLeft as onlyBaseSnapshotsLeft, expectStoreReproduces as storeReproduces, volumeImages } from '../helpers/store-checks';

const SITE = 'e2e';
const VPG = 'app';
const config = {
  siteId: SITE,
  vpgs: [{ name: VPG, instances: { tags: { app: 'e2e-app' } }, syncIntervalMinutes: 60, journalHours: 24 }],
  pollSeconds: 5,
};
const run = promisify(execFile);
const LIFEBOAT = path.resolve(__dirname, '../../bin/lifeboat.js');

let site: TestSite;
let app: ProtectedInstance;
const foreign: { volumes: string[]; snapshots: string[]; instances: string[] } = { volumes: [], snapshots: [], instances: [] };

const images = () => volumeImages(site, [app]);
const expectStoreReproduces = (checkpointId: string, expected: Map<string, VolumeImage>) => storeReproduces(site, VPG, checkpointId, expected);
const expectOnlyBaseSnapshotsLeft = (checkpointId: string) => onlyBaseSnapshotsLeft(site, VPG, checkpointId);

/** Resources that look like ours (same VPG tag, ZERTO_TAG, roles) but are another site's or nobody's. */
async function seedForeignLookAlikes(): Promise<void> {
  const az = 'us-east-1a';
  const looks = [
    { [TAG.owner]: 'other-site', [TAG.zerto]: 'ZERTO_EBS_RESOURCE', [TAG.vpg]: VPG, [TAG.role]: 'zsat' },
    { [TAG.zerto]: 'ZERTO_EBS_RESOURCE', [TAG.vpg]: VPG, [TAG.role]: 'zsat' },
    { Owner: 'someone', [TAG.vpg]: VPG },
  ];
  for (const tags of looks) {
    const Tags = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
    const v = await site.ec2.send(new CreateVolumeCommand({ AvailabilityZone: az, Size: 1, TagSpecifications: [{ ResourceType: 'volume', Tags }] }));
    foreign.volumes.push(v.VolumeId!);
    const s = await site.ec2.send(
      new CreateSnapshotCommand({
        VolumeId: app.volumes[0].volumeId,
        TagSpecifications: [{ ResourceType: 'snapshot', Tags: Tags.map((t) => (t.Key === TAG.role ? { ...t, Value: 'sync-snapshot' } : t)) }],
      }),
    );
    foreign.snapshots.push(s.SnapshotId!);
  }
  const image = (await site.ec2.send(new DescribeImagesCommand({}))).Images![0].ImageId!;
  const i = await site.ec2.send(
    new RunInstancesCommand({
      ImageId: image,
      MinCount: 1,
      MaxCount: 1,
      InstanceType: 't3.micro',
      TagSpecifications: [
        {
          ResourceType: 'instance',
          Tags: [
            { Key: TAG.owner, Value: 'other-site' },
            { Key: TAG.zerto, Value: 'ZERTO_EC2_RESOURCE' },
            { Key: TAG.vpg, Value: VPG },
            { Key: TAG.role, Value: 'zsat' },
          ],
        },
      ],
    }),
  );
  foreign.instances.push(i.Instances![0].InstanceId!);
}

async function expectForeignUntouched(): Promise<void> {
  const vols = await site.ec2.send(new DescribeVolumesCommand({ VolumeIds: foreign.volumes }));
  expect(vols.Volumes?.map((v) => v.VolumeId).sort()).toEqual([...foreign.volumes].sort());
  const snaps = await site.ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: foreign.snapshots }));
  expect(snaps.Snapshots?.length).toBe(foreign.snapshots.length);
  const inst = await site.ec2.send(new DescribeInstancesCommand({ InstanceIds: foreign.instances }));
  expect(inst.Reservations?.[0]?.Instances?.[0]?.State?.Name).toBe('running');
}

beforeAll(async () => {
  // The account's vCPU quota holds this file's workload: the protected t3.micro and a foreign look-alike t3.micro
  // (2 vCPUs each) and one zSAT (c6i.large, 2): 6, where a new account's 5 would hold no zSAT beside them.
  site = await deployTestSite(config, { vcpuQuota: 6 });
  app = await createProtectedInstance(site.ec2, { tags: { app: 'e2e-app' }, volumeSizesGiB: [1, 1] });
  await seedForeignLookAlikes();
}, 180_000);

afterAll(async () => site?.stop());

describe('sync, end to end on the offline cloud', () => {
  const firstWrites = new Map<string, Set<number>>();
  let firstCheckpoint = '';

  it('first sync reads exactly the allocated blocks and reproduces both volumes', async () => {
    const [dense, sparse] = app.volumes;
    const denseBlocks = 40;
    await writeVolume(site.url, dense.volumeId, 0, seededBytes('dense', denseBlocks * BLOCK_SIZE));
    const sparseWrites = await writePattern(site.url, sparse, { seed: 's1', runs: 2, runBlocks: 5, scattered: 7 });
    firstWrites.set(dense.volumeId, new Set(Array.from({ length: denseBlocks }, (_, i) => i)));
    firstWrites.set(sparse.volumeId, new Set(sparseWrites.blocksTouched));

    // the default VPC layout passes the preflight: the zone's default subnet, a public IPv4 address, its internet gateway
    const preflight = await doctorOf(site);
    expect(checksOf(preflight, 'problem')).toEqual([]);
    expect(preflight.checks.find((c) => c.check === 'zSAT network')?.detail).toMatch(
      /^us-east-1\w: zSATs launch in subnet-\w+ \(default subnet, public IPv4\), reaching S3 through internet gateway igw-\w+ with a public IPv4 address$/,
    );
    expect(preflight.checks.find((c) => c.check === 'vcpu-quota')).toMatchObject({
      status: 'ok',
      detail: '1 zSAT of c6i.large at once needs 2 of 2 free vCPUs (quota 6, 4 in use)',
    });

    const expected = await images();
    const sync = await runSync(site.sfn, site.syncArn(VPG), 'sync 1');
    firstCheckpoint = sync.checkpointId;
    // Measured for the history budget (runtime/core/sync/history-budget.ts): far inside the reserve.
    console.log(`first sync: ${sync.historyEvents} history events, ${sync.transitions} transitions`);
    expect(sync.historyEvents).toBeLessThan(RESERVED_EVENTS);
    const cp = await (await site.store(VPG)).getCheckpoint(VPG, sync.checkpointId);
    // every attached volume is protected: the two data volumes and the (empty, offline) root volume
    expect(cp!.volumes).toHaveLength(3);
    for (const v of cp!.volumes) expect(v.blocksRead).toBe(firstWrites.get(v.sourceVolumeId)?.size ?? 0);
    await expectStoreReproduces(sync.checkpointId, expected);
    await expectOnlyBaseSnapshotsLeft(sync.checkpointId);
  });

  it('second sync reads exactly the changed blocks (overwrites, unaligned writes, a trim)', async () => {
    const [dense, sparse] = app.volumes;
    const d = await writePattern(site.url, dense, { seed: 'd2', runs: 1, runBlocks: 3, scattered: 4, trim: [2] });
    const s = await writePattern(site.url, sparse, { seed: 's2', runs: 1, runBlocks: 6, scattered: 2 });
    const expected = await images();
    const sync = await runSync(site.sfn, site.syncArn(VPG), 'sync 2');
    const cp = await (await site.store(VPG)).getCheckpoint(VPG, sync.checkpointId);
    const changed = new Map([
      [dense.volumeId, d.blocksTouched.size],
      [sparse.volumeId, s.blocksTouched.size],
    ]);
    for (const v of cp!.volumes) {
      expect(v.blocksRead).toBe(changed.get(v.sourceVolumeId) ?? 0);
      expect(v.blocksChanged).toBe(changed.get(v.sourceVolumeId) ?? 0);
    }
    expect(cp!.parentId).toBe(firstCheckpoint);
    await expectStoreReproduces(sync.checkpointId, expected);
    await expectOnlyBaseSnapshotsLeft(sync.checkpointId);
  });

  it('two syncs started together while ListExecutions lags commit one checkpoint, which restores, and leak nothing', async () => {
    const store = await site.store(VPG);
    const before = (await store.listCheckpoints(VPG)).length;
    await writePattern(site.url, app.volumes[0], { seed: 'd3', runs: 1, runBlocks: 2, scattered: 0 });
    const expected = await images();
    // ListExecutions (and DescribeExecution) answer as of 3 s ago, as AWS documents they may: neither sync sees
    // the other there; only the VPG's lease keeps them apart
    site.cloud.faults.consistencyMs = 3000;
    const arns = await Promise.all([1, 2].map((i) => startExecution(site.sfn, site.syncArn(VPG), {}, `together${i}`)));
    const results = await Promise.all(arns.map((a) => waitForExecution(site.sfn, a, { label: 'together', pollMs: 200 })));
    site.cloud.faults.consistencyMs = 0;
    expect(results.map((r) => [r.status, r.cause ?? ''])).toEqual([
      ['SUCCEEDED', ''],
      ['SUCCEEDED', ''],
    ]);
    const skipped = results.filter((r) => JSON.parse(r.output ?? '{}').begin?.skipped);
    expect(skipped).toHaveLength(1);
    const after = await store.listCheckpoints(VPG);
    expect(after).toHaveLength(before + 1);
    await expectStoreReproduces(after[after.length - 1].id, expected);
    await expectOnlyBaseSnapshotsLeft(after[after.length - 1].id);
  });

  it('the CLI syncs and lists checkpoints as JSON, oldest first', async () => {
    const env = { ...process.env, AWS_ENDPOINT_URL: site.url };
    await writePattern(site.url, app.volumes[1], { seed: 's4', runs: 0, runBlocks: 1, scattered: 3 });
    const sync = await run(process.execPath, [LIFEBOAT, 'sync', VPG, '--wait', '--config', site.configPath], { env });
    expect(sync.stdout).toMatch(/checkpoint cp-\S+ committed/);
    const list = await run(process.execPath, [LIFEBOAT, 'checkpoints', VPG, '--json', '--config', site.configPath], { env });
    const checkpoints = JSON.parse(list.stdout) as Array<{ id: string; createdAt: string; volumes: Array<Record<string, unknown>> }>;
    expect(checkpoints.length).toBeGreaterThanOrEqual(4);
    const times = checkpoints.map((c) => Date.parse(c.createdAt));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    for (const v of checkpoints[checkpoints.length - 1].volumes) {
      expect(Object.keys(v)).toEqual(expect.arrayContaining(['sourceVolumeId', 'sizeBytes', 'blocksChanged', 'blocksRead']));
    }
    const unknown = await run(process.execPath, [LIFEBOAT, 'sync', 'nope', '--config', site.configPath], { env }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(unknown).toMatchObject({ code: 2 });
    expect((unknown as { stderr: string }).stderr).toMatch(/unknown VPG 'nope'.*app/);
  });

  it('never touched the foreign look-alikes', async () => {
    await expectForeignUntouched();
  });
});
