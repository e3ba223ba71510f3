import {
  AttachVolumeCommand,
  CreateLaunchTemplateCommand,
  CreateSecurityGroupCommand,
  CreateVolumeCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  DescribeVolumesCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  paginateDescribeInstances,
  type Instance,
} from '@aws-sdk/client-ec2';
import { EC2_RATES } from '../src/aws-rates';
import { type Ec2Harness, errorName, pollUntil, startEc2 } from './helpers/ec2-harness';

let h: Ec2Harness;
beforeEach(async () => {
  // An account with a raised vCPU quota and RunInstances rate (both can be raised on request): these tests are
  // about launching and validation; test/ec2-quotas.test.ts holds the default figures.
  h = await startEc2({ limits: { vcpuQuota: 64, ec2Rates: { ...EC2_RATES, RunInstances: { burst: 100, perSecond: 2 } } } });
});
afterEach(() => h.close());

const tags = (t: Record<string, string>) => Object.entries(t).map(([Key, Value]) => ({ Key, Value }));

async function describeOne(id: string): Promise<Instance> {
  const out = await h.client.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  return out.Reservations![0].Instances![0];
}

const waitState = (id: string, state: string) => pollUntil(async () => ((await describeOne(id)).State?.Name === state ? true : undefined), `${id} ${state}`);

async function subnetIn(az: string): Promise<{ SubnetId: string; CidrBlock: string }> {
  const out = await h.client.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'availability-zone', Values: [az] }] }));
  return out.Subnets![0] as { SubnetId: string; CidrBlock: string };
}

async function template(name: string, extra: Record<string, unknown> = {}) {
  const out = await h.client.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: name,
      LaunchTemplateData: {
        ImageId: 'ami-0lifeboat0offline',
        InstanceType: 't3.small',
        MetadataOptions: { InstanceMetadataTags: 'enabled', HttpTokens: 'required' },
        TagSpecifications: [
          { ResourceType: 'instance', Tags: tags({ ZERTO_TAG: 'ZERTO_EC2_RESOURCE', Role: 'zsat' }) },
          { ResourceType: 'volume', Tags: tags({ ZERTO_TAG: 'ZERTO_EBS_RESOURCE' }) },
        ],
        ...extra,
      },
      TagSpecifications: [{ ResourceType: 'launch-template', Tags: tags({ Owner: 'site-1' }) }],
    }),
  );
  return out.LaunchTemplate!;
}

test('RunInstances from a launch template by name: merged tags, root volume, primary NIC, pending → running', async () => {
  await template('zsat');
  const subnet = await subnetIn('us-east-1b');
  const ip = subnet.CidrBlock.replace(/0\/20$/, '77');
  const out = await h.client.send(
    new RunInstancesCommand({
      MinCount: 1,
      MaxCount: 1,
      LaunchTemplate: { LaunchTemplateName: 'zsat', Version: '$Latest' },
      InstanceType: 't3.large',
      NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: subnet.SubnetId, PrivateIpAddress: ip }],
      TagSpecifications: [
        { ResourceType: 'instance', Tags: tags({ Owner: 'site-1', Role: 'override' }) },
        { ResourceType: 'volume', Tags: tags({ Owner: 'site-1' }) },
        { ResourceType: 'network-interface', Tags: tags({ Owner: 'site-1', ZERTO_TAG: 'ZERTO_EC2_RESOURCE' }) },
      ],
    }),
  );
  const inst = out.Instances![0];
  expect(out.ReservationId).toMatch(/^r-[0-9a-f]{17}$/);
  expect(inst.InstanceId).toMatch(/^i-[0-9a-f]{17}$/);
  expect(inst.State).toEqual({ Code: 0, Name: 'pending' });
  expect(inst.InstanceType).toBe('t3.large');
  expect(inst.ImageId).toBe('ami-0lifeboat0offline');
  expect(inst.Placement?.AvailabilityZone).toBe('us-east-1b');
  expect(inst.PrivateIpAddress).toBe(ip);
  expect(inst.MetadataOptions).toMatchObject({ InstanceMetadataTags: 'enabled', HttpTokens: 'required' });
  const instTags = Object.fromEntries(inst.Tags!.map((t) => [t.Key, t.Value]));
  expect(instTags).toMatchObject({ ZERTO_TAG: 'ZERTO_EC2_RESOURCE', Owner: 'site-1', Role: 'override', 'aws:ec2launchtemplate:version': '1' });
  expect(instTags['aws:ec2launchtemplate:id']).toMatch(/^lt-/);

  const root = inst.BlockDeviceMappings![0];
  expect(root.DeviceName).toBe('/dev/xvda');
  const vols = await h.client.send(new DescribeVolumesCommand({ VolumeIds: [root.Ebs!.VolumeId!] }));
  expect(vols.Volumes![0]).toMatchObject({ Size: 8, State: 'in-use', AvailabilityZone: 'us-east-1b' });
  expect(vols.Volumes![0].Attachments![0]).toMatchObject({ InstanceId: inst.InstanceId, DeleteOnTermination: true });
  expect(Object.fromEntries(vols.Volumes![0].Tags!.map((t) => [t.Key, t.Value]))).toEqual({ ZERTO_TAG: 'ZERTO_EBS_RESOURCE', Owner: 'site-1' });

  const nics = await h.client.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [inst.InstanceId!] }] }));
  expect(nics.NetworkInterfaces).toHaveLength(1);
  expect(nics.NetworkInterfaces![0]).toMatchObject({ PrivateIpAddress: ip, SubnetId: subnet.SubnetId, Status: 'in-use' });
  expect(nics.NetworkInterfaces![0].TagSet).toEqual(tags({ Owner: 'site-1', ZERTO_TAG: 'ZERTO_EC2_RESOURCE' }));

  await waitState(inst.InstanceId!, 'running');
  expect((await describeOne(inst.InstanceId!)).State).toEqual({ Code: 16, Name: 'running' });
});

