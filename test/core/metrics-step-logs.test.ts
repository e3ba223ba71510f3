/**
 * The steps' structured logs, as CloudWatch sees them: every handler of a whole sync (and of a failed one) runs over
 * the in-memory fakes with the real JSON logger; every line must parse, name its step, VPG, sync and execution, and
 * the EMF lines must carry the right metrics.
 */
import { beginStep } from '../../runtime/handlers/begin-handler';
import { checkSnapshotsStep } from '../../runtime/handlers/check-snapshots-handler';
import { cleanupFailedStep } from '../../runtime/handlers/cleanup-failed-handler';
import { cleanupStep } from '../../runtime/handlers/cleanup-handler';
import { commitStep } from '../../runtime/handlers/commit-handler';
import { createSnapshotsStep } from '../../runtime/handlers/create-snapshots-handler';
import { planStep } from '../../runtime/handlers/plan-handler';
import { pollZsatStep } from '../../runtime/handlers/poll-zsat-handler';
import { spawnZsatStep } from '../../runtime/handlers/spawn-zsat-handler';
import { jsonLog } from '../../runtime/handlers/step-log';
import { deriveSyncId } from '../../runtime/core/sync/ids';
import type { StepDeps } from '../../runtime/core/sync/deps';
import { EXECUTION, MACHINE, SITE, makeWorld, vpgRuntime, type World } from '../steps/fakes';
import { captureContents, runFakeAgent, type State } from '../steps/sync-driver';
import { holdLease } from '../steps/lease-helpers';

type Line = Record<string, unknown>;

function loggedWorld(): { world: World; deps: StepDeps; lines: string[] } {
  const world = makeWorld();
  const lines: string[] = [];
  // The same logger the Lambda functions build at cold start, writing into an array instead of stdout.
  const deps: StepDeps = { ...world.deps, log: jsonLog({ site: SITE }, (l) => lines.push(l)) };
  return { world, deps, lines };
}

/** The sync state machine's path through the handlers; Map items carry what its ItemSelector passes. */
async function syncThroughHandlers(world: World, deps: StepDeps, disks: Map<string, Map<number, string>>, execution: string): Promise<State> {
  const vpg = vpgRuntime();
  const state: State = { vpg, executionId: execution, stateMachineArn: MACHINE, startedAt: world.clock.now().toISOString() };
  world.executions.running = [{ executionArn: execution, name: execution.split(':').pop()!, startDate: state.startedAt }];
  state.begin = await beginStep.withDeps(deps)(state);
  state.snapshots = await createSnapshotsStep.withDeps(deps)(state);
  captureContents(world, disks);
  world.ec2.settleAll();
  world.clock.advance(30);
  state.snapshots = await checkSnapshotsStep.withDeps(deps)(state);
  state.plan = await planStep.withDeps(deps)(state);
  state.zsats = [];
  for (const zsat of state.plan.zsats) {
    const item: State = { vpg, syncId: state.begin.syncId, executionId: execution, zsat, volumes: state.begin.volumes, snapshots: state.snapshots.snapshots };
    item.zsat = await spawnZsatStep.withDeps(deps)(item);
    world.ec2.settleAll();
    item.zsat = await pollZsatStep.withDeps(deps)(item);
    await runFakeAgent(world, zsat.jobKey);
    world.clock.advance(30);
    item.zsat = await pollZsatStep.withDeps(deps)(item);
    state.zsats.push(item.zsat);
  }
  world.clock.advance(60);
  state.commit = await commitStep.withDeps(deps)(state);
  state.cleanup = await cleanupStep.withDeps(deps)(state);
  world.executions.running = [];
  return state;
}

function parseAll(lines: string[]): Line[] {
  return lines.map((l) => {
    expect(l).not.toContain('\n');
    return JSON.parse(l) as Line;
  });
}

const metricLines = (lines: Line[], step: string) => lines.filter((l) => l.message === 'metrics' && l.step === step);

