/** Live mode's steps (stop the sources, the final sync) and failback-cleanup-failed's guard, over in-memory ports. */
import { runFinalSync, stopSources } from '../../runtime/core/failback/live';
import type { FinalSyncInput, FinalSyncOutput, StopSourcesInput } from '../../runtime/core/failback/contract';
import type { FailbackDeps, RecoveryPort, SyncRun, SyncRunsPort } from '../../runtime/core/failback/recovery-ports';
import { removeTestRecoveredVms } from '../../runtime/core/failback/test-cleanup';
import { TAG, tagsFor } from '../../runtime/core/tags';
import { makeWorld, SITE, vpgRuntime, type World } from './fakes';
import { holdLease } from './lease-helpers';
import { FakeImages } from './fake-recovery';

const SYNC_ARN = 'arn:aws:states:us-east-1:111122223333:stateMachine:lifeboat-site-a-web-sync';

class FakeSyncRuns implements SyncRunsPort {
  readonly started: string[] = [];
  readonly inputs: unknown[] = [];
  readonly runs = new Map<string, SyncRun>();
  async start(_arn: string, name: string, input?: unknown): Promise<string> {
    this.inputs.push(input);
    const arn = `arn:aws:states:us-east-1:111122223333:execution:lifeboat-site-a-web-sync:${name}`;
    this.started.push(name);
    this.runs.set(arn, { status: 'RUNNING' });
    return arn;
  }
  async describe(arn: string): Promise<SyncRun> {
    return this.runs.get(arn)!;
  }
}

function failbackWorld(): { world: World; deps: FailbackDeps; runs: FakeSyncRuns; stopped: string[][] } {
  const world = makeWorld();
  const stopped: string[][] = [];
  const recovery = {
    stopInstances: async (ids: readonly string[]) => {
      stopped.push([...ids]);
      for (const id of ids) world.ec2.instances.get(id)!.state = 'stopping';
    },
  } as unknown as RecoveryPort;
  const runs = new FakeSyncRuns();
  const images = new FakeImages(world);
  return { world, deps: { ...world.deps, recovery, syncRuns: runs, keys: { keyState: async () => 'exists' }, images }, runs, stopped };
}

const init = (overrides: Record<string, unknown> = {}) =>
  ({
    vpg: vpgRuntime(),
    recovery: { maxImporters: 2, volumesPerImporter: 2 },
    syncStateMachineArn: SYNC_ARN,
    executionId: FAILBACK,
    stateMachineArn: 'arn:aws:states:us-east-1:111122223333:stateMachine:lifeboat-site-a-web-failback',
    startedAt: '2026-11-25T12:00:00Z',
    request: { mode: 'live' },
    resolve: { mode: 'live' as const, checkpointId: null, target: {}, importId: 'live-1' },
    ...overrides,
  }) as unknown as StopSourcesInput & FinalSyncInput;

const FAILBACK = 'arn:aws:states:us-east-1:111122223333:execution:lifeboat-site-a-web-failback:live-1';

