/** Ec2Adapter and EbsDirect over the real SDK against the offline cloud's EC2 and EBS direct API emulators. */
import { CloudClock } from '@lifeboat/offline-cloud/src/clock';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EBSClient } from '@aws-sdk/client-ebs';
import { AttachVolumeCommand, CreateLaunchTemplateCommand, CreateVolumeCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { ebsView } from '@lifeboat/offline-cloud/src/cloud-services';
import { DEFAULT_LIMITS } from '@lifeboat/offline-cloud/src/aws-rates';
import { DEFAULT_FAULTS, OFFLINE_ACCOUNT_ID, type CloudContext } from '@lifeboat/offline-cloud/src/context';
import { createEbsService } from '@lifeboat/offline-cloud/src/ebs';
import { createEc2Service, DEFAULT_IMAGE_ID, imdsRoute, type Ec2Service } from '@lifeboat/offline-cloud/src/ec2';
import { createEdgeHandler, listen } from '@lifeboat/offline-cloud/src/edge';
import { FileVolumeStorage } from '@lifeboat/offline-cloud/src/storage/file-volume-storage';
import { Conflict, NotFound } from '../../runtime/core/errors';
import { Ec2Adapter } from '../../runtime/aws/ec2-adapter';
import { EbsDirect } from '../../runtime/aws/ebs-direct';
import { TAG, tagList, tagsFor } from '../../runtime/core/tags';
import type { AgentProgress, AgentResult, BlockPlan, ReadJob } from '../../runtime/core/workers/agent-job';
import { ZERO_BLOCK } from '../../runtime/core/workers/agent-job';
import type { StepDeps } from '../../runtime/core/sync/deps';
import { ENV, FakeCapacity, FakeExecutions, MemoryLog, MemoryStore, vpgRuntime, MemoryCoordination } from '../steps/fakes';
import { steps, type State, storeFakePack } from '../steps/sync-driver';

interface AwsHarness {
  readonly ec2Service: Ec2Service;
  readonly storage: FileVolumeStorage;
  readonly ec2Client: EC2Client;
  readonly ebsClient: EBSClient;
  close(): Promise<void>;
}

async function startEc2AndEbs(): Promise<AwsHarness> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-adapters-'));
  let url = '';
  const ctx: CloudContext = {
    dataDir,
    endpoint: () => url,
    region: 'us-east-1',
    accountId: OFFLINE_ACCOUNT_ID,
    faults: { ...DEFAULT_FAULTS },
    timings: { snapshotMs: 50, volumeMs: 20, instanceMs: 20, bootMs: 0, connectTimeoutMs: 300 },
    // An account whose On-Demand vCPU quota holds this file's four protected instances (1 vCPU each) and its
    // zSATs (2 each): a new account's 5 vCPUs would not hold the protected workload and a zSAT, in AWS either.
    limits: { ...DEFAULT_LIMITS, vcpuQuota: 16 },
    clock: new CloudClock(),
    faultCounts: {},
    markDirty: () => undefined,
    log: () => undefined,
  };
  const storage = new FileVolumeStorage(path.join(dataDir, 'storage'));
  const ec2Service = createEc2Service(ctx, storage);
  const ebs = createEbsService(ctx, storage, ebsView(ec2Service.snapshots));
  const listening = await listen(createEdgeHandler({ services: [ec2Service, ebs], routes: [imdsRoute(ec2Service)] }));
  url = listening.url;
  const common = { endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  const ec2Client = new EC2Client(common);
  const ebsClient = new EBSClient(common);
  return {
    ec2Service,
    storage,
    ec2Client,
    ebsClient,
    close: async () => {
      ec2Client.destroy();
      ebsClient.destroy();
      ec2Service.close();
      await listening.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `probe` until it returns something other than undefined; fails after the deadline. */
async function eventually<T>(probe: () => Promise<T | undefined>, what: string, deadlineMs = 10000): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const BLOCK = 512 * 1024;
const SITE = 'site-a';

let h: AwsHarness;
let ec2: Ec2Adapter;
let ebs: EbsDirect;

beforeAll(async () => {
  h = await startEc2AndEbs();
  ec2 = new Ec2Adapter(h.ec2Client);
  ebs = new EbsDirect(h.ebsClient);
});
afterAll(() => h.close());

/** A protected instance (root volume from the image) with one 1 GiB data volume attached, both with data. */
async function protectedInstance(app: string) {
  const run = await h.ec2Client.send(
    new RunInstancesCommand({
      ImageId: DEFAULT_IMAGE_ID,
      MinCount: 1,
      MaxCount: 1,
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'app', Value: app }] }],
    }),
  );
  const instanceId = run.Instances![0].InstanceId!;
  const az = run.Instances![0].Placement!.AvailabilityZone!;
  const vol = await h.ec2Client.send(new CreateVolumeCommand({ AvailabilityZone: az, Size: 1 }));
  await eventually(async () => ((await ec2.describeInstances({ ids: [instanceId] }))[0]?.state === 'running' ? true : undefined), 'instance running');
  await eventually(async () => ((await ec2.describeVolumes({ ids: [vol.VolumeId!] }))[0]?.state === 'available' ? true : undefined), 'volume available');
  await h.ec2Client.send(new AttachVolumeCommand({ VolumeId: vol.VolumeId!, InstanceId: instanceId, Device: '/dev/sdf' }));
  const dataVolumeId = vol.VolumeId!;
  h.storage.writeVolume(dataVolumeId, 0, Buffer.alloc(BLOCK, 1));
  h.storage.writeVolume(dataVolumeId, 5 * BLOCK, Buffer.alloc(BLOCK, 2));
  return { instanceId, az, dataVolumeId };
}

