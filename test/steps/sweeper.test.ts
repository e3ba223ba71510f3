/**
 * The sweeper over fakes: deletes leaks past the grace period through guarded deletes, keeps bases, foreign
 * resources and look-alikes, never what a running execution owns (however it is invoked), one VPG's trouble
 * never stops another's sweep, and working files and reader records of executions that are gone go too.
 */
import { runSweep, sweeperInputSchema } from '../../runtime/core/cleanup/sweeper-run';
import { ServiceError } from '../../runtime/core/errors';
import { readerRecord } from '../../runtime/core/store/readers';
import type { SweeperEnv } from '../../runtime/core/step-env';
import { TAG, tagsFor } from '../../runtime/core/tags';
import { sweeperStepWith } from '../../runtime/handlers/sweeper-handler';
import { earlierSync, EXECUTION, MACHINE, makeWorld, SITE, snapshotTags, vpgRuntime, zsatTags, type World } from './fakes';
import { holdLease } from './lease-helpers';
import { runSync } from './sync-driver';
import { continuationName } from '../../runtime/core/sync/ids';

const FAILBACK_MACHINE = MACHINE.replace('-sync', '-failback');
const DB_MACHINES = [MACHINE.replace('-web-', '-db-'), FAILBACK_MACHINE.replace('-web-', '-db-')];
const ENV: SweeperEnv = { stateMachineArns: [MACHINE, FAILBACK_MACHINE, ...DB_MACHINES], vpgs: ['web', 'db'], minGraceMinutes: 60 };
const input = (over: Record<string, unknown> = {}) => sweeperInputSchema.parse(over);
const sweep = (world: World, over: Record<string, unknown> = {}) => runSweep(input(over), world.deps, ENV);

/** A committed sync (its snapshots are the bases), then a crashed sync's leftovers and foreign look-alikes. */
async function leakyWorld() {
  const world = makeWorld();
  const vm = world.ec2.addInstance({ tags: { app: 'web' }, volumesGiB: [1] });
  const synced = await runSync(world, vpgRuntime(), new Map([[vm.volumes[0].volumeId, new Map([[0, 'a']])]]));
  world.executions.running = [];
  const bases = Object.values<string>(synced.snapshots.snapshots);
  const created = world.clock.now().toISOString();
  const crashed = earlierSync(world, 'crashed');
  const leak = {
    instance: world.ec2.addInstance({ tags: zsatTags('instance', crashed.syncId, crashed.tags), volumesGiB: [] }).instanceId,
    volume: Object.assign(world.ec2.addVolume({ tags: zsatTags('volume', crashed.syncId, crashed.tags) }), { createTime: created }).volumeId,
    snapshot: world.ec2.addSnapshot({ volumeId: vm.volumes[0].volumeId, tags: snapshotTags(crashed.syncId, crashed.tags) }).snapshotId,
  };
  const foreign = [
    world.ec2.addInstance({ tags: { ...zsatTags('instance', crashed.syncId, crashed.tags), [TAG.owner]: 'site-b' }, volumesGiB: [] }).instanceId,
    Object.assign(world.ec2.addVolume({ tags: { [TAG.vpg]: 'web', [TAG.role]: 'zsat' } }), { createTime: created }).volumeId,
    world.ec2.addSnapshot({ volumeId: vm.volumes[0].volumeId, tags: { ...snapshotTags(crashed.syncId, crashed.tags), [TAG.owner]: 'site-b' } }).snapshotId,
    // every tag of ours, but the execution it names never ran on this VPG's state machine
    Object.assign(world.ec2.addVolume({ tags: zsatTags('volume', 'sNoSuchSync', { [TAG.executionId]: 'never-ran' }) }), { createTime: created }).volumeId,
  ];
  world.clock.advance(3 * 3600);
  world.ec2.destroyed.length = 0;
  return { world, vm, bases, leak, foreign, crashed };
}

const exists = (world: World, id: string) =>
  world.ec2.snapshots.has(id) || world.ec2.volumes.has(id) || (world.ec2.instances.get(id)?.state ?? 'terminated') !== 'terminated';