test('ClientToken: RunInstances twice gives one reservation; other parameters are IdempotentParameterMismatch', async () => {
  const req = { ImageId: 'ami-0lifeboat0offline', MinCount: 1, MaxCount: 1, ClientToken: 'run-1' };
  const a = await h.client.send(new RunInstancesCommand(req));
  const b = await h.client.send(new RunInstancesCommand(req));
  expect(b.ReservationId).toBe(a.ReservationId);
  expect(b.Instances![0].InstanceId).toBe(a.Instances![0].InstanceId);
  const all = await h.client.send(new DescribeInstancesCommand({}));
  expect(all.Reservations!.flatMap((r) => r.Instances!)).toHaveLength(1);
  expect(await errorName(h.client.send(new RunInstancesCommand({ ...req, InstanceType: 'm5.large' })))).toBe('IdempotentParameterMismatch');
});

test('stop, start and terminate: state codes, DeleteOnTermination, terminated stays listed', async () => {
  const az = 'us-east-1a';
  const data = await h.client.send(new CreateVolumeCommand({ AvailabilityZone: az, Size: 1 }));
  await pollUntil(async () => {
    const v = await h.client.send(new DescribeVolumesCommand({ VolumeIds: [data.VolumeId!] }));
    return v.Volumes![0].State === 'available' ? true : undefined;
  }, 'data volume available');
  h.ctx.timings.instanceMs = 1000; // long enough to act on it while pending
  const out = await h.client.send(new RunInstancesCommand({ ImageId: 'ami-0lifeboat0offline', MinCount: 1, MaxCount: 1, Placement: { AvailabilityZone: az } }));
  const id = out.Instances![0].InstanceId!;
  const rootId = out.Instances![0].BlockDeviceMappings![0].Ebs!.VolumeId!;
  expect(await errorName(h.client.send(new StopInstancesCommand({ InstanceIds: [id] })))).toBe('IncorrectInstanceState');
  expect(await errorName(h.client.send(new AttachVolumeCommand({ VolumeId: data.VolumeId!, InstanceId: id, Device: '/dev/sdf' })))).toBe('IncorrectState');
  h.ctx.timings.instanceMs = 20;
  await waitState(id, 'running');
  await h.client.send(new AttachVolumeCommand({ VolumeId: data.VolumeId!, InstanceId: id, Device: '/dev/sdf' }));

  const stop = await h.client.send(new StopInstancesCommand({ InstanceIds: [id] }));
  expect(stop.StoppingInstances![0]).toMatchObject({ PreviousState: { Code: 16, Name: 'running' }, CurrentState: { Code: 64, Name: 'stopping' } });
  await waitState(id, 'stopped');
  expect((await describeOne(id)).State!.Code).toBe(80);
  const start = await h.client.send(new StartInstancesCommand({ InstanceIds: [id] }));
  expect(start.StartingInstances![0].CurrentState).toEqual({ Code: 0, Name: 'pending' });
  await waitState(id, 'running');

  const term = await h.client.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
  expect(term.TerminatingInstances![0].CurrentState).toEqual({ Code: 32, Name: 'shutting-down' });
  await waitState(id, 'terminated');
  expect((await describeOne(id)).State!.Code).toBe(48);
  const listed = await h.client.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['terminated'] }] }));
  expect(listed.Reservations!.flatMap((r) => r.Instances!).map((i) => i.InstanceId)).toEqual([id]);
  expect(await errorName(h.client.send(new DescribeVolumesCommand({ VolumeIds: [rootId] })))).toBe('InvalidVolume.NotFound');
  const kept = await h.client.send(new DescribeVolumesCommand({ VolumeIds: [data.VolumeId!] }));
  expect(kept.Volumes![0]).toMatchObject({ State: 'available', Attachments: [] });
  expect(await errorName(h.client.send(new StartInstancesCommand({ InstanceIds: [id] })))).toBe('IncorrectInstanceState');
  expect(await errorName(h.client.send(new StopInstancesCommand({ InstanceIds: [id] })))).toBe('IncorrectInstanceState');
});

