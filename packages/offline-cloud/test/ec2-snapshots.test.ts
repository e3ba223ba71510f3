import {
  AttachVolumeCommand,
  CreateSnapshotCommand,
  CreateSnapshotsCommand,
  CreateVolumeCommand,
  DeleteSnapshotCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  RegisterImageCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { type Ec2Harness, errorName, pollUntil, startEc2 } from './helpers/ec2-harness';

let h: Ec2Harness;
beforeEach(async () => {
  h = await startEc2({ timings: { snapshotMs: 200 } });
});
afterEach(() => h.close());

const tags = (t: Record<string, string>) => Object.entries(t).map(([Key, Value]) => ({ Key, Value }));
const BLOCK = 512 * 1024;

async function availableVolume(az: string, size = 1, extra: Record<string, unknown> = {}): Promise<string> {
  const v = await h.client.send(new CreateVolumeCommand({ AvailabilityZone: az, Size: size, ...extra }));
  await pollUntil(async () => {
    const out = await h.client.send(new DescribeVolumesCommand({ VolumeIds: [v.VolumeId!] }));
    return out.Volumes![0].State === 'available' ? true : undefined;
  }, 'volume available');
  return v.VolumeId!;
}

async function snapshot(id: string) {
  return (await h.client.send(new DescribeSnapshotsCommand({ SnapshotIds: [id], OwnerIds: ['self'] }))).Snapshots![0];
}

test('CreateSnapshot: pending with climbing progress, then completed at 100%; the bytes are those at capture', async () => {
  const volumeId = await availableVolume('us-east-1a');
  h.storage.writeVolume(volumeId, 0, Buffer.alloc(BLOCK, 1));
  const snap = await h.client.send(
    new CreateSnapshotCommand({
      VolumeId: volumeId,
      Description: 'sync 1',
      TagSpecifications: [{ ResourceType: 'snapshot', Tags: tags({ Owner: 'site-1' }) }],
    }),
  );
  h.storage.writeVolume(volumeId, 0, Buffer.alloc(BLOCK, 2));
  expect(snap).toMatchObject({ VolumeId: volumeId, State: 'pending', VolumeSize: 1, Description: 'sync 1', OwnerId: '000000000000' });
  expect(snap.StartTime).toBeInstanceOf(Date);
  expect(snap.Tags).toEqual(tags({ Owner: 'site-1' }));
  expect(snap.Progress).toMatch(/^\d+%$/);
  const done = await pollUntil(async () => {
    const s = await snapshot(snap.SnapshotId!);
    return s.State === 'completed' ? s : undefined;
  }, 'snapshot completed');
  expect(done.Progress).toBe('100%');
  expect(h.storage.readSnapshotBlock(snap.SnapshotId!, 0).equals(Buffer.alloc(BLOCK, 1))).toBe(true);
  const record = h.ec2.snapshots.get(snap.SnapshotId!)!;
  expect(record.lineage).toBe(volumeId);
  expect(record.state).toBe('completed');

  // a volume from the snapshot has its content and its lineage
  const restored = await h.client.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1b', SnapshotId: snap.SnapshotId }));
  expect(restored.Size).toBe(1);
  expect(restored.SnapshotId).toBe(snap.SnapshotId);
  expect(h.storage.readVolume(restored.VolumeId!, 0, 4).equals(Buffer.alloc(4, 1))).toBe(true);
  const second = await h.client.send(new CreateSnapshotCommand({ VolumeId: volumeId }));
  expect(h.ec2.snapshots.get(second.SnapshotId!)!.parentSnapshotId).toBe(snap.SnapshotId);
});

test('CreateSnapshots captures every volume of an instance at one instant, with copied and given tags', async () => {
  const run = await h.client.send(
    new RunInstancesCommand({ ImageId: 'ami-0lifeboat0offline', MinCount: 1, MaxCount: 1, Placement: { AvailabilityZone: 'us-east-1a' } }),
  );
  const instanceId = run.Instances![0].InstanceId!;
  await pollUntil(() => (h.ec2.instanceMetadata(instanceId)?.state === 'running' ? true : undefined), 'running');
  const a = await availableVolume('us-east-1a', 1, { TagSpecifications: [{ ResourceType: 'volume', Tags: tags({ Name: 'data-a' }) }] });
  const b = await availableVolume('us-east-1a', 2, { TagSpecifications: [{ ResourceType: 'volume', Tags: tags({ Name: 'data-b' }) }] });
  await h.client.send(new AttachVolumeCommand({ VolumeId: a, InstanceId: instanceId, Device: '/dev/sdf' }));
  await h.client.send(new AttachVolumeCommand({ VolumeId: b, InstanceId: instanceId, Device: '/dev/sdg' }));
  h.storage.writeVolume(a, 0, Buffer.alloc(BLOCK, 0xa1));
  h.storage.writeVolume(b, BLOCK, Buffer.alloc(BLOCK, 0xb1));

  const out = await h.client.send(
    new CreateSnapshotsCommand({
      InstanceSpecification: { InstanceId: instanceId, ExcludeBootVolume: true },
      CopyTagsFromSource: 'volume',
      TagSpecifications: [{ ResourceType: 'snapshot', Tags: tags({ Owner: 'site-1', SyncId: 's-1' }) }],
    }),
  );
  // written right after the call: no snapshot may see it
  h.storage.writeVolume(a, 0, Buffer.alloc(BLOCK, 0xa2));
  h.storage.writeVolume(b, BLOCK, Buffer.alloc(BLOCK, 0xb2));

  const snaps = out.Snapshots!;
  expect(snaps.map((s) => s.VolumeId).sort()).toEqual([a, b].sort());
  expect(new Set(snaps.map((s) => s.StartTime!.getTime())).size).toBe(1);
  expect(snaps.every((s) => s.State === 'pending')).toBe(true);
  const byVolume = Object.fromEntries(snaps.map((s) => [s.VolumeId!, s]));
  expect(byVolume[a].Tags).toEqual(tags({ Name: 'data-a', Owner: 'site-1', SyncId: 's-1' }));
  expect(byVolume[b].VolumeSize).toBe(2);
  expect(h.storage.readSnapshotBlock(byVolume[a].SnapshotId!, 0).equals(Buffer.alloc(BLOCK, 0xa1))).toBe(true);
  expect(h.storage.readSnapshotBlock(byVolume[b].SnapshotId!, 1).equals(Buffer.alloc(BLOCK, 0xb1))).toBe(true);

  const withBoot = await h.client.send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: instanceId } }));
  expect(withBoot.Snapshots).toHaveLength(3);
  expect(await errorName(h.client.send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: 'i-0123456789abcdef0' } })))).toBe(
    'InvalidInstanceID.NotFound',
  );
});