describe('sweeper', () => {
  it('deletes a crashed sync’s leftovers, keeps the bases, every foreign resource and look-alike, logs each deletion', async () => {
    const { world, bases, leak, foreign } = await leakyWorld();
    const report = await sweep(world);
    expect(report.deleted).toEqual({ instances: [leak.instance], volumes: [leak.volume], snapshots: [leak.snapshot] });
    for (const id of Object.values(leak)) expect(exists(world, id)).toBe(false);
    for (const id of [...bases, ...foreign]) expect(exists(world, id)).toBe(true);
    expect(report.kept.map((k) => k.id).sort()).toEqual([...bases].sort());
    expect(report.refused.find((r) => r.id === foreign[3])?.reason).toMatch(/does not exist: not made by this VPG|sync id sNoSuchSync is not the one/);
    for (const id of Object.values(leak)) {
      expect(world.log.lines).toContainEqual(expect.objectContaining({ message: 'sweeper deleted', fields: expect.objectContaining({ id, vpg: 'web' }) }));
    }
  });

  it('keeps what a sync that continued as a new execution still reads with: the first execution ended, its continuation holds the lease', async () => {
    const { world, leak } = await leakyWorld();
    // 'crashed' handed over (sync/continue.ts): its continuation carries its sync id and holds the lease
    const continuation = `${MACHINE.replace(':stateMachine:', ':execution:')}:${continuationName(earlierSync(world, 'crashed').syncId, 1)}`;
    world.executions.running = [{ executionArn: continuation, name: continuation.split(':').pop()!, startDate: world.clock.now().toISOString() }];
    world.executions.known.add(continuation);
    await holdLease(world.deps, continuation);
    const report = await sweep(world);
    expect(report.deleted).toEqual({ instances: [], volumes: [], snapshots: [] });
    for (const id of Object.values(leak)) expect(exists(world, id)).toBe(true);
  });

  it('in a dry run deletes nothing and logs what it would delete', async () => {
    const { world, leak } = await leakyWorld();
    const report = await sweeperStepWith(() => ENV).withDeps(world.deps)({ dryRun: true });
    expect(report.deleted).toEqual({ instances: [], volumes: [], snapshots: [] });
    expect(report.selected.web).toMatchObject({ instances: [leak.instance], volumes: [leak.volume], snapshots: [leak.snapshot] });
    for (const id of Object.values(leak)) expect(exists(world, id)).toBe(true);
    expect(world.log.lines.filter((l) => l.message === 'sweeper would delete')).toHaveLength(3);
    expect(world.ec2.destroyed).toEqual([]);
  });

  it('a configured dry run stays one: an event with dryRun false deletes nothing', async () => {
    const { world, leak } = await leakyWorld();
    const report = await runSweep(input({ dryRun: false }), world.deps, { ...ENV, dryRun: true });
    expect(report.dryRun).toBe(true);
    for (const id of Object.values(leak)) expect(exists(world, id)).toBe(true);
  });

  it('invoked by hand with grace 0 and no state machines during a sync, touches none of the sync (the lease names it)', async () => {
    const { world, leak, crashed } = await leakyWorld();
    // the crashed-looking sync is in fact running: it holds the VPG's lease, and ListExecutions does not show it yet
    const arn = `${MACHINE.replace(':stateMachine:', ':execution:')}:crashed`;
    await holdLease(world.deps, arn);
    world.executions.states.set(arn, 'running');
    world.store.objects.set(`vpgs/web/syncs/${crashed.syncId}/progress/j.json`, '{}');
    const report = await sweep(world, { graceMinutes: 0, stateMachineArns: [], vpgs: ['web'] });
    expect(report.graceMinutes).toBe(60);
    expect(report.deleted).toEqual({ instances: [], volumes: [], snapshots: [] });
    for (const id of Object.values(leak)) expect(exists(world, id)).toBe(true);
    expect(report.kept.find((k) => k.id === leak.instance)?.reason).toBe('its execution is still running');
    expect(report.workingFiles).toEqual([]);
    expect(world.store.objects.has(`vpgs/web/syncs/${crashed.syncId}/progress/j.json`)).toBe(true);
  });

  it('takes what a stopped sync left though it still holds the lease, once none of its steps can be in a Lambda', async () => {
    const { world, leak } = await leakyWorld();
    const arn = `${MACHINE.replace(':stateMachine:', ':execution:')}:crashed`;
    await holdLease(world.deps, arn); // stopped: no cleanup ran, so nothing released the lease; the fakes say it ended
    const lease = world.coordination.leases.get('web')!;
    world.coordination.leases.set('web', { ...lease, value: { ...lease.value, steps: { compact: world.clock.now().toISOString() } } });
    expect((await sweep(world)).deleted.instances).toEqual([]); // a step of it may still run
    world.clock.advance(361);
    expect((await sweep(world)).deleted.instances).toEqual([leak.instance]);
  });

  it("sweeps a crashed sync's leftovers while a split site's journal run holds the lease, without asking about that run", async () => {
    const { world, leak } = await leakyWorld();
    const journal = 'arn:aws:states:eu-west-1:111122223333:execution:lifeboat-site-a-web-journal:j1';
    await holdLease(world.deps, journal, 'web', 'journal');
    // the sweeper's role may not describe the journal's executions: asking would fail the VPG's sweep
    world.executions.states.set(journal, 'unknown');
    const asked: string[] = [];
    const state = world.executions.state.bind(world.executions);
    world.executions.state = async (arn) => (asked.push(arn), state(arn));
    const report = await sweep(world);
    expect(report.deleted).toEqual({ instances: [leak.instance], volumes: [leak.volume], snapshots: [leak.snapshot] });
    expect(asked).not.toContain(journal);
  });

  it('leaves a leftover whose execution DescribeExecution says still runs, though ListExecutions does not list it', async () => {
    const { world, leak } = await leakyWorld();
    world.executions.states.set(`${MACHINE.replace(':stateMachine:', ':execution:')}:crashed`, 'running');
    const report = await sweep(world);
    expect(report.deleted).toEqual({ instances: [], volumes: [], snapshots: [] });
    for (const id of Object.values(leak)) expect(report.kept.find((k) => k.id === id)?.reason).toMatch(/its execution .*crashed is still running/);
  });

  it('keeps the working files of a sync it cannot name until the grace has passed; a named ended one goes at once', async () => {
    const { world, crashed } = await leakyWorld();
    const now = world.clock.now().toISOString();
    world.store.objects.set('vpgs/web/syncs/sAnon/plans/vol-1.json', '{}');
    world.coordination.changedAt.set('sync/sAnon', now);
    const arn = `${MACHINE.replace(':stateMachine:', ':execution:')}:crashed`;
    world.store.objects.set(`vpgs/web/syncs/${crashed.syncId}/jobs/j.json`, JSON.stringify({ executionId: arn }));
    world.coordination.changedAt.set(`sync/${crashed.syncId}`, now);
    const report = await sweep(world, { graceMinutes: 30 });
    expect(report.graceMinutes).toBe(60);
    expect(report.workingFiles).toEqual([`vpgs/web/syncs/${crashed.syncId}/`]);
    world.clock.advance(3601);
    expect((await sweep(world)).workingFiles).toEqual(['vpgs/web/syncs/sAnon/']);
  });

  it('one VPG it cannot read is skipped, deleting nothing of it, and the others are swept', async () => {
    const { world, leak } = await leakyWorld();
    const db = world.ec2.addVolume({ tags: tagsFor(SITE, 'zsat', 'volume', { [TAG.vpg]: 'db', [TAG.syncId]: 'sx' }) });
    const listCheckpoints = world.store.listCheckpoints.bind(world.store);
    world.store.listCheckpoints = async (vpg) => {
      if (vpg === 'db') throw new ServiceError('S3 unavailable');
      return listCheckpoints(vpg);
    };
    const report = await sweep(world);
    expect(report.errors).toContainEqual(expect.stringMatching(/^VPG db: could not learn what it uses \(S3 unavailable\); nothing of it was deleted$/));
    expect(report.deleted.instances).toEqual([leak.instance]);
    expect(world.ec2.volumes.has(db.volumeId)).toBe(true);
  });

  it('when it cannot learn which executions run, it deletes nothing of that VPG', async () => {
    const { world, leak } = await leakyWorld();
    world.executions.listRunning = async () => {
      throw new ServiceError('SFN unavailable');
    };
    const report = await sweep(world);
    expect(report.errors.join('\n')).toMatch(/VPG web: could not learn what it uses \(SFN unavailable\)/);
    for (const id of Object.values(leak)) expect(exists(world, id)).toBe(true);
    expect(world.ec2.destroyed).toEqual([]);
  });

  it('takes snapshots an older checkpoint superseded (left by a Cleanup that failed), keeps the latest bases', async () => {
    const { world, bases, vm } = await leakyWorld();
    const disks = new Map([[vm.volumes[0].volumeId, new Map([[0, 'b']])]]);
    world.ec2.deleteSnapshot = async () => {
      throw new ServiceError('no deletes today');
    };
    await expect(runSync(world, vpgRuntime(), disks, `${EXECUTION}-2`)).rejects.toThrow('no deletes today');
    world.executions.running = [];
    const latest = (await world.store.listCheckpoints('web')).at(-1)!.volumes.map((v) => v.snapshotId);
    expect(latest).not.toEqual(bases);
    delete (world.ec2 as { deleteSnapshot?: unknown }).deleteSnapshot; // back to the prototype's
    world.clock.advance(3 * 3600);
    const report = await sweep(world);
    expect(report.deleted.snapshots).toEqual(expect.arrayContaining(bases));
    for (const id of latest) expect(world.ec2.snapshots.has(id)).toBe(true);
  });

  it('terminates expired test-failback VMs its failbacks made, never live recovered VMs nor look-alikes', async () => {
    const world = makeWorld();
    world.executions.known.add(`${FAILBACK_MACHINE.replace(':stateMachine:', ':execution:')}:drill-1`);
    const vm = (extra: Record<string, string>) =>
      world.ec2.addInstance({ tags: tagsFor(SITE, 'recovered-vm', 'instance', { [TAG.vpg]: 'web', ...extra }), volumesGiB: [] }).instanceId;
    const expired = vm({ [TAG.testExpiresAt]: world.clock.now().toISOString(), [TAG.executionId]: 'drill-1' });
    const lookAlike = vm({ [TAG.testExpiresAt]: world.clock.now().toISOString(), [TAG.executionId]: 'drill-9' });
    const live = vm({ [TAG.executionId]: 'drill-1' });
    world.clock.advance(1);
    const report = await sweep(world);
    expect(report.deleted.instances).toEqual([expired]);
    for (const id of [live, lookAlike]) expect(world.ec2.instances.get(id)?.state).toBe('running');
  });

  it("takes a stopped test failback's importers though its reader record is still fresh (its execution ended)", async () => {
    const world = makeWorld();
    const arn = `${FAILBACK_MACHINE.replace(':stateMachine:', ':execution:')}:drill-2`;
    world.executions.known.add(arn);
    const importer = world.ec2.addInstance({
      tags: tagsFor(SITE, 'zimporter', 'instance', { [TAG.vpg]: 'web', [TAG.executionId]: 'drill-2' }),
      volumesGiB: [],
    }).instanceId;
    await world.coordination.putReader(
      'web',
      readerRecord({
        id: 'drill-2',
        kind: 'failback',
        executionArn: arn,
        state: 'reading',
        checkpointId: 'cp-1',
        now: world.clock.now(),
        horizonSeconds: 3600,
      }),
    );
    const report = await sweep(world);
    expect(report.deleted.instances).toEqual([importer]);
    expect(report.readerRecords).toEqual(['drill-2']);
    world.executions.states.set(arn, 'running');
    await world.coordination.putReader(
      'web',
      readerRecord({
        id: 'drill-2',
        kind: 'failback',
        executionArn: arn,
        state: 'reading',
        checkpointId: 'cp-1',
        now: world.clock.now(),
        horizonSeconds: 3600,
      }),
    );
    expect((await sweep(world)).readerRecords).toEqual([]);
  });

  it('removes the working files of executions that are gone and stale reader records; keeps a live reader and fresh files', async () => {
    const { world } = await leakyWorld();
    world.store.objects.set('vpgs/web/syncs/sGone/progress/j.json', '{}');
    world.store.objects.set('vpgs/web/imports/drill-1/jobs/imp-0.json', '{}');
    world.store.objects.set('vpgs/web/syncs/sFresh/progress/j.json', '{}');
    world.coordination.changedAt.set('sync/sFresh', world.clock.now().toISOString());
    const record = (id: string, horizonSeconds: number) =>
      readerRecord({ id, kind: 'failback', state: 'reading', checkpointId: 'cp-1', now: world.clock.now(), horizonSeconds });
    await world.coordination.putReader('web', record('stale', -1));
    await world.coordination.putReader('web', record('live', 600));
    const report = await sweep(world);
    expect([...report.workingFiles].sort()).toEqual(['vpgs/web/imports/drill-1/', 'vpgs/web/syncs/sGone/']);
    expect(world.store.keys('vpgs/web/syncs/')).toEqual(['vpgs/web/syncs/sFresh/progress/j.json']);
    expect(report.readerRecords).toEqual(['stale']);
    expect([...world.coordination.readers.keys()]).toEqual(['web/live']);
  });
});
