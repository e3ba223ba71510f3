/** Commit, Cleanup and CleanupFailed handlers over fakes. */
import { ZERO_BLOCK } from '../../runtime/core/workers/agent-job';
import { NotFound } from '../../runtime/core/errors';
import { TAG } from '../../runtime/core/tags';
import { syncFactsKey } from '../../runtime/core/store/format';
import { earlierSync, EXECUTION, linuxFacts, MACHINE, makeWorld, snapshotTags, vpgRuntime, zsatTags, type World } from './fakes';
import { captureContents, hashOf, runFakeAgent, runSync, steps, type State } from './sync-driver';

/** A sync driven up to (not including) Commit; the agent's work is left to the test. */
async function readUpToCommit(world: World, disks: Map<string, Map<number, string>>, execution = EXECUTION): Promise<State> {
  const s = steps(world);
  const vpg = vpgRuntime();
  const state: State = { vpg, executionId: execution, stateMachineArn: MACHINE, startedAt: world.clock.now().toISOString() };
  state.begin = await s.begin(state);
  state.snapshots = await s.createSnapshots(state);
  captureContents(world, disks);
  world.ec2.settleAll();
  state.snapshots = await s.checkSnapshots(state);
  state.plan = await s.plan(state);
  for (const z of state.plan.zsats) await s.spawnZsat({ vpg, syncId: state.begin.syncId, zsat: z, volumes: state.begin.volumes });
  world.ec2.settleAll();
  return state;
}

function vmWithDisk(
  world: World,
  blocks: Array<[number, string]> = [
    [0, 'a'],
    [2, 'b'],
  ],
) {
  const vm = world.ec2.addInstance({ tags: { app: 'web' }, volumesGiB: [1] });
  return { vm, disks: new Map([[vm.volumes[0].volumeId, new Map(blocks)]]) };
}

