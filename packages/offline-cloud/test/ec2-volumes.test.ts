import {
  AttachVolumeCommand,
  CreateVolumeCommand,
  DeleteVolumeCommand,
  DescribeVolumesCommand,
  DetachVolumeCommand,
  RunInstancesCommand,
  paginateDescribeVolumes,
} from '@aws-sdk/client-ec2';
import { EC2_RATES } from '../src/aws-rates';
import { type Ec2Harness, errorName, pollUntil, startEc2 } from './helpers/ec2-harness';

let h: Ec2Harness;
beforeEach(async () => {
  // CreateVolume's bucket raised (AWS raises API rates on request) so the pagination test can make 250 volumes at once
  h = await startEc2({ limits: { ec2Rates: { ...EC2_RATES, CreateVolume: { burst: 300, perSecond: 5 } } } });
});
afterEach(() => h.close());

const tagSpec = (tags: Record<string, string>) => [{ ResourceType: 'volume' as const, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }];

async function volume(id: string) {
  const out = await h.client.send(new DescribeVolumesCommand({ VolumeIds: [id] }));
  return out.Volumes![0];
}

async function runningInstance(az = 'us-east-1a'): Promise<string> {
  const out = await h.client.send(new RunInstancesCommand({ ImageId: 'ami-0lifeboat0offline', MinCount: 1, MaxCount: 1, Placement: { AvailabilityZone: az } }));
  const id = out.Instances![0].InstanceId!;
  await pollUntil(() => (h.ec2.instanceMetadata(id)?.state === 'running' ? true : undefined), 'instance running');
  return id;
}

test('CreateVolume makes a creating volume that becomes available, with its tags, size and bytes', async () => {
  const dirtyBefore = h.dirty.count;
  const created = await h.client.send(
    new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 2, VolumeType: 'gp3', Encrypted: true, TagSpecifications: tagSpec({ Owner: 'site-1' }) }),
  );
  expect(created.State).toBe('creating');
  expect(created.Size).toBe(2);
  expect(created.VolumeType).toBe('gp3');
  expect(created.Encrypted).toBe(true);
  expect(created.Tags).toEqual([{ Key: 'Owner', Value: 'site-1' }]);
  expect(created.CreateTime).toBeInstanceOf(Date);
  expect(h.dirty.count).toBeGreaterThan(dirtyBefore);
  expect(h.storage.hasVolume(created.VolumeId!)).toBe(true);
  const ready = await pollUntil(async () => ((await volume(created.VolumeId!)).State === 'available' ? true : undefined), 'available');
  expect(ready).toBe(true);
});

