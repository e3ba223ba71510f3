/**
 * A long first sync continues as a new execution (runtime/core/sync/continue.ts): the poll budget ends a zSAT's
 * iteration with handOver, HandOver moves the lease and starts `<sync id>-c1` with the state, the continuation's
 * Begin adopts it, the old execution is fenced out, and the continuation commits. Also: snapshots that stay
 * 'recoverable' fail the sync at their budget and CleanupFailed frees the lease.
 */
import type { AgentProgress, ReadJob } from '../../runtime/core/workers/agent-job';
import { continuationRequest } from '../../runtime/core/sync/continue';
import { SNAPSHOT_POLL_BUDGET, zsatPollBudget } from '../../runtime/core/sync/history-budget';
import { currentLease } from '../../runtime/core/lease/lease-guard';
import { continuationName, continuationOf, deriveSyncId } from '../../runtime/core/sync/ids';
import { continueSyncStep } from '../../runtime/handlers/continue-sync-handler';
import { EXECUTION, MACHINE, makeWorld, vpgRuntime, type World } from './fakes';
import { runFakeAgent, steps, syncThroughPlan, type State } from './sync-driver';

const vpg = vpgRuntime();

/** Init..Plan of a first sync of one 8 GiB volume, and one Map item whose zSAT is attached and reading. */
async function startReading(world: World, execution = EXECUTION): Promise<{ state: State; item: State }> {
  const vm = world.ec2.addInstance({ tags: { app: 'web' }, volumesGiB: [8] });
  const disks = new Map([
    [
      vm.volumes[0].volumeId,
      new Map([
        [0, 'boot'],
        [5, 'data'],
      ]),
    ],
  ]);
  const state = await syncThroughPlan(world, vpg, disks, execution);
  const item: State = {
    vpg,
    syncId: state.begin.syncId,
    executionId: execution,
    lease: state.begin.lease,
    zsat: state.plan.zsats[0],
    volumes: state.begin.volumes,
    snapshots: state.snapshots.snapshots,
  };
  item.zsat = await steps(world).spawnZsat(item);
  world.ec2.settleAll();
  return { state, item };
}

/** The agent's heartbeat while it reads: `done` of the job's blocks so far. */
async function reportReading(world: World, jobKey: string, done: number): Promise<void> {
  const job = (await world.store.getJson<ReadJob>(jobKey))!;
  const now = world.clock.now().toISOString();
  const progress: AgentProgress = {
    jobId: job.jobId,
    state: 'running',
    updatedAt: now,
    startedAt: now,
    blocksTotal: 2,
    blocksDone: done,
    bytesRead: 0,
    bytesStored: 0,
  };
  await world.store.putJson(job.progressKey, progress);
}