describe('commit', () => {
  it('refuses when a planned block has no entry, and writes nothing', async () => {
    const world = makeWorld();
    const { disks } = vmWithDisk(world);
    const state = await readUpToCommit(world, disks);
    await runFakeAgent(world, state.plan.zsats[0].jobKey, { skipBlock: 2 });
    await expect(steps(world).commit(state)).rejects.toMatchObject({
      name: 'SyncFailed',
      message: expect.stringMatching(/1 planned blocks have no entry \(2\)/),
    });
    expect(await world.store.listCheckpoints('web')).toEqual([]);
  });

  it('refuses when a zSAT wrote no result', async () => {
    const world = makeWorld();
    const { disks } = vmWithDisk(world);
    const state = await readUpToCommit(world, disks);
    await expect(steps(world).commit(state)).rejects.toMatchObject({ message: expect.stringMatching(/wrote no result/) });
  });

  it('commits once; a retried commit returns the same checkpoint', async () => {
    const world = makeWorld();
    const { disks } = vmWithDisk(world);
    const state = await readUpToCommit(world, disks);
    await runFakeAgent(world, state.plan.zsats[0].jobKey);
    const a = await steps(world).commit(state);
    const b = await steps(world).commit(state);
    expect(b).toEqual(a);
    expect(a).toMatchObject({ blocksPlanned: 2, blocksRead: 2 });
    expect((await world.store.listCheckpoints('web')).map((c) => c.id)).toEqual([a.checkpointId]);
    expect(a.checkpointId).toMatch(/^cp-20261125T120000Z-/);
  });

  it('records the launch facts Begin saw in the checkpoint and its summary, off the payload; a sync that has none commits without them', async () => {
    const world = makeWorld();
    const vm = world.ec2.addInstance({
      tags: { app: 'web', Name: 'web-1', 'aws:autoscaling:groupName': 'g' },
      volumesGiB: [1],
      volumeType: 'gp3',
      facts: linuxFacts({ instanceType: 'm6i.xlarge', bootMode: 'legacy-bios' }),
    });
    const disks = new Map([[vm.volumes[0].volumeId, new Map([[0, 'a']])]]);
    const state = await readUpToCommit(world, disks);
    expect(JSON.stringify(state.begin)).not.toContain('m6i.xlarge');
    await runFakeAgent(world, state.plan.zsats[0].jobKey);
    const { checkpointId } = await steps(world).commit(state);
    const manifest = (await world.store.getCheckpoint('web', checkpointId))!;
    expect(manifest.instances).toEqual([
      {
        instanceId: vm.instanceId,
        instanceType: 'm6i.xlarge',
        architecture: 'x86_64',
        bootMode: 'legacy-bios',
        rootDeviceName: '/dev/xvda',
        virtualizationType: 'hvm',
        enaSupport: true,
        platform: 'Linux/UNIX',
        tags: { app: 'web', Name: 'web-1' },
        network: { subnetId: 'subnet-0123456789abcdef0', securityGroupIds: ['sg-0123456789abcdef0'], privateIps: ['10.0.1.10'] },
      },
    ]);
    expect(manifest.volumes[0]).toMatchObject({ volumeType: 'gp3', iops: 3000, throughput: 125 });
    const [summary] = await world.store.listCheckpoints('web');
    expect(summary.instances).toEqual(manifest.instances);

    // a sync begun before Begin recorded them (its continuation commits): no facts, and the log says so
    const later = makeWorld();
    const other = vmWithDisk(later);
    const plain = await readUpToCommit(later, other.disks);
    await later.store.deletePrefix(syncFactsKey('web', plain.begin.syncId));
    await runFakeAgent(later, plain.plan.zsats[0].jobKey);
    const committed = (await later.store.getCheckpoint('web', (await steps(later).commit(plain)).checkpointId))!;
    expect('instances' in committed).toBe(false);
    expect(later.log.has('no launch facts for this checkpoint')).toBe(true);
  });

  it('a volume read in full under a parent (base snapshot lost) zeroes blocks the parent still holds', async () => {
    const world = makeWorld();
    const { vm, disks } = vmWithDisk(world, [
      [0, 'a'],
      [2, 'b'],
      [3, 'c'],
    ]);
    const first = await runSync(world, vpgRuntime(), disks);
    for (const id of Object.values<string>(first.snapshots.snapshots)) world.ec2.snapshots.delete(id); // someone deleted the base
    disks.get(vm.volumes[0].volumeId)!.delete(3);
    world.clock.advance(600);
    const second = await runSync(world, vpgRuntime(), disks, `${EXECUTION}-2`);
    expect(second.begin.volumes[0].baseSnapshotId).toBeNull();
    expect(world.log.has('no longer exists: full read')).toBe(true);
    const cp = (await world.store.getCheckpoint('web', second.commit.checkpointId))!;
    expect(cp.parentId).toBe(first.commit.checkpointId);
    expect(cp.volumes[0].blocks).toEqual({ 0: hashOf('a'), 2: hashOf('b'), 3: ZERO_BLOCK });
  });
});

