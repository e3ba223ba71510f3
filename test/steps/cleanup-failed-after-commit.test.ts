/**
 * Known issue of issue 5: Cleanup fails after a committed Commit, the Catch routes to CleanupFailed. The sync's
 * snapshots are then the base of a committed checkpoint: CleanupFailed must keep them, and the next sync must
 * build on them.
 */
import { ServiceError } from '../../runtime/core/errors';
import { EXECUTION, MACHINE, makeWorld, vpgRuntime, type World } from './fakes';
import { captureContents, runFakeAgent, runSync, steps, type State } from './sync-driver';

/** A whole sync through Commit; Cleanup is the test's. */
async function syncThroughCommit(world: World, disks: Map<string, Map<number, string>>, execution: string): Promise<State> {
  const s = steps(world);
  const vpg = vpgRuntime();
  const state: State = { vpg, executionId: execution, stateMachineArn: MACHINE, startedAt: world.clock.now().toISOString() };
  world.executions.running = [{ executionArn: execution, name: execution.split(':').pop()!, startDate: state.startedAt }];
  state.begin = await s.begin(state);
  state.snapshots = await s.createSnapshots(state);
  captureContents(world, disks);
  world.ec2.settleAll();
  state.snapshots = await s.checkSnapshots(state);
  state.plan = await s.plan(state);
  state.zsats = [];
  for (const assignment of state.plan.zsats) {
    const item: State = { vpg, syncId: state.begin.syncId, zsat: assignment, volumes: state.begin.volumes, snapshots: state.snapshots.snapshots };
    item.zsat = await s.spawnZsat(item);
    world.ec2.settleAll();
    item.zsat = await s.pollZsat(item);
    await runFakeAgent(world, assignment.jobKey);
    item.zsat = await s.pollZsat(item);
    state.zsats.push(item.zsat);
  }
  state.commit = await s.commit(state);
  return state;
}

it('CleanupFailed after a committed checkpoint keeps that checkpoint’s snapshots, and the next sync builds on them', async () => {
  const world = makeWorld();
  const vm = world.ec2.addInstance({ tags: { app: 'web' }, volumesGiB: [1] });
  const disk = new Map([
    [0, 'a'],
    [2, 'b'],
  ]);
  const disks = new Map([[vm.volumes[0].volumeId, disk]]);
  await runSync(world, vpgRuntime(), disks, `${EXECUTION}-1`);
  world.clock.advance(600);
  disk.set(1, 'changed');

  const state = await syncThroughCommit(world, disks, `${EXECUTION}-2`);
  const committed = Object.values<string>(state.snapshots.snapshots);
  const realDelete = world.ec2.deleteSnapshot.bind(world.ec2);
  world.ec2.deleteSnapshot = async () => {
    throw new ServiceError('EC2 is having a bad day');
  };
  await expect(steps(world).cleanup(state)).rejects.toThrow('EC2 is having a bad day');
  world.ec2.deleteSnapshot = realDelete;

  // the state machine's Catch: ResultPath $.error, then CleanupFailed with the whole state
  const report = await steps(world).cleanupFailed({ ...state, error: { Error: 'ServiceError', Cause: 'EC2 is having a bad day' } });
  for (const id of committed) expect(world.ec2.snapshots.has(id)).toBe(true);
  expect(report.deletedSnapshots.filter((id) => committed.includes(id))).toEqual([]);
  // its zSAT is gone: terminated when it reported done, before the commit
  expect(report.terminatedInstances).toEqual([]);
  expect([...world.ec2.instances.values()].filter((i) => i.tags.ZERTO_TAG && i.state !== 'terminated')).toEqual([]);

  world.clock.advance(600);
  disk.set(3, 'later');
  const next = await runSync(world, vpgRuntime(), disks, `${EXECUTION}-3`);
  expect(next.begin.volumes.map((v: { baseSnapshotId: string }) => v.baseSnapshotId)).toEqual(committed);
  expect(next.begin.parentCheckpointId).toBe(state.commit.checkpointId);
  expect(next.commit.checkpointId).toBeDefined();
});