describe('StopSources', () => {
  it('takes the VPG lease first, then stops the protected instances only (never one of ours with the same tags)', async () => {
    const { world, deps, stopped } = failbackWorld();
    const a = world.ec2.addInstance({ tags: { app: 'web' } });
    const b = world.ec2.addInstance({ tags: { app: 'web' }, state: 'stopped' });
    world.ec2.addInstance({ tags: { app: 'web', ...tagsFor(SITE, 'recovered-vm', 'instance', { [TAG.vpg]: 'web' }) } });
    world.ec2.addInstance({ tags: { app: 'other' } });
    const first = await stopSources(init(), deps);
    expect(stopped).toEqual([[a.instanceId]]);
    expect(first).toMatchObject({ instanceIds: [a.instanceId, b.instanceId].sort(), stopped: false, lease: { token: 1 } });
    expect(world.coordination.lease('web')).toMatchObject({ token: 1, holder: { executionArn: FAILBACK, kind: 'failback' } });
    world.ec2.instances.get(a.instanceId)!.state = 'stopped';
    const second = await stopSources(init({ stop: first }), deps);
    expect(second).toMatchObject({ stopped: true, lease: { token: 1 } });
    expect(stopped).toHaveLength(1);
  });

  it('waits, stopping nothing, while a sync holds the lease', async () => {
    const { world, deps, stopped } = failbackWorld();
    world.ec2.addInstance({ tags: { app: 'web' } });
    const sync = `${SYNC_ARN.replace('stateMachine', 'execution')}:scheduled`;
    await holdLease(world.deps, sync);
    world.executions.states.set(sync, 'running');
    const out = await stopSources(init(), deps);
    expect(out).toMatchObject({ stopped: false, instanceIds: [] });
    expect(out.lease).toBeUndefined();
    expect(out.waitingFor).toContain(sync);
    expect(stopped).toEqual([]);
  });

  it('refuses a second live failback of the VPG, naming the running one (no split brain)', async () => {
    const { world, deps, stopped } = failbackWorld();
    world.ec2.addInstance({ tags: { app: 'web' } });
    const other = FAILBACK.replace('live-1', 'live-0');
    await holdLease(world.deps, other, 'web', 'failback');
    world.executions.states.set(other, 'running');
    await expect(stopSources(init(), deps)).rejects.toThrow(`a live failback of VPG web is already running (${other}): one live failback at a time`);
    expect(stopped).toEqual([]);
  });

  it('fails with a readable cause when the VPG selects nothing', async () => {
    const { deps } = failbackWorld();
    await expect(stopSources(init(), deps)).rejects.toThrow('VPG web selects no instance to stop; nothing to migrate');
  });
});

describe('FinalSync', () => {
  const stop = { instanceIds: ['i-1'], stopped: true, waitSeconds: 5, lease: { token: 4 } };

  it("starts the sync with this failback's lease as its grant and follows it to its checkpoint", async () => {
    const { deps, runs } = failbackWorld();
    let state: FinalSyncOutput = await runFinalSync(init({ stop }), deps);
    expect(runs.started).toEqual(['live-1-final-1']);
    expect(runs.inputs).toEqual([{ finalSyncOf: { executionArn: FAILBACK, leaseToken: 4 } }]);
    expect(state).toMatchObject({ done: false, attempts: 1 });
    state = await runFinalSync(init({ stop, finalSync: state }), deps);
    expect(state.done).toBe(false);
    runs.runs.set(state.executionArn!, { status: 'SUCCEEDED', output: JSON.stringify({ commit: { checkpointId: 'cp-final' } }) });
    state = await runFinalSync(init({ stop, finalSync: state }), deps);
    expect(state).toMatchObject({ done: true, checkpointId: 'cp-final', attempts: 1 });
  });

  it("follows a long final sync into its continuation, starting no second sync, to the continuation's checkpoint", async () => {
    const { deps, runs } = failbackWorld();
    let state: FinalSyncOutput = await runFinalSync(init({ stop }), deps);
    const next = 'arn:aws:states:us-east-1:111122223333:execution:lifeboat-site-a-web-sync:s0123456789ab-c1';
    runs.runs.set(state.executionArn!, { status: 'SUCCEEDED', output: JSON.stringify({ handover: { continued: true, executionArn: next, n: 1 } }) });
    runs.runs.set(next, { status: 'RUNNING' });
    state = await runFinalSync(init({ stop, finalSync: state }), deps);
    expect(state).toMatchObject({ executionArn: next, done: false, attempts: 1 });
    runs.runs.set(next, { status: 'SUCCEEDED', output: JSON.stringify({ commit: { checkpointId: 'cp-long' } }) });
    state = await runFinalSync(init({ stop, finalSync: state }), deps);
    expect(state).toMatchObject({ done: true, checkpointId: 'cp-long', attempts: 1 });
    expect(runs.started).toEqual(['live-1-final-1']);
  });

  it('fails with the reason when its sync could not act under the lease', async () => {
    const { deps, runs } = failbackWorld();
    const state = await runFinalSync(init({ stop }), deps);
    runs.runs.set(state.executionArn!, { status: 'SUCCEEDED', output: JSON.stringify({ begin: { skipped: true, reason: 'the lease is no longer its own' } }) });
    await expect(runFinalSync(init({ stop, finalSync: state }), deps)).rejects.toThrow(
      "the final sync could not act under this failback's lease: the lease is no longer its own",
    );
  });

  it('refuses to start without a lease', async () => {
    const { deps, runs } = failbackWorld();
    await expect(runFinalSync(init({ stop: { ...stop, lease: undefined } }), deps)).rejects.toThrow(/holds no lease/);
    expect(runs.started).toEqual([]);
  });

  it("fails with the sync's own cause", async () => {
    const { deps, runs } = failbackWorld();
    const state = await runFinalSync(init({ stop }), deps);
    runs.runs.set(state.executionArn!, { status: 'FAILED', cause: 'SyncFailed: zSAT stopped reporting' });
    await expect(runFinalSync(init({ stop, finalSync: state }), deps)).rejects.toThrow(/the final sync .* ended FAILED: SyncFailed: zSAT stopped reporting/);
  });
});

