/**
 * A split site's journal run over fakes, step by step as its state machine calls them: Begin skips (succeeds) while
 * a sync holds the lease and runs; otherwise it takes the lease as a journal party, CompactJournal proves it with the
 * token first, Release frees it. A sync that takes the lease meanwhile fences the run's compaction out, and a sync
 * starting while a journal run holds the lease skips, naming it.
 */
import { currentLease } from '../../runtime/core/lease/lease-guard';
import { journalBeginStep } from '../../runtime/handlers/journal-begin-handler';
import { journalCompactStep } from '../../runtime/handlers/journal-compact-handler';
import { journalReleaseStep } from '../../runtime/handlers/journal-release-handler';
import { beginStep } from '../../runtime/handlers/begin-handler';
import { EXECUTION, MACHINE, makeWorld, vpgRuntime, type World } from './fakes';
import { holdLease } from './lease-helpers';

const JOURNAL_MACHINE = 'arn:aws:states:eu-west-1:111122223333:stateMachine:lifeboat-site-a-web-journal';
const run = (name: string) => `${JOURNAL_MACHINE.replace(':stateMachine:', ':execution:')}:${name}`;
const init = (name: string) => ({ vpg: vpgRuntime(), executionId: run(name), stateMachineArn: JOURNAL_MACHINE, startedAt: new Date(0).toISOString() });

let world: World;
beforeEach(() => {
  world = makeWorld();
});

describe('a journal run', () => {
  it('skips while a sync holds the lease and runs, changing nothing', async () => {
    await holdLease(world.deps, EXECUTION);
    world.executions.states.set(EXECUTION, 'running');
    const before = await currentLease(world.deps, 'web');
    const begin = await journalBeginStep.withDeps(world.deps)(init('j1'));
    expect(begin).toEqual({ skipped: true, reason: expect.stringContaining(`held by sync ${EXECUTION}`) });
    expect(await currentLease(world.deps, 'web')).toEqual(before);
  });

  it('takes the lease as a journal party, compacts under it and releases it', async () => {
    const state = init('j2');
    const begin = await journalBeginStep.withDeps(world.deps)(state);
    expect(begin).toEqual({ skipped: false, lease: { token: 1 } });
    expect((await currentLease(world.deps, 'web'))?.holder).toEqual({ executionArn: run('j2'), kind: 'journal' });
    // the fakes' store lists no pack indexes, so compaction refuses with its own error: after the lease was proved
    await expect(journalCompactStep.withDeps(world.deps)({ ...state, begin })).rejects.toThrow(/lists pack indexes/);
    expect(await journalReleaseStep.withDeps(world.deps)({ ...state, begin, error: { Error: 'SyncFailed', Cause: 'x' } })).toEqual({ released: true });
    expect(await currentLease(world.deps, 'web')).toMatchObject({ holder: null, token: 1, releasedBy: { executionArn: run('j2'), kind: 'journal' } });
  });

  it('cannot compact once a sync took the lease from it (its token is stale): LeaseLost before anything is read', async () => {
    const state = init('j3');
    const begin = await journalBeginStep.withDeps(world.deps)(state);
    await journalReleaseStep.withDeps(world.deps)({ ...state, begin });
    await holdLease(world.deps, EXECUTION);
    await expect(journalCompactStep.withDeps(world.deps)({ ...state, begin })).rejects.toMatchObject({ name: 'LeaseLost' });
    expect(await journalReleaseStep.withDeps(world.deps)({ ...state, begin })).toEqual({ released: false });
    expect((await currentLease(world.deps, 'web'))?.holder?.executionArn).toBe(EXECUTION);
  });

  it('makes a sync that starts meanwhile skip, naming the journal run', async () => {
    world.ec2.addInstance({ tags: { app: 'web' }, volumesGiB: [1] });
    await journalBeginStep.withDeps(world.deps)(init('j4'));
    world.executions.states.set(run('j4'), 'running');
    const out = await beginStep.withDeps(world.deps)({
      vpg: vpgRuntime(),
      executionId: EXECUTION,
      stateMachineArn: MACHINE,
      startedAt: new Date(0).toISOString(),
    });
    expect(out).toMatchObject({ skipped: true, reason: expect.stringContaining(`held by journal compaction ${run('j4')}`) });
  });
});
