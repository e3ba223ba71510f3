/** Begin, CreateSnapshots and CheckSnapshots handlers over fakes. */
import { deriveSyncId } from '../../runtime/core/sync/ids';
import { TAG, tagsFor } from '../../runtime/core/tags';
import { EXECUTION, GIB, MACHINE, SITE, makeWorld, snapshotTags, vpgRuntime } from './fakes';
import { steps, type State } from './sync-driver';
import { holdLease } from './lease-helpers';

function syncInput(startedAt = '2026-11-25T12:00:00.000Z', executionId = EXECUTION): State {
  return { vpg: vpgRuntime(), executionId, stateMachineArn: MACHINE, startedAt };
}

describe('begin', () => {
  it('skips when another execution of the VPG holds its lease, naming it, and touches nothing', async () => {
    const world = makeWorld();
    world.ec2.addInstance({ tags: { app: 'web' } });
    const earlier = `${MACHINE.replace('stateMachine', 'execution')}:older`;
    await holdLease(world.deps, earlier);
    world.executions.states.set(earlier, 'running');
    const out = await steps(world).begin(syncInput());
    expect(out).toMatchObject({ skipped: true, volumes: [] });
    expect(out.reason).toMatch(new RegExp(`^skipped: the lease of VPG web is taken: held by sync ${earlier} \\(until .*\\)`));
    expect(out.lease).toBeUndefined();
    expect(world.ec2.calls.describeInstances).toBeUndefined();
    expect(world.coordination.lease('web')!.holder!.executionArn).toBe(earlier);
  });

  it('takes the lease with the next fencing token, and keeps it when the step is retried', async () => {
    const world = makeWorld();
    world.ec2.addInstance({ tags: { app: 'web' } });
    const first = await steps(world).begin(syncInput());
    expect(first.lease).toEqual({ token: 1, role: 'holder' });
    const retried = await steps(world).begin(syncInput());
    expect(retried.lease).toEqual({ token: 1, role: 'holder' });
    expect(world.coordination.lease('web')).toMatchObject({ token: 1, holder: { executionArn: EXECUTION, kind: 'sync' } });
  });

  it('releases the lease at once when it fails after taking it (nothing was created)', async () => {
    const world = makeWorld();
    await expect(steps(world).begin(syncInput())).rejects.toThrow(/protects no EBS volume/);
    expect(world.coordination.lease('web')).toMatchObject({ token: 1, holder: null });
  });

  it('resolves protected volumes by tag, excluding Lifeboat’s own look-alike instances', async () => {
    const world = makeWorld();
    const vm = world.ec2.addInstance({ tags: { app: 'web' }, volumesGiB: [8, 100] });
    world.ec2.addInstance({ tags: { app: 'web', ...tagsFor(SITE, 'recovered-vm', 'instance') } });
    world.ec2.addInstance({ tags: { app: 'db' } });
    const out = await steps(world).begin(syncInput());
    expect(out.skipped).toBe(false);
    expect(out.volumes).toEqual([
      {
        volumeId: vm.volumes[0].volumeId,
        instanceId: vm.instanceId,
        device: '/dev/xvda',
        sizeBytes: 8 * GIB,
        availabilityZone: 'us-east-1a',
        baseSnapshotId: null,
      },
      {
        volumeId: vm.volumes[1].volumeId,
        instanceId: vm.instanceId,
        device: '/dev/xvdb',
        sizeBytes: 100 * GIB,
        availabilityZone: 'us-east-1a',
        baseSnapshotId: null,
      },
    ]);
    expect(out).toMatchObject({ generation: 1, parentCheckpointId: null, syncId: deriveSyncId(EXECUTION) });
    expect(world.log.has('no committed checkpoint yet: full read')).toBe(true);
  });

  it('returns the same sync id when retried', async () => {
    const world = makeWorld();
    world.ec2.addInstance({ tags: { app: 'web' } });
    const a = await steps(world).begin(syncInput());
    const b = await steps(world).begin(syncInput());
    expect(b.syncId).toBe(a.syncId);
  });

  it('fails readably when nothing matches, and rejects a malformed input', async () => {
    const world = makeWorld();
    await expect(steps(world).begin(syncInput())).rejects.toMatchObject({ name: 'SyncFailed', message: expect.stringMatching(/protects no EBS volume/) });
    await expect(steps(world).begin({ vpg: { name: 'web' } })).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringMatching(/executionId/) });
  });
});