test('DescribeSnapshots: owner self, ids, filters, pagination; DeleteSnapshot; errors', async () => {
  const v1 = await availableVolume('us-east-1a');
  const v2 = await availableVolume('us-east-1a');
  h.ctx.timings.snapshotMs = 1000; // long enough to list them while pending
  const s1 = await h.client.send(
    new CreateSnapshotCommand({ VolumeId: v1, TagSpecifications: [{ ResourceType: 'snapshot', Tags: tags({ Owner: 'site-1' }) }] }),
  );
  const s2 = await h.client.send(
    new CreateSnapshotCommand({ VolumeId: v2, TagSpecifications: [{ ResourceType: 'snapshot', Tags: tags({ Owner: 'site-2' }) }] }),
  );
  const list = async (input: Record<string, unknown>) =>
    ((await h.client.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], ...input }))).Snapshots ?? []).map((s) => s.SnapshotId).sort();
  expect(await list({})).toEqual([s1.SnapshotId, s2.SnapshotId].sort());
  expect(await list({ OwnerIds: ['amazon'] })).toEqual([]);
  expect(await list({ Filters: [{ Name: 'tag:Owner', Values: ['site-1'] }] })).toEqual([s1.SnapshotId]);
  expect(await list({ Filters: [{ Name: 'volume-id', Values: [v2] }] })).toEqual([s2.SnapshotId]);
  expect(await list({ Filters: [{ Name: 'status', Values: ['pending'] }] })).toHaveLength(2);
  await pollUntil(async () => ((await list({ Filters: [{ Name: 'status', Values: ['completed'] }] })).length === 2 ? true : undefined), 'completed');
  const page = await h.client.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], MaxResults: 5 }));
  expect(page.Snapshots).toHaveLength(2);
  expect(page.NextToken).toBeUndefined();

  expect(await errorName(h.client.send(new DescribeSnapshotsCommand({ SnapshotIds: ['snap-0123456789abcdef0'] })))).toBe('InvalidSnapshot.NotFound');
  await h.client.send(new DeleteSnapshotCommand({ SnapshotId: s1.SnapshotId }));
  expect(await list({})).toEqual([s2.SnapshotId]);
  expect(await errorName(h.client.send(new DeleteSnapshotCommand({ SnapshotId: s1.SnapshotId })))).toBe('InvalidSnapshot.NotFound');
  expect(await errorName(h.client.send(new CreateSnapshotCommand({ VolumeId: 'vol-0123456789abcdef0' })))).toBe('InvalidVolume.NotFound');
  expect(await errorName(h.client.send(new CreateSnapshotCommand({ VolumeId: v1, Location: 'local' })))).toBe('UnsupportedOperation');

  await h.client.send(
    new RegisterImageCommand({
      Name: 'recovered',
      RootDeviceName: '/dev/xvda',
      BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: s2.SnapshotId } }],
    }),
  );
  expect(await errorName(h.client.send(new DeleteSnapshotCommand({ SnapshotId: s2.SnapshotId })))).toBe('InvalidSnapshot.InUse');
});

