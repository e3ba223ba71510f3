/**
 * Protection never ends silently: a protected instance that leaves the VPG's selection is reported by the next
 * sync (output, a warning, the SourcesDeparted metric), and compaction keeps its last copy past the journal
 * until a person releases it.
 */
import { departedSources, retainedForDeparted } from '../../runtime/core/sync/departed-sources';
import { EXECUTION, makeWorld, vpgRuntime } from './fakes';
import { runSync } from './sync-driver';

describe('departed sources', () => {
  it('the sync after an instance loses its selector tag reports its volume, logs a warning and publishes the metric', async () => {
    const world = makeWorld();
    const a = world.ec2.addInstance({ tags: { app: 'web' }, volumesGiB: [1] });
    const b = world.ec2.addInstance({ tags: { app: 'web' }, volumesGiB: [1] });
    const disks = new Map([
      [a.volumes[0].volumeId, new Map([[0, 'a']])],
      [b.volumes[0].volumeId, new Map([[0, 'b']])],
    ]);
    const first = await runSync(world, vpgRuntime(), disks, `${EXECUTION}-1`);
    expect(first.begin.departed).toBeUndefined();
    world.ec2.instances.get(b.instanceId)!.tags.app = 'retired';
    world.clock.advance(900);
    const second = await runSync(world, vpgRuntime(), disks, `${EXECUTION}-2`);
    expect(second.begin.departed).toEqual([
      { sourceVolumeId: b.volumes[0].volumeId, sourceInstanceId: b.instanceId, lastCheckpointId: first.commit.checkpointId },
    ]);
    expect(world.log.lines).toContainEqual(
      expect.objectContaining({
        level: 'WARN',
        message: expect.stringMatching(/left the VPG: its protection has ended/),
        fields: expect.objectContaining({ release: `lifeboat release web ${b.volumes[0].volumeId}` }),
      }),
    );
    expect(world.log.lines).toContainEqual(expect.objectContaining({ message: 'metrics', fields: expect.objectContaining({ SourcesDeparted: 1 }) }));
    // released by a person (lifeboat release): the next sync no longer reports it
    world.coordination.released.set('web', new Set([b.instanceId]));
    world.clock.advance(900);
    const third = await runSync(world, vpgRuntime(), disks, `${EXECUTION}-3`);
    expect(third.begin.departed).toBeUndefined();
  });

  it('compaction keeps the newest checkpoint holding a departed volume (and all after it) until it is released', () => {
    const cp = (id: string, volumes: string[]) => ({ id, volumes: volumes.map((v) => ({ sourceVolumeId: v, sourceInstanceId: `i-${v}` })) });
    const history = [cp('cp-1', ['a', 'b']), cp('cp-2', ['a', 'b']), cp('cp-3', ['a'])];
    expect(retainedForDeparted(history, new Set())).toEqual(new Set(['cp-2']));
    expect(retainedForDeparted(history, new Set(['b']))).toEqual(new Set());
    expect(retainedForDeparted(history, new Set(['i-b']))).toEqual(new Set());
    expect(departedSources(history, new Set(['a']), new Set())).toEqual([{ sourceVolumeId: 'b', sourceInstanceId: 'i-b', lastCheckpointId: 'cp-2' }]);
  });
});