describe("failback-cleanup-failed (the failback's CleanupFailed step)", () => {
  it('removes only test recovered VMs of this site and VPG, and their volumes', async () => {
    const { world } = failbackWorld();
    const failbackMachine = 'arn:aws:states:us-east-1:111122223333:stateMachine:lifeboat-site-a-web-failback';
    world.executions.known.add(`${failbackMachine.replace(':stateMachine:', ':execution:')}:drill-1`);
    const test = tagsFor(SITE, 'recovered-vm', 'instance', { [TAG.vpg]: 'web', [TAG.testExpiresAt]: '2026-11-26T12:00:00Z', [TAG.executionId]: 'drill-1' });
    const mine = world.ec2.addInstance({ tags: test, volumesGiB: [8] });
    // our tags, but no failback of this VPG named drill-9 ever ran: a look-alike
    const lookAlike = world.ec2.addInstance({ tags: { ...test, [TAG.executionId]: 'drill-9' } });
    const live = world.ec2.addInstance({ tags: tagsFor(SITE, 'recovered-vm', 'instance', { [TAG.vpg]: 'web' }) });
    const otherSite = world.ec2.addInstance({ tags: { ...test, [TAG.owner]: 'site-b' } });
    const otherVpg = world.ec2.addInstance({ tags: { ...test, [TAG.vpg]: 'db' } });
    const protectedOne = world.ec2.addInstance({ tags: { app: 'web' } });
    const volume = mine.volumes[0].volumeId;
    Object.assign(world.ec2.volumes.get(volume)!, {
      tags: tagsFor(SITE, 'recovered-vm', 'volume', { [TAG.vpg]: 'web', [TAG.testExpiresAt]: 'x', [TAG.executionId]: 'drill-1' }),
    });
    const failbacks = { stateMachineArn: failbackMachine, executions: world.executions };
    const images = new FakeImages(world);
    const report = await removeTestRecoveredVms(
      world.ec2,
      { siteId: SITE, vpg: 'web', failbacks, images },
      { sleep: world.clock.sleep, now: () => world.clock.ms },
    );
    expect(report.terminatedInstances).toEqual([mine.instanceId]);
    expect(report.deletedVolumes).toEqual([volume]);
    expect(report.refused).toEqual([
      {
        id: lookAlike.instanceId,
        reason: `execution ${failbackMachine.replace(':stateMachine:', ':execution:')}:drill-9 does not exist: not made by this VPG`,
      },
    ]);
    for (const kept of [live, otherSite, otherVpg, protectedOne, lookAlike]) expect(world.ec2.instances.get(kept.instanceId)!.state).toBe('running');
  });
});