test('CreateVolume errors: no size nor snapshot, no AZ, bad AZ, unknown snapshot', async () => {
  expect(await errorName(h.client.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a' })))).toBe('MissingParameter');
  expect(await errorName(h.client.send(new CreateVolumeCommand({ Size: 1 })))).toBe('MissingParameter');
  expect(await errorName(h.client.send(new CreateVolumeCommand({ Size: 1, AvailabilityZone: 'eu-west-9z' })))).toBe('InvalidParameterValue');
  expect(await errorName(h.client.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', SnapshotId: 'snap-0123456789abcdef0' })))).toBe(
    'InvalidSnapshot.NotFound',
  );
});

test('ClientToken: the same request twice makes one volume; other parameters are IdempotentParameterMismatch', async () => {
  const req = { AvailabilityZone: 'us-east-1a', Size: 1, ClientToken: 'tok-1' };
  const a = await h.client.send(new CreateVolumeCommand(req));
  const b = await h.client.send(new CreateVolumeCommand(req));
  expect(b.VolumeId).toBe(a.VolumeId);
  const all = await h.client.send(new DescribeVolumesCommand({}));
  expect(all.Volumes).toHaveLength(1);
  expect(await errorName(h.client.send(new CreateVolumeCommand({ ...req, Size: 2 })))).toBe('IdempotentParameterMismatch');
});

test('attach, detach and delete follow the EBS rules and errors', async () => {
  const instanceId = await runningInstance('us-east-1a');
  h.ctx.timings.volumeMs = 1000; // long enough to see 'creating'
  const v = await h.client.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 1 }));
  const other = await h.client.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1b', Size: 1 }));
  // still 'creating' right after CreateVolume
  expect(await errorName(h.client.send(new AttachVolumeCommand({ VolumeId: v.VolumeId!, InstanceId: instanceId, Device: '/dev/sdf' })))).toBe('IncorrectState');
  await pollUntil(async () => ((await volume(v.VolumeId!)).State === 'available' ? true : undefined), 'available');
  await pollUntil(async () => ((await volume(other.VolumeId!)).State === 'available' ? true : undefined), 'available');
  expect(await errorName(h.client.send(new AttachVolumeCommand({ VolumeId: other.VolumeId!, InstanceId: instanceId, Device: '/dev/sdg' })))).toBe(
    'InvalidVolume.ZoneMismatch',
  );
  expect(await errorName(h.client.send(new DetachVolumeCommand({ VolumeId: v.VolumeId! })))).toBe('IncorrectState');

  const att = await h.client.send(new AttachVolumeCommand({ VolumeId: v.VolumeId!, InstanceId: instanceId, Device: '/dev/sdf' }));
  expect(att).toMatchObject({ VolumeId: v.VolumeId, InstanceId: instanceId, Device: '/dev/sdf', State: 'attaching' });
  const attached = await volume(v.VolumeId!);
  expect(attached.State).toBe('in-use');
  expect(attached.Attachments).toEqual([
    expect.objectContaining({ InstanceId: instanceId, Device: '/dev/sdf', State: 'attached', DeleteOnTermination: false }),
  ]);
  expect(await errorName(h.client.send(new AttachVolumeCommand({ VolumeId: v.VolumeId!, InstanceId: instanceId, Device: '/dev/sdh' })))).toBe('VolumeInUse');
  expect(await errorName(h.client.send(new DeleteVolumeCommand({ VolumeId: v.VolumeId! })))).toBe('VolumeInUse');

  const filtered = await h.client.send(
    new DescribeVolumesCommand({
      Filters: [
        { Name: 'attachment.instance-id', Values: [instanceId] },
        { Name: 'attachment.status', Values: ['attached'] },
      ],
    }),
  );
  // the root volume and the attached one
  expect(filtered.Volumes!.map((x) => x.VolumeId)).toContain(v.VolumeId);
  expect(filtered.Volumes).toHaveLength(2);

  const det = await h.client.send(new DetachVolumeCommand({ VolumeId: v.VolumeId!, InstanceId: instanceId }));
  expect(det.State).toBe('detaching');
  expect((await volume(v.VolumeId!)).State).toBe('available');
  await h.client.send(new DeleteVolumeCommand({ VolumeId: v.VolumeId! }));
  expect(h.storage.hasVolume(v.VolumeId!)).toBe(false);
  expect(await errorName(h.client.send(new DescribeVolumesCommand({ VolumeIds: [v.VolumeId!] })))).toBe('InvalidVolume.NotFound');
  expect(await errorName(h.client.send(new DeleteVolumeCommand({ VolumeId: v.VolumeId! })))).toBe('InvalidVolume.NotFound');
});