test('RunInstances errors surface as typed exceptions', async () => {
  const base = { MinCount: 1, MaxCount: 1 };
  const run = (extra: Record<string, unknown>) => errorName(h.client.send(new RunInstancesCommand({ ...base, ...extra })));
  expect(await run({ ImageId: 'ami-0000000000000dead' })).toBe('InvalidAMIID.NotFound');
  expect(await run({ LaunchTemplate: { LaunchTemplateName: 'nope' } })).toBe('InvalidLaunchTemplateName.NotFoundException');
  expect(await run({ LaunchTemplate: { LaunchTemplateId: 'lt-0123456789abcdef0' } })).toBe('InvalidLaunchTemplateId.NotFound');
  expect(await run({ ImageId: 'ami-0lifeboat0offline', SubnetId: 'subnet-0123456789abcdef0' })).toBe('InvalidSubnetID.NotFound');
  expect(await run({ ImageId: 'ami-0lifeboat0offline', SecurityGroupIds: ['sg-0123456789abcdef0'] })).toBe('InvalidGroup.NotFound');
  const subnet = await subnetIn('us-east-1a');
  expect(await run({ ImageId: 'ami-0lifeboat0offline', SubnetId: subnet.SubnetId, NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: subnet.SubnetId }] })).toBe(
    'InvalidParameterCombination',
  );
  expect(await run({ ImageId: 'ami-0lifeboat0offline', TagSpecifications: [{ ResourceType: 'snapshot', Tags: tags({ a: 'b' }) }] })).toBe(
    'InvalidParameterValue',
  );
  expect(await errorName(h.client.send(new RunInstancesCommand({ ImageId: 'ami-0lifeboat0offline', MinCount: 2, MaxCount: 1 })))).toBe('InvalidParameterValue');
  await template('versions');
  expect(await run({ LaunchTemplate: { LaunchTemplateName: 'versions', Version: '7' } })).toBe('InvalidLaunchTemplateId.VersionNotFound');
  expect(await errorName(h.client.send(new DescribeInstancesCommand({ InstanceIds: ['i-nothex'] })))).toBe('InvalidInstanceID.Malformed');
  expect(await errorName(h.client.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })))).toBe('InvalidInstanceID.NotFound');
  expect(await errorName(h.client.send(new TerminateInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })))).toBe('InvalidInstanceID.NotFound');
  expect(await errorName(h.client.send(new TerminateInstancesCommand({ InstanceIds: ['bogus'] })))).toBe('InvalidInstanceID.Malformed');
});

test('launch template by id with $Default, security groups, MaxCount, filters and the paginator', async () => {
  const sg = await h.client.send(new CreateSecurityGroupCommand({ GroupName: 'zsat-sg', Description: 'zSAT' }));
  const lt = await template('by-id', { SecurityGroupIds: [sg.GroupId!] });
  const out = await h.client.send(
    new RunInstancesCommand({ MinCount: 6, MaxCount: 6, LaunchTemplate: { LaunchTemplateId: lt.LaunchTemplateId, Version: '$Default' } }),
  );
  expect(out.Instances).toHaveLength(6);
  expect(out.Instances!.map((i) => i.AmiLaunchIndex)).toEqual([0, 1, 2, 3, 4, 5]);
  expect(out.Instances![0].SecurityGroups).toEqual([{ GroupId: sg.GroupId, GroupName: 'zsat-sg' }]);
  expect(new Set(out.Instances!.map((i) => i.PrivateIpAddress)).size).toBe(6);
  await h.client.send(new RunInstancesCommand({ ImageId: 'ami-0lifeboat0offline', MinCount: 1, MaxCount: 1 }));

  const ids = async (Filters: Array<{ Name: string; Values: string[] }>) =>
    (await h.client.send(new DescribeInstancesCommand({ Filters }))).Reservations!.flatMap((r) => r.Instances!).length;
  expect(await ids([{ Name: 'tag:Role', Values: ['zsat'] }])).toBe(6);
  expect(await ids([{ Name: 'tag:aws:ec2launchtemplate:id', Values: [lt.LaunchTemplateId!] }])).toBe(6);
  expect(await ids([{ Name: 'instance-state-name', Values: ['pending', 'running'] }])).toBe(7);
  expect(await ids([{ Name: 'instance-id', Values: [out.Instances![2].InstanceId!] }])).toBe(1);

  const pages: number[] = [];
  for await (const page of paginateDescribeInstances({ client: h.client, pageSize: 5 }, {})) {
    pages.push(page.Reservations!.flatMap((r) => r.Instances!).length);
  }
  expect(pages).toEqual([5, 2]);
});
