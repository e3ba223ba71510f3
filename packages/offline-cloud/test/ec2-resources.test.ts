import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  DeleteTagsCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeLaunchTemplatesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeTagsCommand,
  DescribeVolumesCommand,
  RegisterImageCommand,
  RunInstancesCommand,
  paginateDescribeTags,
} from '@aws-sdk/client-ec2';
import { type Ec2Harness, errorName, pollUntil, startEc2 } from './helpers/ec2-harness';

let h: Ec2Harness;
beforeEach(async () => {
  h = await startEc2();
});
afterEach(() => h.close());

const tags = (t: Record<string, string>) => Object.entries(t).map(([Key, Value]) => ({ Key, Value }));
const asMap = (list: Array<{ Key?: string; Value?: string }> | undefined) => Object.fromEntries((list ?? []).map((t) => [t.Key, t.Value]));

test('launch templates: create with tags, describe by id/name/filter, versions, errors', async () => {
  const userData = Buffer.from('#!/bin/bash\necho hello\n').toString('base64');
  const lt = (
    await h.client.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'site-1-zsat',
        VersionDescription: 'first',
        LaunchTemplateData: {
          ImageId: 'ami-0lifeboat0offline',
          InstanceType: 't3.small',
          UserData: userData,
          MetadataOptions: { InstanceMetadataTags: 'enabled', HttpTokens: 'required', HttpPutResponseHopLimit: 2 },
          BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 20, VolumeType: 'gp3', DeleteOnTermination: true } }],
          NetworkInterfaces: [{ DeviceIndex: 0, AssociatePublicIpAddress: false }],
          TagSpecifications: [{ ResourceType: 'instance', Tags: tags({ ZERTO_TAG: 'ZERTO_EC2_RESOURCE' }) }],
        },
        TagSpecifications: [{ ResourceType: 'launch-template', Tags: tags({ Owner: 'site-1', ZERTO_TAG: 'ZERTO_EC2_RESOURCE' }) }],
      }),
    )
  ).LaunchTemplate!;
  expect(lt).toMatchObject({ LaunchTemplateName: 'site-1-zsat', DefaultVersionNumber: 1, LatestVersionNumber: 1 });
  expect(lt.LaunchTemplateId).toMatch(/^lt-[0-9a-f]{17}$/);
  expect(asMap(lt.Tags)).toEqual({ Owner: 'site-1', ZERTO_TAG: 'ZERTO_EC2_RESOURCE' });

  const byFilter = await h.client.send(new DescribeLaunchTemplatesCommand({ Filters: [{ Name: 'tag:Owner', Values: ['site-1'] }] }));
  expect(byFilter.LaunchTemplates!.map((t) => t.LaunchTemplateId)).toEqual([lt.LaunchTemplateId]);
  const byName = await h.client.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: ['site-1-zsat'] }));
  expect(byName.LaunchTemplates![0].LaunchTemplateId).toBe(lt.LaunchTemplateId);
  const byNameFilter = await h.client.send(new DescribeLaunchTemplatesCommand({ Filters: [{ Name: 'launch-template-name', Values: ['site-1-*'] }] }));
  expect(byNameFilter.LaunchTemplates).toHaveLength(1);

  const v2 = await h.client.send(
    new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: lt.LaunchTemplateId, SourceVersion: '1', LaunchTemplateData: { InstanceType: 't3.large' } }),
  );
  expect(v2.LaunchTemplateVersion!.VersionNumber).toBe(2);
  const versions = await h.client.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: 'site-1-zsat', Versions: ['$Latest', '$Default'] }));
  const [latest, def] = versions.LaunchTemplateVersions!;
  expect(latest.VersionNumber).toBe(2);
  expect(latest.LaunchTemplateData).toMatchObject({ InstanceType: 't3.large', ImageId: 'ami-0lifeboat0offline', UserData: userData });
  expect(def).toMatchObject({ VersionNumber: 1, DefaultVersion: true, VersionDescription: 'first' });
  expect(def.LaunchTemplateData!.MetadataOptions).toMatchObject({ InstanceMetadataTags: 'enabled', HttpTokens: 'required', HttpPutResponseHopLimit: 2 });
  expect(def.LaunchTemplateData!.BlockDeviceMappings![0]).toMatchObject({ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 20, VolumeType: 'gp3' } });
  expect(def.LaunchTemplateData!.TagSpecifications).toEqual([{ ResourceType: 'instance', Tags: tags({ ZERTO_TAG: 'ZERTO_EC2_RESOURCE' }) }]);
  expect(def.LaunchTemplateData!.NetworkInterfaces![0]).toMatchObject({ DeviceIndex: 0, AssociatePublicIpAddress: false });

  // the template's root mapping (20 GiB) overrides the image's 8 GiB
  const run = await h.client.send(new RunInstancesCommand({ MinCount: 1, MaxCount: 1, LaunchTemplate: { LaunchTemplateId: lt.LaunchTemplateId } }));
  const rootId = run.Instances![0].BlockDeviceMappings![0].Ebs!.VolumeId!;
  expect((await h.client.send(new DescribeVolumesCommand({ VolumeIds: [rootId] }))).Volumes![0].Size).toBe(20);

  expect(await errorName(h.client.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: ['nope'] })))).toBe(
    'InvalidLaunchTemplateName.NotFoundException',
  );
  expect(await errorName(h.client.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: ['lt-0123456789abcdef0'] })))).toBe(
    'InvalidLaunchTemplateId.NotFound',
  );
  expect(await errorName(h.client.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'site-1-zsat', LaunchTemplateData: { ImageId: 'ami-x' } })))).toBe(
    'InvalidLaunchTemplateName.AlreadyExistsException',
  );
  expect(await errorName(h.client.send(new DescribeLaunchTemplatesCommand({ MaxResults: 500 })))).toBe('InvalidParameterValue');
});