describe('continue-as-new', () => {
  it('names continuations so the sync id carries on and a retry starts the same execution', () => {
    const syncId = deriveSyncId(EXECUTION);
    const name = continuationName(syncId, 3);
    expect(name.length).toBeLessThanOrEqual(80);
    expect(continuationOf(`${MACHINE.replace(':stateMachine:', ':execution:')}:${name}`)).toEqual({ syncId, n: 3 });
    expect(deriveSyncId(`x:execution:m:${name}`)).toBe(syncId);
    expect(continuationOf(EXECUTION)).toBeNull();
  });

  it('splits the history among the zSATs still reading, each iteration paid for', () => {
    expect(zsatPollBudget(1)).toBe(Math.floor((25_000 - 5_000 - 13) / 9));
    // two of eight still reading get more polls each than eight reading would, never the whole quota
    expect(zsatPollBudget(2, 8)).toBeGreaterThan(zsatPollBudget(8));
    expect(zsatPollBudget(2, 8) * 2 * 9 + 8 * 13).toBeLessThanOrEqual(25_000 - 5_000);
  });

  it('hands a reading zSAT over; the continuation resumes it, the old execution is fenced, and the continuation commits', async () => {
    const world = makeWorld();
    const s = steps(world);
    const { state, item } = await startReading(world);
    // a budget of 2 polls: the first attaches, the second finds it reading and ends the iteration
    item.zsat = { ...item.zsat, pollBudget: 2 };
    item.zsat = await s.pollZsat(item);
    expect(item.zsat.handOver).toBeUndefined();
    world.clock.advance(60);
    await reportReading(world, state.plan.zsats[0].jobKey, 1);
    item.zsat = await s.pollZsat(item);
    expect(item.zsat).toMatchObject({ done: false, handOver: true, polls: 2 });

    state.zsats = [item.zsat];
    const handed = await continueSyncStep.withDeps(world.deps)(state);
    const next = `${MACHINE.replace(':stateMachine:', ':execution:')}:${continuationName(state.begin.syncId, 1)}`;
    expect(handed).toEqual({ continued: true, executionArn: next, n: 1 });
    expect(world.executions.started.map((e) => e.name)).toEqual([continuationName(state.begin.syncId, 1)]);
    const lease = await currentLease(world.deps, 'web');
    expect(lease?.holder?.executionArn).toBe(next);
    expect(lease?.token).toBe(state.begin.lease.token + 1);
    // a retried HandOver starts nothing new and keeps the token
    await continueSyncStep.withDeps(world.deps)(state);
    expect(world.executions.started).toHaveLength(1);
    expect((await currentLease(world.deps, 'web'))?.token).toBe(lease?.token);

    // the old execution is fenced out of every lease-guarded step
    await expect(s.pollZsat(item)).rejects.toThrow(/lease/i);

    // the continuation: Begin adopts the lease and the state, Resume puts snapshots and plan in place
    const request = world.executions.started[0].input as State;
    const cont: State = { vpg, executionId: next, stateMachineArn: MACHINE, startedAt: world.clock.now().toISOString(), request };
    cont.begin = await s.begin(cont);
    expect(cont.begin).toMatchObject({ syncId: state.begin.syncId, resumed: { from: EXECUTION, n: 1 }, lease: { token: lease?.token } });
    cont.snapshots = request.continuationOf.snapshots;
    cont.plan = request.continuationOf.plan;
    const assignment = cont.plan.zsats[0];
    expect(assignment.resume).toMatchObject({ instanceId: item.zsat.instanceId, polls: 0, pollBudget: zsatPollBudget(1) });
    const citem: State = {
      vpg,
      syncId: cont.begin.syncId,
      executionId: next,
      lease: cont.begin.lease,
      zsat: assignment.resume,
      volumes: cont.begin.volumes,
      snapshots: cont.snapshots.snapshots,
    };
    await runFakeAgent(world, assignment.jobKey);
    citem.zsat = await s.pollZsat(citem);
    expect(citem.zsat.done).toBe(true);
    cont.zsats = [citem.zsat];
    expect(await continueSyncStep.withDeps(world.deps)(cont)).toEqual({ continued: false });
    cont.commit = await s.commit(cont);
    expect((await world.store.getCheckpoint('web', cont.commit.checkpointId))?.volumes[0]?.blocks).toMatchObject({ 5: expect.any(String) });
    cont.cleanup = await s.cleanup(cont);
    expect(await currentLease(world.deps, 'web')).toMatchObject({ holder: null, releasedBy: { executionArn: next } });
  });

  it('refuses a continuation input under any other execution name, and a zSAT that read nothing in a whole execution', async () => {
    const world = makeWorld();
    const s = steps(world);
    const { state, item } = await startReading(world);
    item.zsat = await s.pollZsat({ ...item, zsat: { ...item.zsat, pollBudget: 1 } });
    const request = continuationRequest({ ...state, zsats: [item.zsat] } as never, 1, state.begin.lease.token + 1);
    const impostor = `${MACHINE.replace(':stateMachine:', ':execution:')}:run-2`;
    await expect(s.begin({ vpg, executionId: impostor, stateMachineArn: MACHINE, startedAt: state.startedAt, request })).rejects.toThrow(
      /taken only by the execution its hand-over started/,
    );
    // a continuation's zSAT that made no progress since it took over: HandOver fails instead of chaining forever
    const stuck = { ...item.zsat, handOver: true, blocksAtStart: item.zsat.blocksDone };
    await expect(continueSyncStep.withDeps(world.deps)({ ...state, zsats: [stuck] })).rejects.toThrow(/read nothing during a whole execution/);
  });
});

describe('a snapshot stuck in the Recycle Bin', () => {
  it.each(['recoverable', 'recovering'] as const)('%s: the sync fails at its snapshot budget and CleanupFailed frees the lease', async (stuck) => {
    const world = makeWorld();
    const s = steps(world);
    world.ec2.addInstance({ tags: { app: 'web' }, volumesGiB: [8] });
    const state: State = { vpg, executionId: EXECUTION, stateMachineArn: MACHINE, startedAt: world.clock.now().toISOString() };
    world.executions.running = [{ executionArn: EXECUTION, name: 'run-1', startDate: state.startedAt }];
    world.executions.known.add(EXECUTION);
    state.begin = await s.begin(state);
    state.snapshots = await s.createSnapshots(state);
    for (const id of Object.values<string>(state.snapshots.snapshots)) world.ec2.snapshots.get(id)!.state = stuck;
    state.snapshots = await s.checkSnapshots(state);
    expect(state.snapshots).toMatchObject({ ready: false, polls: 1 });
    state.snapshots = { ...state.snapshots, polls: SNAPSHOT_POLL_BUDGET - 1 };
    const failure = await s.checkSnapshots(state).catch((e: Error) => e);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toContain(`is ${stuck}`);
    expect((failure as Error).message).toContain(`after ${SNAPSHOT_POLL_BUDGET} checks`);
    expect((await currentLease(world.deps, 'web'))?.holder?.executionArn).toBe(EXECUTION);
    const report = await s.cleanupFailed({ ...state, error: { Error: 'SyncFailed', Cause: JSON.stringify({ errorMessage: (failure as Error).message }) } });
    expect(report.cause).toContain(stuck);
    expect(await currentLease(world.deps, 'web')).toMatchObject({ holder: null, releasedBy: { executionArn: EXECUTION } });
  });
});