test('the registry shares snapshots with the EBS direct API emulator', async () => {
  h.storage.beginSnapshot('snap-0ebs00000000000001');
  h.ec2.snapshots.add({
    snapshotId: 'snap-0ebs00000000000001',
    volumeId: 'vol-ffffffff',
    volumeSize: 1,
    state: 'pending',
    progress: '0%',
    startTime: new Date().toISOString(),
    description: 'imported',
    tags: tags({ Owner: 'site-1' }),
    ownerId: '000000000000',
    lineage: 'lineage-x',
  });
  let s = await snapshot('snap-0ebs00000000000001');
  expect(s).toMatchObject({ State: 'pending', VolumeId: 'vol-ffffffff', Tags: tags({ Owner: 'site-1' }) });
  // an EBS-built snapshot stays pending until CompleteSnapshot: no volume from it yet
  expect(await errorName(h.client.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', SnapshotId: 'snap-0ebs00000000000001' })))).toBe(
    'IncorrectState',
  );
  h.ec2.snapshots.setState('snap-0ebs00000000000001', 'completed');
  s = await snapshot('snap-0ebs00000000000001');
  expect(s).toMatchObject({ State: 'completed', Progress: '100%' });
  const v = await h.client.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', SnapshotId: 'snap-0ebs00000000000001' }));
  expect(v.VolumeId).toMatch(/^vol-/);
});

test('eventual consistency: a new snapshot is NotFound by id, then found', async () => {
  const v = await availableVolume('us-east-1a');
  h.ctx.faults.consistencyMs = 1000;
  const s = await h.client.send(new CreateSnapshotCommand({ VolumeId: v }));
  expect(await errorName(h.client.send(new DescribeSnapshotsCommand({ SnapshotIds: [s.SnapshotId!] })))).toBe('InvalidSnapshot.NotFound');
  expect(h.ctx.faultCounts.consistency).toBe(1);
  const found = await pollUntil(async () => {
    try {
      return await snapshot(s.SnapshotId!);
    } catch {
      return undefined;
    }
  }, 'snapshot visible');
  expect(found.SnapshotId).toBe(s.SnapshotId);
});