describe('step logs', () => {
  it('every line of a whole sync is JSON with level, message, timestamp, service, step, site, VPG, sync id and execution', async () => {
    const { world, deps, lines } = loggedWorld();
    const vm = world.ec2.addInstance({ tags: { app: 'web' }, volumesGiB: [1, 1] });
    const disks = new Map([
      [
        vm.volumes[0].volumeId,
        new Map([
          [0, 'a'],
          [2, 'b'],
        ]),
      ],
      [vm.volumes[1].volumeId, new Map([[5, 'c']])],
    ]);
    await syncThroughHandlers(world, deps, disks, EXECUTION);

    const parsed = parseAll(lines);
    const steps = new Set(parsed.map((l) => l.step));
    for (const step of ['begin', 'spawn-zsat', 'commit', 'cleanup']) expect(steps).toContain(step);
    for (const line of parsed) {
      expect(line).toEqual(
        expect.objectContaining({
          level: expect.stringMatching(/^(INFO|WARN)$/),
          message: expect.any(String),
          service: 'lifeboat',
          site: SITE,
          vpg: 'web',
          syncId: deriveSyncId(EXECUTION),
          execution: EXECUTION,
        }),
      );
      expect(new Date(String(line.timestamp)).toISOString()).toBe(line.timestamp);
    }
  });

  it('Commit publishes the sync figures; the next Begin publishes how old the checkpoint has become', async () => {
    const { world, deps, lines } = loggedWorld();
    const vm = world.ec2.addInstance({ tags: { app: 'web' }, volumesGiB: [1] });
    const disks = new Map([
      [
        vm.volumes[0].volumeId,
        new Map([
          [0, 'a'],
          [1, 'b'],
          [9, 'c'],
        ]),
      ],
    ]);
    const first = await syncThroughHandlers(world, deps, disks, EXECUTION);
    // No checkpoint before the first sync: Begin has no RPO to publish (the alarm reads no data as breaching).
    expect(metricLines(parseAll(lines), 'begin')).toEqual([]);
    const [commit] = metricLines(parseAll(lines), 'commit');
    expect(commit).toMatchObject({ Site: SITE, Vpg: 'web', BlocksChanged: 3, BytesRead: first.commit.bytesRead, SyncFailures: 0 });
    // the checkpoint's time is its snapshots' start: 30 s polls, then 60 s to the commit
    expect(commit.RpoSeconds).toBe(120);
    expect(commit.SyncDurationSeconds).toBe(120);

    lines.length = 0;
    world.clock.advance(900);
    disks.get(vm.volumes[0].volumeId)!.set(1, 'b2');
    await syncThroughHandlers(world, deps, disks, `${EXECUTION}-2`);
    const [begin] = metricLines(parseAll(lines), 'begin');
    expect(begin).toMatchObject({ Site: SITE, Vpg: 'web', RpoSeconds: 120 + 900 });
    expect(metricLines(parseAll(lines), 'commit')[0]).toMatchObject({ BlocksChanged: 1 });
  });

  it('a skipped start still publishes the RPO; a failed sync publishes one failure and the growing RPO', async () => {
    const { world, deps, lines } = loggedWorld();
    const vm = world.ec2.addInstance({ tags: { app: 'web' }, volumesGiB: [1] });
    await syncThroughHandlers(world, deps, new Map([[vm.volumes[0].volumeId, new Map([[0, 'a']])]]), EXECUTION);
    lines.length = 0;
    world.clock.advance(3600);

    const other = `${EXECUTION}-holder`;
    await holdLease(deps, other);
    world.executions.states.set(other, 'running');
    const skipped = await beginStep.withDeps(deps)({
      vpg: vpgRuntime(),
      executionId: `${EXECUTION}-3`,
      stateMachineArn: MACHINE,
      startedAt: world.clock.now().toISOString(),
    });
    expect(skipped.skipped).toBe(true);
    expect(metricLines(parseAll(lines), 'begin')).toEqual([expect.objectContaining({ RpoSeconds: 3600 + 120 })]);

    lines.length = 0;
    const failed = `${EXECUTION}-4`;
    await cleanupFailedStep.withDeps(deps)({
      vpg: vpgRuntime(),
      executionId: failed,
      stateMachineArn: MACHINE,
      error: { Error: 'SyncFailed', Cause: 'zSAT 0 stopped reporting' },
    });
    const parsed = parseAll(lines);
    for (const line of parsed) expect(line).toMatchObject({ step: 'cleanup-failed', vpg: 'web', syncId: deriveSyncId(failed), execution: failed });
    expect(metricLines(parsed, 'cleanup-failed')).toEqual([expect.objectContaining({ SyncFailures: 1, RpoSeconds: 3600 + 120 })]);
  });
});
