/**
 * EC2 Query requests → the authorizations they need, per the Service Authorization Reference
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html): the action, each resource
 * ARN it authorizes on, and the condition keys of each (aws:RequestTag/aws:TagKeys on what it creates,
 * aws:ResourceTag and ec2:ResourceTag on what exists, ec2:LaunchTemplate on a launch from a template). Tags given at
 * creation also need ec2:CreateTags with ec2:CreateAction
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html), and launching with an
 * instance profile needs iam:PassRole on its role with iam:PassedToService
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2_instance-profiles.html).
 */
import { AwsError } from '../service';
import { planLaunch } from '../ec2/launch-plan';
import { Query, readTagSpecs, readTags, type Tag } from '../ec2/query';
import type { World } from '../ec2/world';
import type { AuthzCheck, ContextValues } from './evaluate';
import type { IamRegistry } from './registry';
import { NETWORK_KIND_OF_PREFIX, networkChecks, networkTables } from './ec2-network-authz';

const KIND_OF_PREFIX: Record<string, string> = {
  i: 'instance',
  vol: 'volume',
  snap: 'snapshot',
  sg: 'security-group',
  subnet: 'subnet',
  ami: 'image',
  lt: 'launch-template',
  eni: 'network-interface',
  vpc: 'vpc',
};

export function requestTagContext(tags: readonly Tag[]): ContextValues {
  const out: ContextValues = {};
  for (const t of tags) out[`aws:RequestTag/${t.Key}`] = t.Value;
  if (tags.length) out['aws:TagKeys'] = [...new Set(tags.map((t) => t.Key))];
  return out;
}

export function resourceTagContext(tags: readonly Tag[] | undefined): ContextValues {
  const out: ContextValues = {};
  for (const t of tags ?? []) {
    out[`aws:ResourceTag/${t.Key}`] = t.Value;
    out[`ec2:ResourceTag/${t.Key}`] = t.Value;
  }
  return out;
}

export function ec2Checks(q: Query, w: World, region: string, iam: IamRegistry): AuthzCheck[] {
  const account = w.ctx.accountId;
  const action = q.str('Action') ?? '';
  const m = w.model;
  // Snapshots and images carry no account in their ARNs.
  const arn = (kind: string, id: string) => `arn:aws:ec2:${region}:${kind === 'snapshot' || kind === 'image' ? '' : account}:${kind}/${id}`;
  const tagsOf = (kind: string, id: string): Tag[] | undefined => {
    const table: Record<string, Record<string, { tags: Tag[] }>> = {
      instance: m.instances,
      volume: m.volumes,
      snapshot: m.snapshots,
      'security-group': m.securityGroups,
      subnet: m.subnets,
      image: m.images,
      'launch-template': m.launchTemplates,
      'network-interface': m.networkInterfaces,
      vpc: m.vpcs,
      ...networkTables(m),
    };
    return table[kind]?.[id]?.tags;
  };
  const existing = (kind: string, id: string, extra: ContextValues = {}): AuthzCheck => ({
    action: `ec2:${action}`,
    resource: arn(kind, id),
    context: { ...resourceTagContext(tagsOf(kind, id)), ...extra },
  });
  const created = (kind: string, tags: readonly Tag[], extra: ContextValues = {}): AuthzCheck => ({
    action: `ec2:${action}`,
    resource: arn(kind, '*'),
    context: { ...requestTagContext(tags), ...extra },
  });
  const tagOnCreate = (kinds: Array<[string, readonly Tag[]]>): AuthzCheck[] =>
    kinds
      .filter(([, tags]) => tags.length > 0)
      .map(([kind, tags]) => ({
        action: 'ec2:CreateTags',
        resource: arn(kind, '*'),
        context: { ...requestTagContext(tags), 'ec2:CreateAction': action },
      }));
  const specTags = (type: string) =>
    readTagSpecs(q)
      .filter((s) => s.resourceType === type)
      .flatMap((s) => s.tags);
  const kindOf = (id: string) => KIND_OF_PREFIX[id.split('-')[0]] ?? NETWORK_KIND_OF_PREFIX[id.split('-')[0]] ?? 'instance';
  const network = networkChecks(action, q, m, {
    existing: (kind, id) => existing(kind, id),
    created: (kind, tags) => created(kind, tags),
    tagOnCreate,
    specTags,
  });
  if (network) return network;

  switch (action) {
    case 'RunInstances':
      return runInstancesChecks(q, w, arn, existing, created, tagOnCreate, iam, action);
    case 'CreateVolume': {
      const tags = specTags('volume');
      const snapshotId = q.str('SnapshotId');
      return [created('volume', tags), ...(snapshotId ? [existing('snapshot', snapshotId)] : []), ...tagOnCreate([['volume', tags]])];
    }
    case 'CreateSnapshot': {
      const tags = specTags('snapshot');
      return [created('snapshot', tags), existing('volume', q.str('VolumeId') ?? ''), ...tagOnCreate([['snapshot', tags]])];
    }
    case 'CreateSnapshots': {
      const tags = specTags('snapshot');
      const instanceId = q.sub('InstanceSpecification').str('InstanceId') ?? '';
      const volumes = Object.values(m.volumes).filter((v) => v.attachment?.instanceId === instanceId);
      return [
        created('snapshot', tags),
        existing('instance', instanceId),
        ...volumes.map((v) => existing('volume', v.volumeId)),
        ...tagOnCreate([['snapshot', tags]]),
      ];
    }
    case 'AttachVolume':
    case 'DetachVolume': {
      const volumeId = q.str('VolumeId') ?? '';
      const instanceId = q.str('InstanceId') ?? m.volumes[volumeId]?.attachment?.instanceId;
      return [existing('volume', volumeId), ...(instanceId ? [existing('instance', instanceId)] : [])];
    }
    case 'DeleteVolume':
      return [existing('volume', q.str('VolumeId') ?? '')];
    case 'DeleteSnapshot':
      return [existing('snapshot', q.str('SnapshotId') ?? '')];
    case 'TerminateInstances':
    case 'StopInstances':
    case 'StartInstances':
      return q.list('InstanceId').map((id) => existing('instance', id));
    case 'CreateTags':
    case 'DeleteTags': {
      const tags = readTags(q);
      const context = action === 'CreateTags' ? requestTagContext(tags) : { 'aws:TagKeys': tags.map((t) => t.Key) };
      return q.list('ResourceId').map((id) => existing(kindOf(id), id, context));
    }
    case 'CreateLaunchTemplate':
      return [created('launch-template', specTags('launch-template')), ...tagOnCreate([['launch-template', specTags('launch-template')]])];
    case 'DeleteLaunchTemplate':
    case 'CreateLaunchTemplateVersion': {
      const id =
        q.str('LaunchTemplateId') ?? Object.values(m.launchTemplates).find((t) => t.launchTemplateName === q.str('LaunchTemplateName'))?.launchTemplateId ?? '';
      return [existing('launch-template', id)];
    }
    case 'CreateSecurityGroup': {
      const tags = specTags('security-group');
      const vpcId = q.str('VpcId') ?? Object.values(m.vpcs)[0]?.vpcId ?? '';
      return [created('security-group', tags), existing('vpc', vpcId), ...tagOnCreate([['security-group', tags]])];
    }
    case 'DeleteSecurityGroup':
      return [existing('security-group', q.str('GroupId') ?? '')];
    case 'RegisterImage': {
      // the image, and each snapshot its mappings name (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html)
      const tags = specTags('image');
      const snapshots = q
        .structs('BlockDeviceMapping')
        .map((b) => b.sub('Ebs').str('SnapshotId'))
        .filter((id): id is string => id !== undefined);
      return [created('image', tags), ...snapshots.map((id) => existing('snapshot', id)), ...tagOnCreate([['image', tags]])];
    }
    case 'DeregisterImage':
      return [existing('image', q.str('ImageId') ?? '')];
    default:
      // Describe* and anything else: no resource-level permissions in EC2, so '*'
      return [{ action: `ec2:${action}`, resource: '*', context: {} }];
  }
}