async function completed(snapshotIds: string[]) {
  return eventually(async () => {
    const found = await ec2.describeSnapshots({ ids: snapshotIds });
    return found.length === snapshotIds.length && found.every((s) => s.state === 'completed') ? found : undefined;
  }, 'snapshots completed');
}

describe('Ec2Adapter and EbsDirect against the offline cloud', () => {
  it('describes instances by tag and by id; an unknown id among known ones is just absent', async () => {
    const { instanceId, dataVolumeId } = await protectedInstance('web');
    const byTag = await ec2.describeInstances({ tags: { app: 'web' }, states: ['running', 'stopped'] });
    expect(byTag.map((i) => i.instanceId)).toEqual([instanceId]);
    expect(byTag[0].volumes.map((v) => v.volumeId)).toContain(dataVolumeId);
    const byId = await ec2.describeInstances({ ids: [instanceId, 'i-0123456789abcdef0'] });
    expect(byId.map((i) => i.instanceId)).toEqual([instanceId]);
    expect(await ec2.describeInstances({ ids: ['i-0123456789abcdef0'] })).toEqual([]);
  });

  it("tells how an instance boots and where it sits, and each volume's EBS settings: the launch facts a checkpoint records", async () => {
    const { instanceId, dataVolumeId } = await protectedInstance('facts');
    const [instance] = await ec2.describeInstances({ ids: [instanceId] });
    expect(instance.facts).toEqual({
      instanceType: 'm1.small',
      architecture: 'x86_64',
      // the stock image is uefi-preferred; m1 is BIOS only
      bootMode: 'legacy-bios',
      rootDeviceName: '/dev/xvda',
      virtualizationType: 'hvm',
      enaSupport: true,
      platform: 'Linux/UNIX',
      subnetId: expect.stringMatching(/^subnet-/),
      securityGroupIds: [expect.stringMatching(/^sg-/)],
      privateIps: [expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/)],
    });
    const [volume] = await ec2.describeVolumes({ ids: [dataVolumeId] });
    // CreateVolume's default type is gp2, with its baseline IOPS and no throughput of its own
    expect(volume).toMatchObject({ volumeType: 'gp2', iops: 100 });
    expect(volume.throughput).toBeUndefined();
  });

  it('snapshots an instance crash-consistently with tags at creation; EBS lists its blocks and the changes', async () => {
    const { instanceId, dataVolumeId } = await protectedInstance('snap');
    const tags = tagsFor(SITE, 'sync-snapshot', 'snapshot', { [TAG.vpg]: 'web', [TAG.syncId]: 's1' });
    const set1 = await ec2.createSnapshots(instanceId, tags);
    expect(set1.map((s) => s.volumeId)).toContain(dataVolumeId);
    const base = set1.find((s) => s.volumeId === dataVolumeId)!.snapshotId;
    const [info] = await completed([base]);
    expect(info.tags).toEqual(tags);
    expect(info.progress).toBe(100);
    expect((await ec2.describeSnapshots({ tags: { [TAG.syncId]: 's1' } })).map((s) => s.snapshotId).sort()).toEqual(set1.map((s) => s.snapshotId).sort());

    const listed = await ebs.listSnapshotBlocks(base);
    expect(listed).toEqual({ blockSize: BLOCK, indexes: [0, 5] });

    h.storage.writeVolume(dataVolumeId, 5 * BLOCK, Buffer.alloc(BLOCK, 3));
    h.storage.writeVolume(dataVolumeId, 9 * BLOCK, Buffer.alloc(BLOCK, 4));
    const set2 = await ec2.createSnapshots(instanceId, { ...tags, [TAG.syncId]: 's2' });
    const next = set2.find((s) => s.volumeId === dataVolumeId)!.snapshotId;
    await completed([next]);
    const changed = await ebs.listChangedBlocks(base, next);
    expect(changed.blockSize).toBe(BLOCK);
    expect(changed.blocks).toEqual([
      { index: 5, inBase: true, inNew: true },
      { index: 9, inBase: false, inNew: true },
    ]);

    await ec2.deleteSnapshot(base);
    await expect(ec2.deleteSnapshot(base)).rejects.toBeInstanceOf(NotFound);
    await expect(ebs.listSnapshotBlocks(base)).rejects.toBeInstanceOf(NotFound);
  });

  it('creates a zSAT volume and instance idempotently by client token, from an owned template, and attaches', async () => {
    const { instanceId, az, dataVolumeId } = await protectedInstance('zsat-src');
    const [snap] = await ec2
      .createSnapshots(instanceId, tagsFor(SITE, 'sync-snapshot', 'snapshot', { [TAG.vpg]: 'web' }))
      .then((s) => s.filter((x) => x.volumeId === dataVolumeId));
    await completed([snap.snapshotId]);
    const volumeTags = tagsFor(SITE, 'zsat', 'volume', { [TAG.vpg]: 'web', [TAG.syncId]: 's3' });
    const request = { snapshotId: snap.snapshotId, availabilityZone: az, clientToken: 's3-vol-1', tags: volumeTags };
    const v1 = await ec2.createVolume(request);
    const v2 = await ec2.createVolume(request);
    expect(v2.volumeId).toBe(v1.volumeId);
    expect(v1.snapshotId).toBe(snap.snapshotId);

    expect(await ec2.findLaunchTemplate('lifeboat-site-a-zsat')).toBeNull();
    await h.ec2Client.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'lifeboat-site-a-zsat',
        LaunchTemplateData: { ImageId: DEFAULT_IMAGE_ID, InstanceType: 'c6i.large' },
        TagSpecifications: [{ ResourceType: 'launch-template', Tags: tagList(tagsFor(SITE, 'site', 'launch-template')) }],
      }),
    );
    const template = (await ec2.findLaunchTemplate('lifeboat-site-a-zsat'))!;
    expect(template.tags[TAG.owner]).toBe(SITE);

    const subnetId = (await ec2.defaultSubnet(az))!;
    expect(subnetId).toMatch(/^subnet-/);
    const run = {
      launchTemplateId: template.launchTemplateId,
      subnetId,
      clientToken: 's3-zsat-0',
      instanceTags: tagsFor(SITE, 'zsat', 'instance', { [TAG.vpg]: 'web', [TAG.agentJob]: 's3://bucket/vpgs/web/syncs/s3/jobs/j.json' }),
      volumeTags,
      networkInterfaceTags: tagsFor(SITE, 'zsat', 'network-interface', { [TAG.vpg]: 'web' }),
    };
    const i1 = await ec2.runInstance(run);
    const i2 = await ec2.runInstance(run);
    expect(i2.instanceId).toBe(i1.instanceId);
    expect(i1.availabilityZone).toBe(az);
    expect(i1.tags[TAG.agentJob]).toBe('s3://bucket/vpgs/web/syncs/s3/jobs/j.json');

    await eventually(async () => ((await ec2.describeVolumes({ ids: [v1.volumeId] }))[0]?.state === 'available' ? true : undefined), 'zSAT volume available');
    await eventually(async () => ((await ec2.describeInstances({ ids: [i1.instanceId] }))[0]?.state === 'running' ? true : undefined), 'zSAT running');
    await ec2.attachVolume(v1.volumeId, i1.instanceId, '/dev/sdf');
    const [attached] = await ec2.describeVolumes({ tags: { [TAG.syncId]: 's3', [TAG.role]: 'zsat' } });
    expect(attached.attachments).toEqual([expect.objectContaining({ instanceId: i1.instanceId, device: '/dev/sdf' })]);
    await expect(ec2.deleteVolume(v1.volumeId)).rejects.toBeInstanceOf(Conflict);

    await ec2.terminateInstances([i1.instanceId]);
    await eventually(async () => ((await ec2.describeVolumes({ ids: [v1.volumeId] }))[0]?.state === 'available' ? true : undefined), 'zSAT volume released');
    await ec2.deleteVolume(v1.volumeId);
    expect(await ec2.describeVolumes({ ids: [v1.volumeId] })).toEqual([]);
    await expect(ec2.attachVolume('vol-0123456789abcdef0', i1.instanceId, '/dev/sdg')).rejects.toBeInstanceOf(NotFound);
  });
});