describe('cleanup', () => {
  it('never touches foreign look-alikes: other Owner, no Owner, other VPG', async () => {
    const world = makeWorld();
    const { vm, disks } = vmWithDisk(world);
    const volumeId = vm.volumes[0].volumeId;
    const foreignSnap = world.ec2.addSnapshot({ volumeId, tags: { ...snapshotTags('s-old'), Owner: 'site-b' } });
    const noOwner = snapshotTags('s-old');
    delete noOwner.Owner;
    const ownerlessSnap = world.ec2.addSnapshot({ volumeId, tags: noOwner });
    const otherVpgSnap = world.ec2.addSnapshot({ volumeId, tags: { ...snapshotTags('s-old'), [TAG.vpg]: 'db' } });
    const foreignZsat = world.ec2.addInstance({ tags: { ...zsatTags('instance', 's-old'), Owner: 'site-b' }, volumesGiB: [] });
    const foreignVol = world.ec2.addVolume({ tags: { ...zsatTags('volume', 's-old'), Owner: 'site-b' } });
    const earlier = earlierSync(world, 'run-0');
    const leftover = world.ec2.addVolume({ tags: zsatTags('volume', earlier.syncId, earlier.tags) });
    // our tags on a volume no execution of this VPG made (s-old derives from no execution): a look-alike
    const lookAlike = world.ec2.addVolume({ tags: zsatTags('volume', 's-old', { [TAG.executionId]: 'run-0' }) });
    const untagged = world.ec2.addVolume({ tags: zsatTags('volume', 's-older') });

    const state = await runSync(world, vpgRuntime(), disks);
    for (const id of [foreignSnap.snapshotId, ownerlessSnap.snapshotId, otherVpgSnap.snapshotId]) expect(world.ec2.snapshots.has(id)).toBe(true);
    expect(world.ec2.instances.get(foreignZsat.instanceId)!.state).toBe('running');
    expect(world.ec2.volumes.has(foreignVol.volumeId)).toBe(true);
    expect(world.ec2.volumes.has(leftover.volumeId)).toBe(false); // an earlier sync's leftover of ours goes
    for (const v of [lookAlike, untagged]) expect(world.ec2.volumes.has(v.volumeId)).toBe(true);
    expect(state.cleanup.refused.map((r: { id: string }) => r.id).sort()).toEqual(
      [foreignSnap.snapshotId, ownerlessSnap.snapshotId, foreignZsat.instanceId, foreignVol.volumeId, lookAlike.volumeId, untagged.volumeId].sort(),
    );
    expect(state.cleanup.refused.find((r: { id: string }) => r.id === ownerlessSnap.snapshotId).reason).toBe('no Owner tag');
    expect(state.cleanup.refused.find((r: { id: string }) => r.id === lookAlike.volumeId).reason).toMatch(/not proven to be one of VPG web's executions/);
  });

  it('checks tags again right before deleting: a resource re-tagged since the listing survives', async () => {
    const world = makeWorld();
    const { disks } = vmWithDisk(world);
    const state = await readUpToCommit(world, disks);
    await runFakeAgent(world, state.plan.zsats[0].jobKey);
    state.commit = await steps(world).commit(state);
    const earlier = earlierSync(world, 'run-0');
    const old = world.ec2.addSnapshot({ volumeId: state.begin.volumes[0].volumeId, tags: snapshotTags(earlier.syncId, earlier.tags) });
    const describe = world.ec2.describeSnapshots.bind(world.ec2);
    world.ec2.describeSnapshots = async (q) => {
      const found = await describe(q);
      // Only the by-id lookup made just before DeleteSnapshot sees the new Owner.
      return q.ids?.length === 1 && q.ids[0] === old.snapshotId ? found.map((s) => ({ ...s, tags: { ...s.tags, Owner: 'someone-else' } })) : found;
    };
    const out = await steps(world).cleanup(state);
    expect(world.ec2.snapshots.has(old.snapshotId)).toBe(true);
    expect(out.refused).toEqual([{ id: old.snapshotId, reason: 'Owner is someone-else, not site-a' }]);
  });

  it('does not terminate again a zSAT already shutting down, and deletes its volume once it has detached', async () => {
    const world = makeWorld();
    const { disks } = vmWithDisk(world);
    const state = await readUpToCommit(world, disks);
    await runFakeAgent(world, state.plan.zsats[0].jobKey);
    state.commit = await steps(world).commit(state);
    const zsat = [...world.ec2.instances.values()].find((i) => i.tags[TAG.role] === 'zsat')!;
    world.ec2.beginShutdown(zsat.instanceId);
    const terminations = world.ec2.calls.terminateInstances ?? 0;
    const zsatVolumes = [...world.ec2.volumes.values()].filter((v) => v.tags[TAG.role] === 'zsat').map((v) => v.volumeId);
    const out = await steps(world).cleanup(state);
    expect(out.terminatedInstances).toEqual([]);
    expect(world.ec2.calls.terminateInstances ?? 0).toBe(terminations);
    expect(zsatVolumes).toHaveLength(1);
    expect(out.deletedVolumes).toEqual(zsatVolumes);
    expect(out.volumesLeft).toEqual([]);
  });

  it('leaves a volume that stays attached past the bounded wait, reports it, and a retry finishes the job', async () => {
    const world = makeWorld();
    const { disks } = vmWithDisk(world);
    const state = await readUpToCommit(world, disks);
    await steps(world).pollZsat({
      vpg: state.vpg,
      syncId: state.begin.syncId,
      zsat: {
        index: 0,
        done: false,
        waitSeconds: 5,
        instanceId: [...world.ec2.instances.values()].find((i) => i.tags[TAG.role] === 'zsat')!.instanceId,
        volumeIds: [...world.ec2.volumes.values()].filter((v) => v.tags[TAG.role] === 'zsat').map((v) => v.volumeId),
        blocksDone: 0,
        blocksTotal: 2,
      },
    });
    await runFakeAgent(world, state.plan.zsats[0].jobKey);
    state.commit = await steps(world).commit(state);
    world.ec2.detachAfterDescribes = 1000;
    const out = await steps(world).cleanup(state);
    expect(out.terminatedInstances).toHaveLength(1);
    expect(out.deletedVolumes).toEqual([]);
    expect(out.volumesLeft).toHaveLength(1);
    expect(world.log.has('left for the next cleanup')).toBe(true);
    world.ec2.finishDetaching();
    const retry = await steps(world).cleanup(state);
    expect(retry.deletedVolumes).toEqual(out.volumesLeft);
    expect(retry.terminatedInstances).toEqual([]);
  });
});

describe('cleanup-failed', () => {
  it('deletes what the failed sync made, keeps the base and committed snapshots, carries the cause', async () => {
    const world = makeWorld();
    const { disks } = vmWithDisk(world);
    const first = await runSync(world, vpgRuntime(), disks);
    const base = Object.values<string>(first.snapshots.snapshots);
    world.clock.advance(600);
    disks.values().next().value!.set(1, 'new');
    const state = await readUpToCommit(world, disks, `${EXECUTION}-2`);
    state.error = { Error: 'SyncFailed', Cause: 'zSAT i-1 stopped reporting (last heartbeat never)' };
    const out = await steps(world).cleanupFailed(state);
    const mine = Object.values<string>(state.snapshots.snapshots);
    expect(out.deletedSnapshots).toEqual(mine);
    expect(out.terminatedInstances).toHaveLength(1);
    expect(out.deletedVolumes).toHaveLength(1);
    expect(out.cause).toBe('zSAT i-1 stopped reporting (last heartbeat never)');
    for (const id of base) expect(world.ec2.snapshots.has(id)).toBe(true);
    expect(await world.store.listCheckpoints('web')).toHaveLength(1);
    expect(world.store.keys(`vpgs/web/syncs/${state.begin.syncId}/`)).toEqual([]);
  });

  it('never throws: errors are reported, NotFound counts as done', async () => {
    const world = makeWorld();
    const { disks } = vmWithDisk(world);
    const state = await readUpToCommit(world, disks);
    world.ec2.terminateInstances = async () => {
      throw new Error('ServiceUnavailable');
    };
    world.ec2.deleteSnapshot = async (id) => {
      throw new NotFound(`snapshot ${id}`);
    };
    const out = await steps(world).cleanupFailed({ ...state, error: { Error: 'States.Timeout' } });
    expect(out.errors).toEqual([expect.stringMatching(/ServiceUnavailable/)]);
    expect(out.deletedSnapshots).toEqual([]); // already gone: not an error, not reported as deleted by us
    expect(out.deletedVolumes).toHaveLength(1);
    expect(out.cause).toBe('States.Timeout');
  });

  it('reads the message out of an AWS-style JSON Cause', async () => {
    const world = makeWorld();
    const Cause = JSON.stringify({ errorType: 'SyncFailed', errorMessage: 'snapshot snap-1 of volume vol-1 failed', trace: [] });
    const out = await steps(world).cleanupFailed({ vpg: vpgRuntime(), executionId: EXECUTION, error: { Error: 'SyncFailed', Cause } });
    expect(out.cause).toBe('SyncFailed: snapshot snap-1 of volume vol-1 failed');
  });

  it('after a skipped Begin there is nothing to clean', async () => {
    const world = makeWorld();
    const out = await steps(world).cleanupFailed({ vpg: vpgRuntime(), executionId: EXECUTION, begin: { skipped: true, syncId: 'sx' } });
    expect(out).toMatchObject({ syncId: 'sx', deletedSnapshots: [], terminatedInstances: [] });
    expect(world.ec2.calls.describeSnapshots).toBeUndefined();
  });
});
