/**
 * Failover mode, for a real disaster: it recovers the checkpoint chosen as a drill does, makes no call to the
 * protected side (no stop, no final sync, no look at a source instance), takes no lease, and keeps its VMs: tagged
 * with the mode and no test expiry, so `lifeboat failback-cleanup` and Finish leave them, and their images, alone.
 */
import { launchRecovered, snapshotVolumes } from '../../runtime/core/failback/recovered';
import { prepareImport, resolveFailback } from '../../runtime/core/failback/resolve';
import { finishFailback } from '../../runtime/core/failback/finish';
import { removeTestRecoveredVms } from '../../runtime/core/failback/test-cleanup';
import type { LaunchInput } from '../../runtime/core/failback/contract';
import { failbackLeaseUse } from '../../runtime/handlers/lease-step';
import { TAG } from '../../runtime/core/tags';
import { SITE } from './fakes';
import { commitCheckpoint, failbackWorld, init, instanceFacts, type FailbackWorld } from './fake-recovery';

const WEB = 'i-0aaaaaaaaaaaaaaaa';
const VOLUMES = [
  { id: 'vol-0a1aaaaaaaaaaaaaa', instanceId: WEB, device: '/dev/xvda' },
  { id: 'vol-0a2aaaaaaaaaaaaaa', instanceId: WEB, device: '/dev/xvdf' },
];

/** A failover of `checkpoint` driven to the end, the protected side unreachable: each of its calls throws. */
async function failover(fw: FailbackWorld, checkpoint: string, withFacts = true) {
  for (const op of ['instanceDetails', 'stopInstances'] as const) {
    fw.recovery[op] = async () => {
      throw new Error(`${op}: the protected region is down`);
    };
  }
  const older = await commitCheckpoint(fw.world, VOLUMES, withFacts ? [instanceFacts(WEB)] : undefined);
  fw.world.clock.advance(3600);
  await commitCheckpoint(fw.world, VOLUMES, withFacts ? [instanceFacts(WEB, { instanceType: 'm6i.large' })] : undefined);
  const state = init({ mode: 'failover', checkpoint: checkpoint === 'older' ? older.id : checkpoint });
  const resolve = await resolveFailback(state, fw.deps);
  const prepare = await prepareImport({ ...state, resolve }, fw.deps);
  const importers = prepare.importers.map((imp) => ({
    index: imp.index,
    done: true,
    waitSeconds: 5,
    instanceId: `i-importer${imp.index}`,
    volumeIds: imp.sourceVolumeIds.map(() => fw.world.ec2.addVolume({}).volumeId),
    sourceVolumeIds: imp.sourceVolumeIds,
    blocksDone: 0,
    blocksTotal: 0,
  }));
  const snapshots = await snapshotVolumes({ ...state, resolve, prepare, importers }, fw.deps);
  fw.world.ec2.settleAll();
  const input = {
    ...state,
    resolve,
    prepare,
    importers,
    snapshots: await snapshotVolumes({ ...state, resolve, prepare, importers, snapshots }, fw.deps),
  } as LaunchInput;
  let launch = await launchRecovered(input, fw.deps);
  for (let i = 0; i < 5 && !launch.done; i++) {
    fw.world.ec2.settleAll();
    launch = await launchRecovered({ ...input, launch }, fw.deps);
  }
  const result = await finishFailback({ ...input, launch }, fw.deps);
  return { state, resolve, result, older };
}

describe('failover', () => {
  it('recovers a chosen checkpoint without the protected side or the lease, from an image of the recovered root', async () => {
    const fw = failbackWorld();
    const { resolve, result, older } = await failover(fw, 'older');
    expect(resolve).toMatchObject({ mode: 'failover', checkpointId: older.id });
    expect(result).toMatchObject({ mode: 'failover', checkpointId: older.id });
    expect(fw.recovery.calls.instanceDetails).toBeUndefined();
    expect(fw.world.coordination.lease('web')).toBeUndefined();
    expect(failbackLeaseUse({ vpg: { name: 'web' }, executionId: 'x', resolve: { mode: 'failover' } })).toBeUndefined();
    // the facts of the chosen checkpoint, not the latest's
    expect(fw.recovery.launches.map((l) => l.instanceType)).toEqual(['c6i.large']);
    expect(result.recoveredInstances[0].imageId).toMatch(/^ami-/);
  });

  it('tags the VM, its image and snapshots with the mode and no test expiry; Finish and failback-cleanup leave them', async () => {
    const fw = failbackWorld();
    const { state, result } = await failover(fw, 'latest');
    const [vm] = result.recoveredInstances;
    const tags = fw.world.ec2.instances.get(vm.instanceId)!.tags;
    expect(tags).toMatchObject({ [TAG.owner]: SITE, [TAG.role]: 'recovered-vm', [TAG.vpg]: 'web', [TAG.recoveryMode]: 'failover', [TAG.sourceInstance]: WEB });
    expect(tags[TAG.testExpiresAt]).toBeUndefined();
    const [image] = fw.images.images.values();
    expect(image.tags).toMatchObject({ [TAG.recoveryMode]: 'failover' });
    expect(image.tags[TAG.testExpiresAt]).toBeUndefined();
    for (const d of image.devices) expect(fw.world.ec2.snapshots.get(d.snapshotId!)?.tags[TAG.testExpiresAt]).toBeUndefined();
    fw.world.executions.known.add(state.executionId);
    const report = await removeTestRecoveredVms(
      fw.world.ec2,
      { siteId: SITE, vpg: 'web', failbacks: { stateMachineArn: state.stateMachineArn, executions: fw.world.executions }, images: fw.images },
      { sleep: fw.world.clock.sleep, now: () => fw.world.clock.ms },
    );
    expect(report).toMatchObject({ terminatedInstances: [], deregisteredImages: [], deletedSnapshots: [] });
    expect(fw.world.ec2.instances.get(vm.instanceId)!.state).not.toBe('terminated');
    expect(fw.images.images.size).toBe(1);
  });

  it('from a checkpoint without launch facts, boots the region\u2019s stock image, still without a look at the source', async () => {
    const fw = failbackWorld();
    await failover(fw, 'latest', false);
    expect(fw.recovery.calls.instanceDetails).toBeUndefined();
    expect(fw.recovery.launches[0]).toMatchObject({
      imageId: 'ami-al2023',
      devices: [expect.objectContaining({ device: '/dev/xvda' }), expect.objectContaining({ device: '/dev/xvdf' })],
    });
    expect(fw.world.log.has("recovered VM boots the region's Amazon Linux with its recovered disks")).toBe(true);
  });
});