test('network: the default VPC has a subnet per AZ and a default group; groups and NICs describe and filter', async () => {
  const subnets = (await h.client.send(new DescribeSubnetsCommand({}))).Subnets!;
  expect(subnets.map((s) => s.AvailabilityZone).sort()).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c']);
  expect(new Set(subnets.map((s) => s.VpcId)).size).toBe(1);
  expect(subnets.every((s) => s.DefaultForAz && s.State === 'available' && /^subnet-[0-9a-f]{17}$/.test(s.SubnetId!))).toBe(true);
  const vpcId = subnets[0].VpcId!;
  const inB = await h.client.send(
    new DescribeSubnetsCommand({
      Filters: [
        { Name: 'availability-zone', Values: ['us-east-1b'] },
        { Name: 'vpc-id', Values: [vpcId] },
      ],
    }),
  );
  expect(inB.Subnets).toHaveLength(1);
  expect(await errorName(h.client.send(new DescribeSubnetsCommand({ SubnetIds: ['subnet-0123456789abcdef0'] })))).toBe('InvalidSubnetID.NotFound');

  const sg = await h.client.send(
    new CreateSecurityGroupCommand({
      GroupName: 'zimporter',
      Description: 'ZImporter',
      TagSpecifications: [{ ResourceType: 'security-group', Tags: tags({ Owner: 's1' }) }],
    }),
  );
  expect(sg.GroupId).toMatch(/^sg-[0-9a-f]{17}$/);
  expect(sg.Tags).toEqual(tags({ Owner: 's1' }));
  expect(await errorName(h.client.send(new CreateSecurityGroupCommand({ GroupName: 'zimporter', Description: 'again' })))).toBe('InvalidGroup.Duplicate');
  const groups = await h.client.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['zimporter', 'default'] }] }));
  expect(groups.SecurityGroups!.map((g) => g.GroupName).sort()).toEqual(['default', 'zimporter']);
  const byId = await h.client.send(new DescribeSecurityGroupsCommand({ GroupIds: [sg.GroupId!] }));
  expect(byId.SecurityGroups![0]).toMatchObject({ GroupName: 'zimporter', Description: 'ZImporter', VpcId: vpcId, Tags: tags({ Owner: 's1' }) });
  expect(await errorName(h.client.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-0123456789abcdef0'] })))).toBe('InvalidGroup.NotFound');
  expect(await errorName(h.client.send(new DescribeSecurityGroupsCommand({ GroupNames: ['nope'] })))).toBe('InvalidGroup.NotFound');

  const run = await h.client.send(
    new RunInstancesCommand({ ImageId: 'ami-0lifeboat0offline', MinCount: 1, MaxCount: 1, SubnetId: subnets[2].SubnetId, SecurityGroupIds: [sg.GroupId!] }),
  );
  const nicId = run.Instances![0].NetworkInterfaces![0].NetworkInterfaceId!;
  const nics = await h.client.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [nicId] }));
  expect(nics.NetworkInterfaces![0]).toMatchObject({
    SubnetId: subnets[2].SubnetId,
    VpcId: vpcId,
    Groups: [{ GroupId: sg.GroupId, GroupName: 'zimporter' }],
    Attachment: expect.objectContaining({ InstanceId: run.Instances![0].InstanceId, DeviceIndex: 0, Status: 'attached' }),
  });
  const bySubnet = await h.client.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'subnet-id', Values: [subnets[2].SubnetId!] }] }));
  expect(bySubnet.NetworkInterfaces!.map((n) => n.NetworkInterfaceId)).toEqual([nicId]);
});

