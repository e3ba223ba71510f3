/** The sweeper over fakes: deletes leaks past the grace period through guarded deletes, keeps bases and foreign resources. */
import { runSweep, sweeperInputSchema } from '../../lambda/core/sweeper-run';
import { ServiceError } from '../../lambda/core/errors';
import { TAG, tagsFor } from '../../lambda/core/tags';
import { sweeperStep } from '../../lambda/steps/sweeper-handler';
import { EXECUTION, MACHINE, makeWorld, SITE, snapshotTags, vpgRuntime, zsatTags, type World } from './fakes';
import { runSync } from './sync-driver';

const input = (over: Record<string, unknown> = {}) => sweeperInputSchema.parse({ stateMachineArns: [MACHINE], vpgs: ['web'], graceMinutes: 60, ...over });

/** A committed sync (its snapshots are the bases), then a crashed sync's leftovers and foreign look-alikes. */
async function leakyWorld() {
  const world = makeWorld();
  const vm = world.ec2.addInstance({ tags: { app: 'web' }, volumesGiB: [1] });
  const synced = await runSync(world, vpgRuntime(), new Map([[vm.volumes[0].volumeId, new Map([[0, 'a']])]]));
  world.executions.running = [];
  const bases = Object.values(synced.snapshots.snapshots) as string[];
  const created = world.clock.now().toISOString();
  const leak = {
    instance: world.ec2.addInstance({ tags: zsatTags('instance', 'sCrashed'), volumesGiB: [] }).instanceId,
    volume: Object.assign(world.ec2.addVolume({ tags: zsatTags('volume', 'sCrashed') }), { createTime: created }).volumeId,
    snapshot: world.ec2.addSnapshot({ volumeId: vm.volumes[0].volumeId, tags: snapshotTags('sCrashed') }).snapshotId,
  };
  const foreign = [
    world.ec2.addInstance({ tags: { ...zsatTags('instance', 'sCrashed'), [TAG.owner]: 'site-b' }, volumesGiB: [] }).instanceId,
    Object.assign(world.ec2.addVolume({ tags: { [TAG.vpg]: 'web', [TAG.role]: 'zsat' } }), { createTime: created }).volumeId,
    world.ec2.addSnapshot({ volumeId: vm.volumes[0].volumeId, tags: { ...snapshotTags('sCrashed'), [TAG.owner]: 'site-b' } }).snapshotId,
  ];
  world.clock.advance(3 * 3600);
  world.ec2.destroyed.length = 0;
  return { world, bases, leak, foreign };
}

const exists = (world: World, id: string) =>
  world.ec2.snapshots.has(id) || world.ec2.volumes.has(id) || (world.ec2.instances.get(id)?.state ?? 'terminated') !== 'terminated';

describe('sweeper', () => {
  it('deletes a crashed sync’s leftovers, keeps the bases and every foreign look-alike, logs each deletion', async () => {
    const { world, bases, leak, foreign } = await leakyWorld();
    const report = await runSweep(input(), world.deps);
    expect(report.deleted).toEqual({ instances: [leak.instance], volumes: [leak.volume], snapshots: [leak.snapshot] });
    for (const id of Object.values(leak)) expect(exists(world, id)).toBe(false);
    for (const id of [...bases, ...foreign]) expect(exists(world, id)).toBe(true);
    expect(report.kept.map((k) => k.id).sort()).toEqual([...bases].sort());
    for (const id of Object.values(leak)) {
      expect(world.log.lines).toContainEqual(expect.objectContaining({ message: 'sweeper deleted', fields: expect.objectContaining({ id, vpg: 'web' }) }));
    }
  });

  it('in a dry run deletes nothing and logs what it would delete (the event overrides the config)', async () => {
    const { world, leak } = await leakyWorld();
    const report = await sweeperStep.withDeps(world.deps)({ stateMachineArns: [MACHINE], vpgs: ['web'], graceMinutes: 60, dryRun: true });
    expect(report.deleted).toEqual({ instances: [], volumes: [], snapshots: [] });
    expect(report.selected.web).toMatchObject({ instances: [leak.instance], volumes: [leak.volume], snapshots: [leak.snapshot] });
    for (const id of Object.values(leak)) expect(exists(world, id)).toBe(true);
    expect(world.log.lines.filter((l) => l.message === 'sweeper would delete')).toHaveLength(3);
    expect(world.ec2.destroyed).toEqual([]);
  });

  it('leaves what a running execution owns, and what is younger than the grace period', async () => {
    const { world, leak } = await leakyWorld();
    const running = `${EXECUTION}-crashed`;
    world.executions.running = [{ executionArn: running, name: 'x', startDate: world.clock.now().toISOString() }];
    // the leak's sync id is not derived from this execution: tag the leak with the execution instead
    world.ec2.instances.get(leak.instance)!.tags[TAG.executionId] = running;
    const report = await runSweep(input({ graceMinutes: 60 * 24 }), world.deps);
    expect(report.deleted).toEqual({ instances: [], volumes: [], snapshots: [] });
    expect(report.kept.find((k) => k.id === leak.instance)?.reason).toBe('its execution is still running');
    expect(report.kept.find((k) => k.id === leak.volume)?.reason).toBe('younger than 1440 minutes');
  });

  it('aborts before deleting anything when it cannot learn what is in use', async () => {
    const { world } = await leakyWorld();
    world.store.listCheckpoints = async () => {
      throw new ServiceError('S3 unavailable');
    };
    await expect(runSweep(input(), world.deps)).rejects.toThrow('S3 unavailable');
    world.executions.listRunning = async () => {
      throw new ServiceError('SFN unavailable');
    };
    await expect(runSweep(input(), world.deps)).rejects.toThrow('SFN unavailable');
    expect(world.ec2.destroyed).toEqual([]);
  });

  it('takes snapshots an older checkpoint superseded (left by a Cleanup that failed), keeps the latest bases', async () => {
    const { world, bases } = await leakyWorld();
    const vm = [...world.ec2.instances.values()].find((i) => i.tags.app === 'web')!;
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
    const report = await runSweep(input(), world.deps);
    expect(report.deleted.snapshots).toEqual(expect.arrayContaining(bases));
    for (const id of latest) expect(world.ec2.snapshots.has(id)).toBe(true);
  });

  it('terminates expired test-failback VMs, never live recovered VMs', async () => {
    const world = makeWorld();
    const vm = (extra: Record<string, string>) => world.ec2.addInstance({ tags: tagsFor(SITE, 'recovered-vm', 'instance', { [TAG.vpg]: 'web', ...extra }), volumesGiB: [] }).instanceId;
    const expired = vm({ [TAG.testExpiresAt]: world.clock.now().toISOString() });
    const live = vm({});
    world.clock.advance(1);
    const report = await runSweep(input(), world.deps);
    expect(report.deleted.instances).toEqual([expired]);
    expect(world.ec2.instances.get(live)?.state).toBe('running');
  });
});