function runInstancesChecks(
  q: Query,
  w: World,
  arn: (kind: string, id: string) => string,
  existing: (kind: string, id: string, extra?: ContextValues) => AuthzCheck,
  created: (kind: string, tags: readonly Tag[], extra?: ContextValues) => AuthzCheck,
  tagOnCreate: (kinds: Array<[string, readonly Tag[]]>) => AuthzCheck[],
  iam: IamRegistry,
  action: string,
): AuthzCheck[] {
  let plan;
  try {
    plan = planLaunch(q, w);
  } catch {
    return []; // the request is invalid: EC2 itself answers with its validation error
  }
  const template: ContextValues = plan.template ? { 'ec2:LaunchTemplate': arn('launch-template', plan.template.id) } : {};
  const profile: ContextValues = plan.iamInstanceProfileArn ? { 'ec2:InstanceProfile': plan.iamInstanceProfileArn } : {};
  const checks: AuthzCheck[] = [
    created('instance', plan.instanceTags, { ...template, ...profile }),
    created('volume', plan.volumeTags, template),
    created('network-interface', plan.nicTags, template),
    existing('subnet', plan.subnet.subnetId, template),
    ...plan.groupIds.map((g) => existing('security-group', g, template)),
    existing('image', plan.imageId, template),
    ...(plan.template ? [existing('launch-template', plan.template.id, template)] : []),
    ...(q.str('KeyName') ? [{ action: `ec2:${action}`, resource: arn('key-pair', q.str('KeyName')!), context: template }] : []),
    ...plan.blockDevices.filter((d) => d.snapshotId).map((d) => existing('snapshot', d.snapshotId!, template)),
    ...tagOnCreate([
      ['instance', plan.instanceTags],
      ['volume', plan.volumeTags],
      ['network-interface', plan.nicTags],
    ]),
  ];
  if (plan.iamInstanceProfileArn) {
    const role = iam.roleOfInstanceProfile(plan.iamInstanceProfileArn);
    // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RunInstances.html: an unknown profile is invalid
    if (!role)
      throw new AwsError(
        'InvalidParameterValue',
        `Value (${plan.iamInstanceProfileArn}) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN`,
      );
    checks.push({ action: 'iam:PassRole', resource: role.arn, context: { 'iam:PassedToService': 'ec2.amazonaws.com' } });
  }
  return checks;
}