test('images: the offline AMI exists; register, describe by owner and filter, deregister', async () => {
  const stock = await h.client.send(new DescribeImagesCommand({ ImageIds: ['ami-0lifeboat0offline'] }));
  expect(stock.Images![0]).toMatchObject({ Name: 'al2023-ami-offline', Architecture: 'x86_64', RootDeviceName: '/dev/xvda', State: 'available' });
  expect(stock.Images![0].BlockDeviceMappings![0].Ebs!.VolumeSize).toBe(8);
  const byName = await h.client.send(new DescribeImagesCommand({ Owners: ['amazon'], Filters: [{ Name: 'name', Values: ['al2023-*'] }] }));
  expect(byName.Images).toHaveLength(1);

  const reg = await h.client.send(
    new RegisterImageCommand({
      Name: 'recovered-web',
      RootDeviceName: '/dev/xvda',
      BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 12 } }],
      TagSpecifications: [{ ResourceType: 'image', Tags: tags({ Owner: 's1' }) }],
    }),
  );
  const mine = await h.client.send(new DescribeImagesCommand({ Owners: ['self'] }));
  expect(mine.Images!.map((i) => i.ImageId)).toEqual([reg.ImageId]);
  expect(mine.Images![0].Tags).toEqual(tags({ Owner: 's1' }));
  const run = await h.client.send(new RunInstancesCommand({ ImageId: reg.ImageId, MinCount: 1, MaxCount: 1 }));
  const rootId = run.Instances![0].BlockDeviceMappings![0].Ebs!.VolumeId!;
  expect((await h.client.send(new DescribeVolumesCommand({ VolumeIds: [rootId] }))).Volumes![0].Size).toBe(12);
  await h.client.send(new DeregisterImageCommand({ ImageId: reg.ImageId }));
  expect(await errorName(h.client.send(new DescribeImagesCommand({ ImageIds: [reg.ImageId!] })))).toBe('InvalidAMIID.NotFound');
  expect(await errorName(h.client.send(new DeregisterImageCommand({ ImageId: reg.ImageId })))).toBe('InvalidAMIID.NotFound');
});

