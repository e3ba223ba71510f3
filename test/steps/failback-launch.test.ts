/**
 * Recovered VMs boot from their own recovered root: Prepare picks which can, SnapshotVolumes tags their snapshots as
 * the VM's, LaunchRecovered registers an image of them (recorded architecture, boot mode, root device, ENA, EBS
 * settings; tagged at creation; found again on a retry) and launches from it with the recorded type and tags, asking
 * nothing of the protected region. Old checkpoints launch as before. Failed and test cleanups deregister the images
 * they own, and only those.
 */
import { launchRecovered, snapshotVolumes } from '../../runtime/core/failback/recovered';
import { prepareImport, resolveFailback } from '../../runtime/core/failback/resolve';
import { cleanupFailedFailback, finishFailback } from '../../runtime/core/failback/finish';
import { removeTestRecoveredVms } from '../../runtime/core/failback/test-cleanup';
import { imageDevices, imageName, launchPathOf, withSourceTags } from '../../runtime/core/failback/recovered-image';
import type { LaunchInput, SnapshotVolumesInput } from '../../runtime/core/failback/contract';
import type { CheckpointInstance } from '../../runtime/core/store/instance-facts';
import { TAG, tagsFor } from '../../runtime/core/tags';
import { SITE } from './fakes';
import { commitCheckpoint, failbackWorld, IMPORT_ID, init, instanceFacts, type FailbackWorld, type SourceVolume } from './fake-recovery';

const WEB = 'i-0aaaaaaaaaaaaaaaa';
const OLD = 'i-0bbbbbbbbbbbbbbbb';
const VOLUMES: SourceVolume[] = [
  { id: 'vol-0a1aaaaaaaaaaaaaa', instanceId: WEB, device: '/dev/xvda', volumeType: 'gp3', iops: 4000, throughput: 250 },
  { id: 'vol-0a2aaaaaaaaaaaaaa', instanceId: WEB, device: '/dev/xvdf', volumeType: 'gp2', iops: 300 },
  { id: 'vol-0b1bbbbbbbbbbbbbb', instanceId: OLD, device: '/dev/sda1' },
];

/** A failback driven through Resolve, Prepare, the importers (written volumes made here) and SnapshotVolumes. */
async function throughSnapshots(fw: FailbackWorld, request: Record<string, unknown> = {}, instances: CheckpointInstance[] = [instanceFacts(WEB)]) {
  await commitCheckpoint(fw.world, VOLUMES, instances);
  const state = init(request);
  const resolve = await resolveFailback(state, fw.deps);
  const prepare = await prepareImport({ ...state, resolve }, fw.deps);
  const importers = prepare.importers.map((imp) => ({
    index: imp.index,
    done: true,
    waitSeconds: 5,
    instanceId: `i-importer${imp.index}`,
    volumeIds: imp.sourceVolumeIds.map((id) => fw.world.ec2.addVolume({ tags: { written: id } }).volumeId),
    sourceVolumeIds: imp.sourceVolumeIds,
    blocksDone: 0,
    blocksTotal: 0,
  }));
  const input: SnapshotVolumesInput = { ...state, resolve, prepare, importers };
  let snapshots = await snapshotVolumes(input, fw.deps);
  fw.world.ec2.settleAll();
  snapshots = await snapshotVolumes({ ...input, snapshots }, fw.deps);
  expect(snapshots.ready).toBe(true);
  return { ...input, snapshots } as LaunchInput;
}

/** LaunchRecovered until every VM runs. */
async function launchAll(fw: FailbackWorld, input: LaunchInput) {
  let launch = await launchRecovered(input, fw.deps);
  for (let i = 0; i < 10 && !launch.done; i++) {
    fw.world.ec2.settleAll();
    launch = await launchRecovered({ ...input, launch }, fw.deps);
  }
  return launch;
}