describe('create-snapshots / check-snapshots', () => {
  async function begun() {
    const world = makeWorld();
    world.ec2.addInstance({ tags: { app: 'web' }, volumesGiB: [8, 8] });
    world.ec2.addInstance({ tags: { app: 'web' }, volumesGiB: [8] });
    const state = syncInput();
    state.begin = await steps(world).begin(state);
    return { world, state };
  }

  it('creates one tagged snapshot set per instance, and a retry creates none', async () => {
    const { world, state } = await begun();
    const first = await steps(world).createSnapshots(state);
    expect(world.ec2.calls.createSnapshots).toBe(2);
    expect(Object.keys(first.snapshots).sort()).toEqual(state.begin.volumes.map((v: { volumeId: string }) => v.volumeId).sort());
    for (const id of Object.values(first.snapshots)) {
      expect(world.ec2.snapshots.get(id)!.tags).toMatchObject(snapshotTags(state.begin.syncId, { [TAG.generation]: '1' }));
      expect(world.ec2.snapshots.get(id)!.tags[TAG.sourceInstance]).toMatch(/^i-/);
    }
    const again = await steps(world).createSnapshots(state);
    expect(world.ec2.calls.createSnapshots).toBe(2);
    expect(again.snapshots).toEqual(first.snapshots);
    expect(world.ec2.snapshots.size).toBe(3);
    expect(first).toMatchObject({ ready: false, waitSeconds: 30 });
  });

  it('does not reuse a look-alike snapshot set of another site', async () => {
    const { world, state } = await begun();
    const instanceId = state.begin.volumes[0].instanceId;
    world.ec2.addSnapshot({
      volumeId: state.begin.volumes[0].volumeId,
      tags: { ...snapshotTags(state.begin.syncId, { [TAG.sourceInstance]: instanceId }), Owner: 'site-b' },
    });
    const out = await steps(world).createSnapshots(state);
    expect(world.ec2.calls.createSnapshots).toBe(2);
    expect(world.ec2.snapshots.get(out.snapshots[state.begin.volumes[0].volumeId])!.tags.Owner).toBe(SITE);
  });

  it('waits while pending, adapting to progress, and is ready once all are completed', async () => {
    const { world, state } = await begun();
    state.snapshots = await steps(world).createSnapshots(state);
    const ids = Object.values<string>(state.snapshots.snapshots);
    world.clock.advance(100);
    world.ec2.snapshots.get(ids[0])!.progress = 10; // 900 s to go → capped at 4 * pollSeconds
    expect(await steps(world).checkSnapshots(state)).toMatchObject({ ready: false, waitSeconds: 120 });
    world.ec2.settleAll();
    expect(await steps(world).checkSnapshots(state)).toMatchObject({ ready: true, snapshots: state.snapshots.snapshots });
  });

  it('fails with a readable cause when a snapshot errors', async () => {
    const { world, state } = await begun();
    state.snapshots = await steps(world).createSnapshots(state);
    const [volumeId, id] = Object.entries(state.snapshots.snapshots as Record<string, string>)[0];
    Object.assign(world.ec2.snapshots.get(id)!, { state: 'error', stateMessage: 'internal error' });
    await expect(steps(world).checkSnapshots(state)).rejects.toMatchObject({
      name: 'SyncFailed',
      message: `snapshot ${id} of volume ${volumeId} failed: internal error`,
    });
  });
});

describe('the Lambda entry point', () => {
  it('validates the step environment at cold start and names the missing variable', async () => {
    const { handler } = await import('../../runtime/handlers/begin-handler');
    const saved = process.env.LIFEBOAT_SITE_ID;
    delete process.env.LIFEBOAT_SITE_ID;
    try {
      await expect(handler(syncInput())).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringMatching(/LIFEBOAT_SITE_ID/) });
    } finally {
      if (saved !== undefined) process.env.LIFEBOAT_SITE_ID = saved;
    }
  });
});
