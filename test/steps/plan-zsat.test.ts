/** Plan, SpawnZsat and PollZsat handlers over fakes. */
import type { AgentProgress, BlockPlan, ReadJob } from '../../runtime/core/workers/agent-job';
import { planKey } from '../../runtime/core/store/format';
import { EVENTS_PER_ZSAT_ITERATION, EVENTS_PER_ZSAT_POLL, HISTORY_EVENT_QUOTA, RESERVED_EVENTS, zsatPollBudget } from '../../runtime/core/sync/history-budget';
import { TAG, tagsFor } from '../../runtime/core/tags';
import { ENV, EXECUTION, MACHINE, SITE, makeWorld, vpgRuntime, zsatTags, type World } from './fakes';
import { captureContents, steps, type State } from './sync-driver';

/** A world whose sync has reached the Plan step (snapshots completed). */
async function planned(world: World, disks: Map<string, Map<number, string>>, vpg = vpgRuntime()): Promise<State> {
  const s = steps(world);
  const state: State = { vpg, executionId: EXECUTION, stateMachineArn: MACHINE, startedAt: world.clock.now().toISOString() };
  state.begin = await s.begin(state);
  state.snapshots = await s.createSnapshots(state);
  captureContents(world, disks);
  world.ec2.settleAll();
  state.snapshots = await s.checkSnapshots(state);
  return state;
}

function oneVm(
  world: World,
  blocks: Array<[number, string]> = [
    [0, 'a'],
    [5, 'b'],
  ],
) {
  const vm = world.ec2.addInstance({ tags: { app: 'web' }, volumesGiB: [8] });
  return { vm, disks: new Map([[vm.volumes[0].volumeId, new Map(blocks)]]) };
}