test('tags: CreateTags, DeleteTags (by key, by key and value), DescribeTags filters and paginator', async () => {
  const v = await h.client.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 1 }));
  const run = await h.client.send(new RunInstancesCommand({ ImageId: 'ami-0lifeboat0offline', MinCount: 1, MaxCount: 1 }));
  const instanceId = run.Instances![0].InstanceId!;
  await h.client.send(new CreateTagsCommand({ Resources: [v.VolumeId!, instanceId], Tags: tags({ Owner: 's1', Vpg: 'web', Gen: '1' }) }));
  const dt = async (Filters: Array<{ Name: string; Values: string[] }>) => (await h.client.send(new DescribeTagsCommand({ Filters }))).Tags ?? [];
  expect(await dt([{ Name: 'resource-id', Values: [v.VolumeId!] }])).toEqual(
    ['Owner', 'Vpg', 'Gen'].map((Key) => expect.objectContaining({ ResourceId: v.VolumeId, ResourceType: 'volume', Key })),
  );
  expect(
    await dt([
      { Name: 'resource-type', Values: ['instance'] },
      { Name: 'key', Values: ['Vpg'] },
    ]),
  ).toEqual([{ ResourceId: instanceId, ResourceType: 'instance', Key: 'Vpg', Value: 'web' }]);
  expect(await dt([{ Name: 'value', Values: ['we*'] }])).toHaveLength(2);

  await h.client.send(new DeleteTagsCommand({ Resources: [v.VolumeId!], Tags: [{ Key: 'Gen' }, { Key: 'Vpg', Value: 'not-web' }] }));
  const vol = (await h.client.send(new DescribeVolumesCommand({ VolumeIds: [v.VolumeId!] }))).Volumes![0];
  expect(asMap(vol.Tags)).toEqual({ Owner: 's1', Vpg: 'web' });
  const inst = (await h.client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations![0].Instances![0];
  expect(asMap(inst.Tags)).toEqual({ Owner: 's1', Vpg: 'web', Gen: '1' });

  expect(await errorName(h.client.send(new CreateTagsCommand({ Resources: ['vol-0123456789abcdef0'], Tags: tags({ a: 'b' }) })))).toBe(
    'InvalidVolume.NotFound',
  );
  expect(await errorName(h.client.send(new CreateTagsCommand({ Resources: [v.VolumeId!], Tags: tags({ 'aws:x': 'b' }) })))).toBe('InvalidParameterValue');

  let count = 0;
  for await (const page of paginateDescribeTags({ client: h.client, pageSize: 5 }, {})) {
    expect(page.Tags!.length).toBeLessThanOrEqual(5);
    count += page.Tags!.length;
  }
  expect(count).toBe(5);
});

test('protocol: unknown action, DryRun, missing parameters, unsupported operations', async () => {
  // The edge routes by the credential scope only (signatures are not checked), so a hand-made header will do.
  const authorization = 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0';
  const body = 'Action=FlyToTheMoon&Version=2016-11-15';
  const res = await fetch(h.url, { method: 'POST', headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' }, body });
  expect(res.status).toBe(400);
  const xml = await res.text();
  expect(xml).toContain('<Code>InvalidAction</Code>');
  expect(xml).toMatch(/<RequestID>[0-9a-f-]{36}<\/RequestID>/);

  expect(await errorName(h.client.send(new DescribeVolumesCommand({ DryRun: true })))).toBe('DryRunOperation');
  expect(await errorName(h.client.send(new CreateSecurityGroupCommand({ GroupName: 'x' } as never)))).toBe('MissingParameter');
  expect(
    await errorName(
      h.client.send(new RunInstancesCommand({ ImageId: 'ami-0lifeboat0offline', MinCount: 1, MaxCount: 1, InstanceMarketOptions: { MarketType: 'spot' } })),
    ),
  ).toBe('UnsupportedOperation');
});

test('eventual consistency on instances: NotFound by id right after RunInstances, then found', async () => {
  h.ctx.faults.consistencyMs = 1000;
  const run = await h.client.send(new RunInstancesCommand({ ImageId: 'ami-0lifeboat0offline', MinCount: 1, MaxCount: 1 }));
  const id = run.Instances![0].InstanceId!;
  expect(await errorName(h.client.send(new DescribeInstancesCommand({ InstanceIds: [id] })))).toBe('InvalidInstanceID.NotFound');
  expect((await h.client.send(new DescribeInstancesCommand({}))).Reservations).toEqual([]);
  const out = await pollUntil(async () => {
    try {
      return await h.client.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    } catch {
      return undefined;
    }
  }, 'instance visible');
  expect(out.Reservations![0].Instances![0].InstanceId).toBe(id);
  expect(h.ctx.faultCounts.consistency).toBeGreaterThanOrEqual(1);
});