test('filters: tag:, tag-key, tag-value, status, volume-id, wildcards; values OR, filters AND', async () => {
  const mk = (tags: Record<string, string>, az = 'us-east-1a') =>
    h.client.send(new CreateVolumeCommand({ AvailabilityZone: az, Size: 1, TagSpecifications: tagSpec(tags) }));
  const a = await mk({ Owner: 'site-1', Vpg: 'web' });
  const b = await mk({ Owner: 'site-1', Vpg: 'db' }, 'us-east-1b');
  const c = await mk({ Owner: 'site-2' });
  const ids = async (Filters: Array<{ Name: string; Values: string[] }>) =>
    ((await h.client.send(new DescribeVolumesCommand({ Filters }))).Volumes ?? []).map((v) => v.VolumeId).sort();
  expect(await ids([{ Name: 'tag:Owner', Values: ['site-1'] }])).toEqual([a.VolumeId, b.VolumeId].sort());
  expect(
    await ids([
      { Name: 'tag:Owner', Values: ['site-1'] },
      { Name: 'tag:Vpg', Values: ['db'] },
    ]),
  ).toEqual([b.VolumeId]);
  expect(await ids([{ Name: 'tag:Vpg', Values: ['web', 'db'] }])).toEqual([a.VolumeId, b.VolumeId].sort());
  expect(await ids([{ Name: 'tag-key', Values: ['Vpg'] }])).toEqual([a.VolumeId, b.VolumeId].sort());
  expect(await ids([{ Name: 'tag-value', Values: ['site-2'] }])).toEqual([c.VolumeId]);
  expect(await ids([{ Name: 'tag:Owner', Values: ['site-*'] }])).toHaveLength(3);
  expect(
    await ids([
      { Name: 'tag:Owner', Values: ['site-?'] },
      { Name: 'availability-zone', Values: ['us-east-1b'] },
    ]),
  ).toEqual([b.VolumeId]);
  expect(await ids([{ Name: 'volume-id', Values: [a.VolumeId!, c.VolumeId!] }])).toEqual([a.VolumeId, c.VolumeId].sort());
  expect(await ids([{ Name: 'status', Values: ['in-use'] }])).toEqual([]);
  await pollUntil(async () => ((await ids([{ Name: 'status', Values: ['available'] }])).length === 3 ? true : undefined), 'all available');
  expect(await errorName(h.client.send(new DescribeVolumesCommand({ Filters: [{ Name: 'no-such-filter', Values: ['x'] }] })))).toBe('InvalidParameterValue');
});

test('pagination: the SDK paginator walks 250 volumes in pages of 100; MaxResults out of range is refused', async () => {
  for (let i = 0; i < 250; i++) await h.client.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1c', Size: 1 }));
  const pages: number[] = [];
  const seen = new Set<string>();
  for await (const page of paginateDescribeVolumes({ client: h.client, pageSize: 100 }, {})) {
    pages.push(page.Volumes!.length);
    for (const v of page.Volumes!) seen.add(v.VolumeId!);
  }
  expect(pages).toEqual([100, 100, 50]);
  expect(seen.size).toBe(250);
  expect(await errorName(h.client.send(new DescribeVolumesCommand({ MaxResults: 1000 })))).toBe('InvalidParameterValue');
  expect(await errorName(h.client.send(new DescribeVolumesCommand({ MaxResults: 4 })))).toBe('InvalidParameterValue');
  expect(await errorName(h.client.send(new DescribeVolumesCommand({ MaxResults: 5, VolumeIds: [[...seen][0]] })))).toBe('InvalidParameterCombination');
});

test('eventual consistency: a new volume is NotFound by id, absent from listings, then found', async () => {
  h.ctx.faults.consistencyMs = 1000;
  const v = await h.client.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 1 }));
  expect(await errorName(h.client.send(new DescribeVolumesCommand({ VolumeIds: [v.VolumeId!] })))).toBe('InvalidVolume.NotFound');
  expect(await errorName(h.client.send(new DescribeVolumesCommand({ Filters: [{ Name: 'volume-id', Values: [v.VolumeId!] }] })))).toBe(
    'InvalidVolume.NotFound',
  );
  expect(h.ctx.faultCounts.consistency).toBe(2);
  const listed = await h.client.send(new DescribeVolumesCommand({}));
  expect(listed.Volumes!.map((x) => x.VolumeId)).not.toContain(v.VolumeId);
  const found = await pollUntil(async () => {
    try {
      return await volume(v.VolumeId!);
    } catch {
      return undefined;
    }
  }, 'volume visible');
  expect(found.VolumeId).toBe(v.VolumeId);
});