describe('which recovered VMs boot from an image of their recovered root', () => {
  it('those with launch facts, of an HVM system other than Windows, whose root is among their volumes', () => {
    const facts = instanceFacts(WEB);
    expect(launchPathOf(facts, ['/dev/xvda', '/dev/xvdf'])).toEqual({ kind: 'image' });
    expect(launchPathOf(undefined, ['/dev/xvda'])).toMatchObject({ kind: 'source', why: expect.stringContaining('records no launch facts') });
    expect(launchPathOf({ ...facts, platform: 'Windows' }, ['/dev/xvda'])).toMatchObject({ why: expect.stringContaining('Windows') });
    expect(launchPathOf({ ...facts, virtualizationType: 'paravirtual' }, ['/dev/xvda'])).toMatchObject({ why: 'it is paravirtual, not hvm' });
    expect(launchPathOf(facts, ['/dev/xvdf'])).toMatchObject({ why: 'its root device /dev/xvda is not among its recovered volumes' });
  });

  it("maps each volume with the EBS settings a mapping may carry, root first; names are unique and short; the source's tags go under ours", () => {
    const devices = imageDevices(
      [
        { device: '/dev/xvdf', snapshotId: 's-2', facts: { volumeType: 'gp2', iops: 300 } },
        { device: '/dev/xvdg', snapshotId: 's-3', facts: { volumeType: 'io2', iops: 5000, throughput: 9 } },
        { device: '/dev/xvda', snapshotId: 's-1', facts: { volumeType: 'gp3', iops: 4000, throughput: 250 } },
        { device: '/dev/xvdh', snapshotId: 's-4' },
      ],
      '/dev/xvda',
    );
    expect(devices).toEqual([
      { device: '/dev/xvda', snapshotId: 's-1', volumeType: 'gp3', iops: 4000, throughput: 250 },
      { device: '/dev/xvdf', snapshotId: 's-2', volumeType: 'gp2' },
      { device: '/dev/xvdg', snapshotId: 's-3', volumeType: 'io2', iops: 5000 },
      { device: '/dev/xvdh', snapshotId: 's-4', volumeType: 'gp3' },
    ]);
    expect(imageName('site-a', 'web', IMPORT_ID, WEB)).toBe(`lifeboat-site-a-web-${IMPORT_ID}-${WEB}`);
    expect(imageName('site-a', 'web', 'x'.repeat(100), WEB)).toMatch(/^lifeboat-site-a-web-[0-9a-f]{32}$/);
    const many = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${String(i).padStart(2, '0')}`, 'v']));
    const { tags, dropped } = withSourceTags({ Owner: 'site-a', [TAG.role]: 'recovered-vm' }, { ...many, Owner: 'someone', 'aws:x': 'y' });
    expect(tags.Owner).toBe('site-a');
    expect(Object.keys(tags)).toHaveLength(50);
    expect(dropped).toHaveLength(12);
  });
});

describe('a recovery from a checkpoint with launch facts', () => {
  it('Prepare marks the VMs that boot from an image and writes their facts to the store, not the payload; the old ones launch as before', async () => {
    const fw = failbackWorld();
    const input = await throughSnapshots(fw);
    expect(input.prepare.launchFromImage).toEqual([WEB]);
    expect(JSON.stringify(input.prepare)).not.toContain('c6i.large');
    expect(fw.world.log.has('its checkpoint records no launch facts (taken before they were recorded)')).toBe(true);
  });

  it("SnapshotVolumes tags the image's snapshots as the recovered VM's (mode, test expiry), the others as the importers'", async () => {
    const fw = failbackWorld();
    const input = await throughSnapshots(fw);
    const bySource = new Map(fw.recovery.snapshotsMade.map((s) => [s.tags[TAG.sourceVolume], s.tags]));
    expect(bySource.get(VOLUMES[0].id)).toMatchObject({
      ...tagsFor(SITE, 'recovered-vm', 'volume'),
      [TAG.vpg]: 'web',
      [TAG.executionId]: IMPORT_ID,
      [TAG.sourceInstance]: WEB,
      [TAG.recoveryMode]: 'test',
      [TAG.testExpiresAt]: expect.any(String),
    });
    expect(bySource.get(VOLUMES[2].id)).toMatchObject({ [TAG.role]: 'zimporter', [TAG.zerto]: 'ZERTO_EBS_RESOURCE' });
    expect(bySource.get(VOLUMES[2].id)![TAG.testExpiresAt]).toBeUndefined();
    expect(Object.keys(input.snapshots.snapshots)).toHaveLength(3);
  });

  it('LaunchRecovered registers the image with the recorded facts, tagged at creation, and boots the VM from it with its type and tags', async () => {
    const fw = failbackWorld();
    const input = await throughSnapshots(fw);
    const launch = await launchAll(fw, input);
    expect(fw.images.registered).toHaveLength(1);
    const [req] = fw.images.registered;
    expect(req).toMatchObject({
      name: `lifeboat-site-a-web-${IMPORT_ID}-${WEB}`,
      architecture: 'x86_64',
      bootMode: 'uefi',
      rootDeviceName: '/dev/xvda',
      enaSupport: true,
      devices: [
        { device: '/dev/xvda', snapshotId: input.snapshots.snapshots[VOLUMES[0].id], volumeType: 'gp3', iops: 4000, throughput: 250 },
        { device: '/dev/xvdf', snapshotId: input.snapshots.snapshots[VOLUMES[1].id], volumeType: 'gp2' },
      ],
    });
    expect(req.tags).toMatchObject({
      [TAG.owner]: SITE,
      [TAG.zerto]: 'ZERTO_EC2_RESOURCE',
      [TAG.role]: 'recovered-vm',
      [TAG.vpg]: 'web',
      [TAG.sourceInstance]: WEB,
    });
    const imageId = [...fw.images.images.keys()][0];
    const web = fw.recovery.launches.find((l) => l.instanceTags[TAG.sourceInstance] === WEB)!;
    expect(web).toMatchObject({ imageId, instanceType: 'c6i.large', devices: [] });
    expect(web.instanceTags).toMatchObject({ Name: 'web-1', [TAG.role]: 'recovered-vm', [TAG.recoveryMode]: 'test' });
    expect(launch.launched.find((l) => l.sourceInstanceId === WEB)).toEqual({ sourceInstanceId: WEB, instanceId: expect.any(String), imageId });
    // the old instance launches as before: its source's image, its snapshots on their devices
    const old = fw.recovery.launches.find((l) => l.instanceTags[TAG.sourceInstance] === OLD)!;
    expect(old.devices).toEqual([{ device: '/dev/sda1', snapshotId: input.snapshots.snapshots[VOLUMES[2].id] }]);
    expect(fw.recovery.calls.instanceDetails).toBe(1);
  });

  it('a retried launch finds its image by tags, or by name when the tags are not listed yet; a pending image is waited for', async () => {
    const fw = failbackWorld();
    const input = await throughSnapshots(fw, {}, [instanceFacts(WEB), instanceFacts(OLD, { rootDeviceName: '/dev/sda1' })]);
    fw.images.initialState = 'pending';
    fw.images.hideNew = true;
    const first = await launchRecovered(input, fw.deps);
    expect(first).toMatchObject({ done: false, launched: [] });
    expect(fw.recovery.launches).toEqual([]);
    const again = await launchRecovered(input, fw.deps);
    expect(again.launched).toEqual([]);
    expect(fw.images.images.size).toBe(1);
    for (const image of fw.images.images.values()) Object.assign(image, { state: 'available' });
    fw.images.initialState = 'available';
    const launch = await launchAll(fw, input);
    expect(launch.done).toBe(true);
    expect(fw.images.images.size).toBe(2);
    expect(fw.recovery.calls.instanceDetails).toBeUndefined();
    expect(fw.recovery.calls.launchImage).toBeUndefined();
  });

  it("an image that fails, or one of Lifeboat's name that is not ours, fails the launch with the image named", async () => {
    const fw = failbackWorld();
    const input = await throughSnapshots(fw);
    fw.images.initialState = 'failed';
    await expect(launchRecovered(input, fw.deps)).rejects.toThrow(/image ami-\S+ registered for the recovered VM of i-0aaaaaaaaaaaaaaaa is failed/);
    const other = failbackWorld();
    const squatted = await throughSnapshots(other);
    const foreign = other.images.add({ Owner: 'someone-else' });
    Object.assign(other.images.images.get(foreign.imageId)!, { name: `lifeboat-site-a-web-${IMPORT_ID}-${WEB}` });
    await expect(launchRecovered(squatted, other.deps)).rejects.toThrow(`image ${foreign.imageId} has the name Lifeboat gives this recovery but is not ours`);
    expect(other.recovery.launches).toEqual([]);
  });

  it('the instance type is the request override, else the recorded one', async () => {
    const fw = failbackWorld();
    const input = await throughSnapshots(fw, { target: { instanceType: 'm6i.xlarge' } });
    await launchAll(fw, input);
    expect(fw.recovery.launches.map((l) => l.instanceType)).toEqual(['m6i.xlarge', 'm6i.xlarge']);
  });
});

describe('cleanups of recoveries that booted from images', () => {
  it("Finish keeps the VM's image and its snapshots, and deletes the importers' snapshots", async () => {
    const fw = failbackWorld();
    const input = await throughSnapshots(fw);
    const launch = await launchAll(fw, input);
    await finishFailback({ ...input, launch }, fw.deps);
    expect(fw.images.images.size).toBe(1);
    expect(fw.world.ec2.snapshots.has(input.snapshots.snapshots[VOLUMES[0].id])).toBe(true);
    expect(fw.world.ec2.snapshots.has(input.snapshots.snapshots[VOLUMES[2].id])).toBe(false);
  });

  it("a failed failback deregisters its images before deleting their snapshots, and never another's image", async () => {
    const fw = failbackWorld();
    const input = await throughSnapshots(fw);
    await launchAll(fw, input);
    const lookalike = fw.images.add({
      ...tagsFor(SITE, 'recovered-vm', 'image', { [TAG.vpg]: 'web', [TAG.executionId]: IMPORT_ID }),
      [TAG.owner]: 'other-site',
    });
    const report = await cleanupFailedFailback(
      { vpg: input.vpg, executionId: input.executionId, resolve: input.resolve, error: { Error: 'X', Cause: 'boom' } },
      fw.deps,
    );
    expect(report.deregisteredImages).toHaveLength(1);
    expect(report.errors).toEqual([]);
    expect([...fw.images.images.keys()]).toEqual([lookalike.imageId]);
    for (const id of Object.values(input.snapshots.snapshots)) expect(fw.world.ec2.snapshots.has(id)).toBe(false);
  });

  it("failback-cleanup deregisters the test VMs' images and deletes their snapshots; a live VM's image and a look-alike stay", async () => {
    const fw = failbackWorld();
    const input = await throughSnapshots(fw);
    await launchAll(fw, input);
    fw.world.executions.known.add(input.executionId);
    const live = fw.images.add(tagsFor(SITE, 'recovered-vm', 'image', { [TAG.vpg]: 'web', [TAG.executionId]: 'live-1', [TAG.recoveryMode]: 'live' }));
    const orphan = fw.images.add(tagsFor(SITE, 'recovered-vm', 'image', { [TAG.vpg]: 'web', [TAG.executionId]: 'never-ran', [TAG.testExpiresAt]: 'x' }), [
      { device: '/dev/xvda', snapshotId: 'snap-kept' },
    ]);
    const failbacks = { stateMachineArn: input.stateMachineArn, executions: fw.world.executions };
    const report = await removeTestRecoveredVms(
      fw.world.ec2,
      { siteId: SITE, vpg: 'web', failbacks, images: fw.images },
      { sleep: fw.world.clock.sleep, now: () => fw.world.clock.ms },
    );
    expect(report.deregisteredImages).toHaveLength(1);
    expect([...report.deletedSnapshots].sort()).toEqual([input.snapshots.snapshots[VOLUMES[0].id], input.snapshots.snapshots[VOLUMES[1].id]].sort());
    expect([...fw.images.images.keys()].sort()).toEqual([live.imageId, orphan.imageId].sort());
    expect(report.refused.map((r) => r.id)).toContain(orphan.imageId);
  });
});
