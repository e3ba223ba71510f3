/** A whole sync, then an incremental one, through every handler over the in-memory fakes. */
import { ZERO_BLOCK } from '../../runtime/core/workers/agent-job';
import { TAG } from '../../runtime/core/tags';
import { EXECUTION, makeWorld, vpgRuntime } from './fakes';
import { hashOf, runSync } from './sync-driver';

describe('a sync, end to end over fakes', () => {
  it('first sync reads every allocated block; the second reads only changes, zeroes trims, and removes the old generation', async () => {
    const world = makeWorld();
    const vm = world.ec2.addInstance({ tags: { app: 'web' }, volumesGiB: [8, 1] });
    const [root, data] = vm.volumes.map((v) => v.volumeId);
    const disks = new Map([
      [
        root,
        new Map([
          [0, 'boot'],
          [1, 'kernel'],
          [7, 'etc'],
        ]),
      ],
      [
        data,
        new Map([
          [0, 'db-a'],
          [3, 'db-b'],
        ]),
      ],
    ]);
    const vpg = vpgRuntime();

    const first = await runSync(world, vpg, disks);
    expect(first.begin.generation).toBe(1);
    expect(first.begin.volumes.map((v: { baseSnapshotId: string | null }) => v.baseSnapshotId)).toEqual([null, null]);
    expect(first.plan.blocksPlanned).toBe(5);
    expect(first.plan.zsats).toHaveLength(1); // two volumes, volumesPerZsat 2
    const cp1 = (await world.store.getCheckpoint('web', first.commit.checkpointId))!;
    expect(cp1.parentId).toBeNull();
    expect(cp1.full).toBe(true);
    expect(cp1.volumes.find((v) => v.sourceVolumeId === data)!.blocks).toEqual({ 0: hashOf('db-a'), 3: hashOf('db-b') });
    // zSAT gone (terminated as soon as it reported done, freeing its vCPUs), its volume deleted, working files
    // removed; the new snapshots stay as the next base.
    expect(first.cleanup.terminatedInstances).toEqual([]);
    expect([...world.ec2.instances.values()].filter((i) => i.tags.ZERTO_TAG && i.state !== 'terminated')).toEqual([]);
    expect(first.cleanup.deletedVolumes).toHaveLength(2);
    expect(first.cleanup.deletedSnapshots).toEqual([]);
    expect(world.store.keys(`vpgs/web/syncs/`)).toEqual([]);
    const firstSnapshots = Object.values<string>(first.snapshots.snapshots);
    for (const id of firstSnapshots) expect(world.ec2.snapshots.has(id)).toBe(true);

    // Change a block, trim one, leave the data volume alone.
    world.clock.advance(900);
    disks.get(root)!.set(1, 'kernel-2');
    disks.get(root)!.delete(7);
    const second = await runSync(world, vpg, disks, `${EXECUTION}-2`);
    expect(second.begin.generation).toBe(2);
    expect(second.begin.parentCheckpointId).toBe(first.commit.checkpointId);
    expect(second.begin.volumes.map((v: { baseSnapshotId: string | null }) => v.baseSnapshotId)).toEqual(firstSnapshots);
    expect(second.plan.blocksPlanned).toBe(2);
    expect(second.plan.zsats).toEqual([expect.objectContaining({ sourceVolumeIds: [root] })]);
    const cp2 = (await world.store.getCheckpoint('web', second.commit.checkpointId))!;
    expect(cp2.parentId).toBe(cp1.id);
    expect(cp2.volumes.find((v) => v.sourceVolumeId === root)!.blocks).toEqual({ 1: hashOf('kernel-2'), 7: ZERO_BLOCK });
    expect(cp2.volumes.find((v) => v.sourceVolumeId === data)!.blocks).toEqual({});
    // The previous generation's snapshots are deleted now that a newer checkpoint is committed.
    expect([...second.cleanup.deletedSnapshots].sort()).toEqual([...firstSnapshots].sort());
    for (const id of Object.values<string>(second.snapshots.snapshots)) {
      expect(world.ec2.snapshots.get(id)!.tags[TAG.generation]).toBe('2');
    }
    expect(world.ec2.snapshots.size).toBe(2);
  });

  it('a VM with 5 volumes across two AZs gets zSATs per AZ, at most volumesPerZsat each', async () => {
    const world = makeWorld();
    world.ec2.addInstance({ tags: { app: 'web' }, volumesGiB: [1, 1, 1], az: 'us-east-1a' });
    world.ec2.addInstance({ tags: { app: 'web' }, volumesGiB: [1, 1], az: 'us-east-1b' });
    const disks = new Map([...world.ec2.volumes.keys()].map((id) => [id, new Map([[0, `data-${id}`]])]));
    const state = await runSync(world, vpgRuntime(), disks);
    expect(state.plan.zsats.map((z: { sourceVolumeIds: string[] }) => z.sourceVolumeIds.length)).toEqual([2, 1, 2]);
    const zones = state.zsats.map((z: { volumeIds: string[] }) => new Set(z.volumeIds.map((id) => world.ec2.volumeZones.get(id))));
    expect(world.ec2.runRequests.map((r) => r.subnetId)).toEqual(['subnet-a', 'subnet-a', 'subnet-b']);
    expect(zones.map((z: Set<string>) => [...z])).toEqual([['us-east-1a'], ['us-east-1a'], ['us-east-1b']]);
    expect(state.commit.blocksRead).toBe(5);
  });
});