describe('plan', () => {
  it('writes each block plan and one read job per zSAT to the store, not into the payload', async () => {
    const world = makeWorld();
    const { vm, disks } = oneVm(world);
    const state = await planned(world, disks);
    const out = await steps(world).plan(state);
    const volumeId = vm.volumes[0].volumeId;
    expect(out.blocksPlanned).toBe(2);
    expect(out.zsats).toEqual([
      {
        index: 0,
        jobKey: `vpgs/web/syncs/${state.begin.syncId}/jobs/${state.begin.syncId}-z0.json`,
        sourceVolumeIds: [volumeId],
        pollBudget: zsatPollBudget(1),
      },
    ]);
    const plan = await world.store.getJson<BlockPlan>(planKey('web', state.begin.syncId, volumeId));
    expect(plan).toEqual({
      sourceVolumeId: volumeId,
      snapshotId: state.snapshots.snapshots[volumeId],
      baseSnapshotId: null,
      sizeBytes: 8 * 1024 ** 3,
      blocks: [0, 5],
    });
    const job = await world.store.getJson<ReadJob>(out.zsats[0].jobKey);
    expect(job).toMatchObject({
      kind: 'read',
      vpg: 'web',
      syncId: state.begin.syncId,
      store: { bucket: ENV.bucket, prefix: 'vpgs/web/' },
      heartbeatSeconds: 30,
    });
    expect(job!.volumes).toEqual([{ volumeId: '', sourceVolumeId: volumeId, sizeBytes: 8 * 1024 ** 3, planKey: planKey('web', state.begin.syncId, volumeId) }]);
    expect(world.ebs.calls).toEqual([`list ${state.snapshots.snapshots[volumeId]}`]);
  });

  it('an empty volume gets a plan but no zSAT', async () => {
    const world = makeWorld();
    const { disks } = oneVm(world, []);
    const out = await steps(world).plan(await planned(world, disks));
    expect(out).toEqual({ zsats: [], blocksPlanned: 0, zsatsAtOnce: 1 });
  });

  it('runs as many zSATs at once as the vCPU quota holds beside what runs now, and fails naming the quota when not one fits', async () => {
    const type = 'c6i.large';
    const env = { ...ENV, zsatInstanceTypes: [type] };
    const world = makeWorld(env);
    world.capacity.vcpus.set(type, 2);
    const vms = [1, 2, 3].map(() => world.ec2.addInstance({ tags: { app: 'web' }, volumesGiB: [8] }));
    const disks = new Map(vms.map((vm) => [vm.volumes[0].volumeId, new Map<number, string>([[0, 'a']])]));
    const vpg = vpgRuntime({ volumesPerZsat: 1, maxZsats: 8 });
    world.capacity.quota = 7;
    world.capacity.inUse = 3;
    const bounded = await steps(world).plan(await planned(world, disks, vpg));
    expect(bounded.zsats).toHaveLength(3);
    expect(bounded.zsatsAtOnce).toBe(2);
    expect(bounded.zsatsBoundBy).toMatch(/3 of the quota's 7 vCPUs \(L-1216C47A\) are in use, room for 2 zSATs/);

    const unread = makeWorld(env);
    unread.capacity.fail = Object.assign(new Error('not allowed'), { name: 'AccessDenied' });
    const { disks: one } = oneVm(unread);
    expect((await steps(unread).plan(await planned(unread, one))).zsatsAtOnce).toBe(1);

    const tiny = makeWorld(env);
    tiny.capacity.vcpus.set(type, 2);
    tiny.capacity.quota = 1;
    const { disks: d } = oneVm(tiny);
    await expect(steps(tiny).plan(await planned(tiny, d))).rejects.toThrow(/VcpuLimitExceeded: .*quota of 1 vCPUs/);
  });
});

describe('spawn-zsat / poll-zsat', () => {
  async function spawned(world: World, vpg = vpgRuntime()) {
    const { disks } = oneVm(world);
    const state = await planned(world, disks, vpg);
    state.plan = await steps(world).plan(state);
    const item: State = { vpg, syncId: state.begin.syncId, zsat: state.plan.zsats[0], volumes: state.begin.volumes, snapshots: state.snapshots.snapshots };
    const assignment = item.zsat;
    item.zsat = await steps(world).spawnZsat(item);
    return { state, item, assignment };
  }

  it('creates the zSAT volume and instance tagged at creation, and rewrites the job with the volume ids', async () => {
    const world = makeWorld();
    const { state, item, assignment } = await spawned(world, vpgRuntime({ agentInstanceProfileArn: 'arn:aws:iam::1:instance-profile/agent-web' }));
    const syncId = state.begin.syncId;
    expect(item.zsat).toMatchObject({ index: 0, done: false, waitSeconds: 5, blocksDone: 0, blocksTotal: 2 });
    const volume = world.ec2.volumes.get(item.zsat.volumeIds[0])!;
    expect(volume.tags).toEqual(zsatTags('volume', syncId, { [TAG.sourceVolume]: state.begin.volumes[0].volumeId }));
    expect(volume.snapshotId).toBe(state.snapshots.snapshots[state.begin.volumes[0].volumeId]);
    const [run] = world.ec2.runRequests;
    expect(run.instanceTags).toEqual(zsatTags('instance', syncId, { [TAG.agentJob]: `s3://${ENV.bucket}/${assignment.jobKey}` }));
    expect(run.networkInterfaceTags).toEqual(tagsFor(SITE, 'zsat', 'network-interface', { [TAG.vpg]: 'web', [TAG.syncId]: syncId }));
    // A default subnet: the public IP is its only way to S3 (the internet gateway).
    expect(run).toMatchObject({
      subnetId: 'subnet-a',
      publicIp: true,
      securityGroupId: 'sg-zsat',
      instanceProfileArn: 'arn:aws:iam::1:instance-profile/agent-web',
      launchTemplateId: world.ec2.templates.get(ENV.zsatLaunchTemplate)!.launchTemplateId,
    });
    const job = await world.store.getJson<ReadJob>(assignment.jobKey);
    expect(job!.volumes.map((v) => v.volumeId)).toEqual(item.zsat.volumeIds);
  });

  const PRIVATE = { subnetIds: ['subnet-0000000000000000a', 'subnet-0000000000000000b'], configKey: 'agent.subnetIds' };
  function privateWorld(subnetIds = PRIVATE.subnetIds): World {
    const world = makeWorld({ ...ENV, zsatSubnets: { ...PRIVATE, subnetIds } });
    world.ec2.configuredSubnets.set('subnet-0000000000000000a', { subnetId: 'subnet-0000000000000000a', availabilityZone: 'us-east-1a', vpcId: 'vpc-1' });
    world.ec2.configuredSubnets.set('subnet-0000000000000000b', { subnetId: 'subnet-0000000000000000b', availabilityZone: 'us-east-1b', vpcId: 'vpc-1' });
    return world;
  }

  it("launches in the configured subnet of the volumes' zone, with no public IP (it reaches S3 through an endpoint or a NAT)", async () => {
    const world = privateWorld();
    await spawned(world);
    expect(world.ec2.runRequests[0]).toMatchObject({ subnetId: 'subnet-0000000000000000a', publicIp: false });
  });

  /** A world whose sync has begun: CreateSnapshots is next. */
  async function begun(world: World): Promise<State> {
    oneVm(world);
    const state: State = { vpg: vpgRuntime(), executionId: EXECUTION, stateMachineArn: MACHINE, startedAt: world.clock.now().toISOString() };
    state.begin = await steps(world).begin(state);
    return state;
  }

  it('a zone with protected volumes and no configured subnet fails CreateSnapshots naming the key, before a snapshot or anything is made', async () => {
    const world = privateWorld(['subnet-0000000000000000b']);
    const state = await begun(world);
    await expect(steps(world).createSnapshots(state)).rejects.toThrow(
      'no zSAT can launch: agent.subnetIds has no subnet in us-east-1a, where volumes to be read or written are (it covers: us-east-1b); add a subnet of that zone, routed to S3',
    );
    expect(await world.ec2.describeSnapshots({})).toEqual([]);
    expect(world.ec2.runRequests).toEqual([]);
  });

  it('two configured subnets in one zone, or an unknown one, fail CreateSnapshots with each problem', async () => {
    const world = privateWorld(['subnet-0000000000000000a', 'subnet-0000000000000000c', 'subnet-0000000000000000d']);
    world.ec2.configuredSubnets.set('subnet-0000000000000000c', { subnetId: 'subnet-0000000000000000c', availabilityZone: 'us-east-1a', vpcId: 'vpc-1' });
    const snapshots = steps(world).createSnapshots(await begun(world));
    await expect(snapshots).rejects.toThrow(
      /subnet-0000000000000000d does not exist in this account and region.*subnet-0000000000000000a and subnet-0000000000000000c are both in us-east-1a; list at most one subnet per Availability Zone/,
    );
  });

  it('without configured subnets and with no default subnet in the zone (no default VPC) says what to set', async () => {
    const world = makeWorld({ ...ENV, region: 'eu-west-1' });
    world.ec2.subnets.clear();
    await expect(steps(world).createSnapshots(await begun(world))).rejects.toThrow(
      /no default subnet in us-east-1a: this account has no default VPC in eu-west-1 .*set agent\.vpcId and agent\.subnetIds in lifeboat\.config\.json/,
    );
  });

  it('is idempotent: a retried spawn returns the same volume and instance', async () => {
    const world = makeWorld();
    const { item, assignment } = await spawned(world);
    const again = await steps(world).spawnZsat({ ...item, zsat: assignment });
    expect(again.instanceId).toBe(item.zsat.instanceId);
    expect(again.volumeIds).toEqual(item.zsat.volumeIds);
    expect([...world.ec2.instances.values()].filter((i) => i.tags[TAG.role] === 'zsat')).toHaveLength(1);
  });

  it('refuses a launch template that is not ours', async () => {
    const world = makeWorld();
    world.ec2.addLaunchTemplate(ENV.zsatLaunchTemplate, { Name: 'look-alike', Owner: 'site-b', ZERTO_TAG: 'ZERTO_EC2_RESOURCE' });
    const { disks } = oneVm(world);
    const state = await planned(world, disks);
    state.plan = await steps(world).plan(state);
    const item = { vpg: state.vpg, syncId: state.begin.syncId, zsat: state.plan.zsats[0], volumes: state.begin.volumes };
    await expect(steps(world).spawnZsat(item)).rejects.toMatchObject({ name: 'NotOurs' });
    expect(world.ec2.runRequests).toHaveLength(0);
  });

  it('attaches each volume once both are ready, then reports done from the agent’s progress', async () => {
    const world = makeWorld();
    const { item, state } = await spawned(world);
    const s = steps(world);
    const first = await s.pollZsat(item); // instance pending, volume creating
    expect(first).toMatchObject({ done: false, waitSeconds: 5 });
    expect(world.ec2.calls.attachVolume).toBeUndefined();
    world.ec2.settleAll();
    await s.pollZsat(item);
    await s.pollZsat(item); // already attached: no second attach
    expect(world.ec2.calls.attachVolume).toBe(1);
    expect(world.ec2.volumes.get(item.zsat.volumeIds[0])!.attachments).toEqual([{ instanceId: item.zsat.instanceId, device: '/dev/sdf', state: 'attached' }]);
    const job = (await world.store.getJson<ReadJob>(state.plan.zsats[0].jobKey))!;
    const progress = (over: Partial<AgentProgress>): AgentProgress => ({
      jobId: job.jobId,
      state: 'running',
      updatedAt: world.clock.now().toISOString(),
      blocksTotal: 2,
      blocksDone: 1,
      bytesRead: 0,
      bytesStored: 0,
      ...over,
    });
    world.clock.advance(60);
    await world.store.putJson(job.progressKey, progress({}));
    expect(await s.pollZsat(item)).toMatchObject({ done: false, blocksDone: 1, blocksTotal: 2, waitSeconds: 60 });
    // The agent's own start reported: its rate counts from there (half done in 8 s → checked again in 8 s, not 60).
    await world.store.putJson(job.progressKey, progress({ startedAt: new Date(world.clock.now().getTime() - 8000).toISOString() }));
    expect(await s.pollZsat(item)).toMatchObject({ done: false, blocksDone: 1, waitSeconds: 8 });
    await world.store.putJson(job.progressKey, progress({ state: 'done', blocksDone: 2 }));
    expect(await s.pollZsat(item)).toMatchObject({ done: true, blocksDone: 2 });
  });

  it('fails on an agent error, a stale heartbeat, and an instance that stopped', async () => {
    const world = makeWorld();
    const { item, state } = await spawned(world);
    world.ec2.settleAll();
    const s = steps(world);
    const job = (await world.store.getJson<ReadJob>(state.plan.zsats[0].jobKey))!;
    const beat = world.clock.now().toISOString();
    await world.store.putJson(job.progressKey, {
      jobId: job.jobId,
      state: 'failed',
      updatedAt: beat,
      blocksTotal: 2,
      blocksDone: 0,
      bytesRead: 0,
      bytesStored: 0,
      error: 'EIO reading /dev/sdf',
    });
    await expect(s.pollZsat(item)).rejects.toMatchObject({ name: 'SyncFailed', message: `zSAT ${item.zsat.instanceId} agent failed: EIO reading /dev/sdf` });

    await world.store.putJson(job.progressKey, {
      jobId: job.jobId,
      state: 'running',
      updatedAt: beat,
      blocksTotal: 2,
      blocksDone: 0,
      bytesRead: 0,
      bytesStored: 0,
    });
    world.clock.advance(301);
    await expect(s.pollZsat(item)).rejects.toMatchObject({ message: `zSAT ${item.zsat.instanceId} stopped reporting (last heartbeat ${beat})` });

    world.ec2.instances.get(item.zsat.instanceId)!.state = 'stopped';
    await expect(s.pollZsat(item)).rejects.toMatchObject({ message: expect.stringMatching(/is stopped unexpectedly/) });
  });

  it('times out an agent that never reported, counting from launch', async () => {
    const world = makeWorld();
    const { item } = await spawned(world);
    world.ec2.settleAll();
    world.clock.advance(299);
    await expect(steps(world).pollZsat(item)).resolves.toMatchObject({ done: false });
    world.clock.advance(2);
    await expect(steps(world).pollZsat(item)).rejects.toMatchObject({
      message: expect.stringMatching(
        /never reported \(launched .*\): its boot did not reach the agent\. Its console output says how far it got \(aws ec2 get-console-output --instance-id i-\w+\); lifeboat doctor checks that its subnet reaches S3$/,
      ),
    });
  });

  it('ends the iteration (handOver) when a read would outrun its share of the 25,000-event history, so the sync continues as a new execution', async () => {
    const world = makeWorld();
    const { item, state } = await spawned(world);
    world.ec2.settleAll();
    const s = steps(world);
    const job = (await world.store.getJson<ReadJob>(state.plan.zsats[0].jobKey))!;
    item.zsat = { ...item.zsat, pollBudget: 3 };
    for (let i = 0; i < 2; i++) {
      await world.store.putJson(job.progressKey, {
        jobId: job.jobId,
        state: 'running',
        updatedAt: world.clock.now().toISOString(),
        blocksTotal: 2,
        blocksDone: 1,
        bytesRead: 0,
        bytesStored: 0,
      });
      item.zsat = await s.pollZsat(item);
    }
    expect(item.zsat).toMatchObject({ polls: 2, done: false });
    await expect(s.pollZsat(item)).resolves.toMatchObject({ polls: 3, done: false, handOver: true, blocksDone: 1 });
  });
});

describe('the history budget', () => {
  it("keeps every zSAT's poll rounds (9 events each) and the rest of the sync within 25,000 events", () => {
    for (const zsats of [1, 2, 8, 40, 200]) {
      const polls = zsatPollBudget(zsats);
      expect(zsats * (EVENTS_PER_ZSAT_ITERATION + EVENTS_PER_ZSAT_POLL * polls)).toBeLessThanOrEqual(HISTORY_EVENT_QUOTA - RESERVED_EVENTS);
    }
    expect(zsatPollBudget(1)).toBe(2220); // × the 120 s longest wait (pollSeconds 30): ~74 h of reading per execution
    expect(zsatPollBudget(8)).toBe(276); // 8 zSATs (maxZsats' default) at once: ~9 h each per execution, then a continuation
  });
});