describe('the sync steps over the real adapters and the emulators', () => {
  /** Stands in for the zSAT's agent: the hash of every planned block of the snapshot, zero where unallocated. */
  async function agent(store: MemoryStore, jobKey: string): Promise<void> {
    const job = (await store.getJson<ReadJob>(jobKey))!;
    const volumes = [];
    for (const v of job.volumes) {
      const plan = (await store.getJson<BlockPlan>(v.planKey))!;
      const hashes = h.storage.snapshotBlocks(plan.snapshotId);
      const blocks = Object.fromEntries(plan.blocks.map((b) => [String(b), hashes.get(b) ?? ZERO_BLOCK]));
      volumes.push({ sourceVolumeId: v.sourceVolumeId, blocks, blocksRead: plan.blocks.length, bytesRead: plan.blocks.length * BLOCK, bytesStored: 0 });
    }
    const packs = await storeFakePack(
      store,
      job.vpg,
      volumes.flatMap((v) => Object.values(v.blocks)),
    );
    await store.putJson(job.resultKey, { jobId: job.jobId, volumes, packs } satisfies AgentResult);
    const n = volumes.reduce((a, v) => a + v.blocksRead, 0);
    await store.putJson(job.progressKey, {
      jobId: job.jobId,
      state: 'done',
      updatedAt: new Date().toISOString(),
      blocksTotal: n,
      blocksDone: n,
      bytesRead: 0,
      bytesStored: 0,
    } satisfies AgentProgress);
  }

  it('runs a whole sync: snapshots, plan, zSAT spawn and attach, commit, cleanup of the zSAT', async () => {
    const { dataVolumeId } = await protectedInstance('db');
    if (!(await ec2.findLaunchTemplate(ENV.zsatLaunchTemplate))) {
      await h.ec2Client.send(
        new CreateLaunchTemplateCommand({
          LaunchTemplateName: ENV.zsatLaunchTemplate,
          LaunchTemplateData: { ImageId: DEFAULT_IMAGE_ID },
          TagSpecifications: [{ ResourceType: 'launch-template', Tags: tagList(tagsFor(SITE, 'site', 'launch-template')) }],
        }),
      );
    }
    const store = new MemoryStore();
    const deps: StepDeps = {
      env: { ...ENV, zsatSecurityGroup: undefined },
      ec2,
      ebs,
      executions: new FakeExecutions(),
      capacity: new FakeCapacity(),
      store,
      lease: new MemoryCoordination(),
      readers: new MemoryCoordination(),
      log: new MemoryLog(),
      now: () => new Date(),
      sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))),
    };
    const s = steps({ deps } as never);
    const vpg = vpgRuntime({ name: 'db', instanceTags: { app: 'db' } });
    const state: State = {
      vpg,
      executionId: 'arn:aws:states:us-east-1:0:execution:m:e1',
      stateMachineArn: 'arn:aws:states:us-east-1:0:stateMachine:m',
      startedAt: new Date().toISOString(),
    };
    state.begin = await s.begin(state);
    expect(state.begin.volumes).toHaveLength(2); // root + data
    state.snapshots = await s.createSnapshots(state);
    state.snapshots = await eventually(async () => {
      const out = await s.checkSnapshots(state);
      return out.ready ? out : undefined;
    }, 'snapshots ready');
    state.plan = await s.plan(state);
    const dataPlan = (await store.getJson<BlockPlan>(`vpgs/db/syncs/${state.begin.syncId}/plans/${dataVolumeId}.json`))!;
    expect(dataPlan.blocks).toEqual([0, 5]);
    expect(state.plan.zsats).toHaveLength(1);

    const item: State = {
      vpg,
      syncId: state.begin.syncId,
      executionId: state.executionId,
      lease: state.begin.lease,
      zsat: state.plan.zsats[0],
      volumes: state.begin.volumes,
      snapshots: state.snapshots.snapshots,
    };
    item.zsat = await s.spawnZsat(item);
    await eventually(async () => {
      item.zsat = await s.pollZsat(item);
      const vols = await ec2.describeVolumes({ ids: item.zsat.volumeIds });
      return vols.every((v) => v.attachments.some((a) => a.instanceId === item.zsat.instanceId && a.state === 'attached')) ? true : undefined;
    }, 'zSAT volumes attached');
    await agent(store, state.plan.zsats[0].jobKey);
    item.zsat = await s.pollZsat(item);
    expect(item.zsat.done).toBe(true);

    state.commit = await s.commit(state);
    const cp = (await store.getCheckpoint('db', state.commit.checkpointId))!;
    expect(Object.keys(cp.volumes.find((v) => v.sourceVolumeId === dataVolumeId)!.blocks)).toEqual(['0', '5']);
    // PollZsat ended the zSAT as soon as it reported done (it frees its vCPUs for zSATs waiting on the quota)
    expect((await ec2.describeInstances({ ids: [item.zsat.instanceId] }))[0]?.state).toMatch(/^(shutting-down|terminated)$/);
    state.cleanup = await s.cleanup(state);
    expect(state.cleanup.terminatedInstances).toEqual([]);
    expect([...state.cleanup.deletedVolumes].sort()).toEqual([...item.zsat.volumeIds].sort());
    expect(state.cleanup.volumesLeft).toEqual([]);
    expect(await ec2.describeVolumes({ tags: { [TAG.vpg]: 'db', [TAG.role]: 'zsat' } }).then((v) => v.filter((x) => x.state !== 'deleted'))).toEqual(
      // The zSAT's root volume went with its instance (DeleteOnTermination); its data volumes were deleted.
      [],
    );
    for (const id of Object.values<string>(state.snapshots.snapshots)) expect((await ec2.describeSnapshots({ ids: [id] }))[0]?.state).toBe('completed');
  });
});
