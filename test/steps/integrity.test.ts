/**
 * A sync never commits a checkpoint that would not restore, and never builds on one: Commit refuses a manifest
 * whose blocks are in no live pack; Begin reads everything again when the latest checkpoint's chain is broken
 * or its packs are gone, and the checkpoint it commits is full and whole.
 */
import { checkpointKey, checkpointSummaryKey, packIndexKey } from '../../runtime/core/store/format';
import { restoreProblems } from '../../runtime/core/sync/integrity-check';
import { EXECUTION, makeWorld, vpgRuntime, type World } from './fakes';
import { runSync, type State } from './sync-driver';

function vm(world: World, blocks: Array<[number, string]>) {
  const instance = world.ec2.addInstance({ tags: { app: 'web' }, volumesGiB: [1] });
  return new Map([[instance.volumes[0].volumeId, new Map(blocks)]]);
}

const packIndexes = (world: World) => world.store.keys('vpgs/web/packs/').filter((k) => k.endsWith('.idx.json'));

async function twoSyncs(world: World): Promise<{ disks: Map<string, Map<number, string>>; first: State; second: State }> {
  const disks = vm(world, [
    [0, 'a'],
    [1, 'b'],
  ]);
  const first = await runSync(world, vpgRuntime(), disks, `${EXECUTION}-1`);
  world.clock.advance(900);
  disks.values().next().value!.set(2, 'c');
  const second = await runSync(world, vpgRuntime(), disks, `${EXECUTION}-2`);
  return { disks, first, second };
}

describe('a sync never builds on, nor commits, a checkpoint that would not restore', () => {
  it('Begin: a deleted parent manifest (a broken chain) makes the next sync read in full and commit a full checkpoint', async () => {
    const world = makeWorld();
    const { disks, first, second } = await twoSyncs(world);
    expect(second.begin.parentCheckpointId).toBe(first.commit.checkpointId);
    world.store.objects.delete(checkpointKey('web', first.commit.checkpointId));
    world.store.objects.delete(checkpointSummaryKey('web', first.commit.checkpointId));
    world.clock.advance(900);
    const third = await runSync(world, vpgRuntime(), disks, `${EXECUTION}-3`);
    expect(third.begin.fullResync).toMatch(
      new RegExp(`latest checkpoint ${second.commit.checkpointId} would not restore .*needs parent ${first.commit.checkpointId}`),
    );
    expect(third.begin.parentCheckpointId).toBeNull();
    expect(third.begin.volumes.every((v: { baseSnapshotId: string | null }) => v.baseSnapshotId === null)).toBe(true);
    const manifest = (await world.store.getCheckpoint('web', third.commit.checkpointId))!;
    expect(manifest).toMatchObject({ full: true, parentId: null });
    expect(await restoreProblems(world.store, 'web', third.commit.checkpointId)).toEqual([]);
    expect(world.log.has('would not restore')).toBe(true);
  });

  it('Begin: a pack the latest checkpoint needs is gone: the next sync reads in full (deduplicating nothing against it)', async () => {
    const world = makeWorld();
    const { disks, second } = await twoSyncs(world);
    for (const key of packIndexes(world)) world.store.objects.delete(key.replace('.idx.json', '.pack'));
    world.clock.advance(900);
    const third = await runSync(world, vpgRuntime(), disks, `${EXECUTION}-3`);
    expect(third.begin.fullResync).toMatch(new RegExp(`${second.commit.checkpointId} would not restore .*block\\(s\\) are in no live pack index`));
    expect(third.commit.blocksRead).toBe(3);
  });

  it('Commit: a block the zSAT deduplicated against, whose pack went since, refuses the commit, naming the volume and blocks', async () => {
    const world = makeWorld();
    const disks = vm(world, [
      [0, 'a'],
      [1, 'b'],
    ]);
    await runSync(world, vpgRuntime(), disks, `${EXECUTION}-1`);
    world.clock.advance(900);
    disks.values().next().value!.set(1, 'b2');
    // the block the second sync does not read (block 0) lives in the first sync's pack: its index is damaged
    // after Begin checked the parent and the zSAT read, right before Commit
    const [index] = packIndexes(world);
    const readBefore = await world.store.listCheckpoints('web');
    const damage = () => void world.store.objects.set(index, '{"format": 1, "blocks": "not a list"}');
    await expect(runSync(world, vpgRuntime(), disks, `${EXECUTION}-2`, { beforeCommit: damage })).rejects.toThrow(/commit refused/);
    expect(await world.store.listCheckpoints('web')).toEqual(readBefore);
    expect(world.log.lines).toContainEqual(
      expect.objectContaining({
        message: 'step failed',
        fields: expect.objectContaining({
          error: expect.stringMatching(
            /commit refused: checkpoint cp-\S+ would not restore: .*volume vol-\S+: 1 block\(s\) are in no live pack index \(first: block 0/,
          ),
        }),
      }),
    );
    expect(packIndexKey('web', index.slice(-73, -9))).toBe(index);
  });
});
