/**
 * RunInstances' merge of image, launch template version and request overrides into one plan,
 * with AWS's validation (unknown AMI / template / subnet / group, conflicting parameters).
 */
import { AwsError } from '../service';
import { readBlockDevices, requireImage } from './images';
import type { BlockDeviceSpec, LaunchTemplateData, MetadataOptions, NetworkInterfaceSpec, SubnetRecord } from './model';
import { defaultSecurityGroup, requireGroups } from './network';
import { defaultSubnet, mapsPublicIp, requireSubnet } from './vpcs';
import { type Query, type Tag, readTagSpecs } from './query';
import { findTemplate, findVersion, readNetworkInterfaces, shutdownBehavior } from './templates';
import { type World, tagsFromSpecs } from './world';

const RUN_TAGGABLE = ['instance', 'volume', 'network-interface', 'spot-instances-request', 'elastic-gpu'];
const DEFAULT_METADATA: MetadataOptions = {
  httpTokens: 'optional',
  httpEndpoint: 'enabled',
  httpPutResponseHopLimit: 1,
  instanceMetadataTags: 'disabled',
};

export interface LaunchPlan {
  count: number;
  minCount: number;
  imageId: string;
  instanceType: string;
  userData?: string;
  instanceInitiatedShutdownBehavior: 'stop' | 'terminate';
  subnet: SubnetRecord;
  groupIds: string[];
  privateIp?: string;
  /** The primary NIC's AssociatePublicIpAddress, else the subnet's MapPublicIpOnLaunch. */
  publicIp: boolean;
  rootDeviceName: string;
  blockDevices: BlockDeviceSpec[];
  instanceTags: Tag[];
  volumeTags: Tag[];
  nicTags: Tag[];
  metadataOptions: MetadataOptions;
  iamInstanceProfileArn?: string;
  template?: { id: string; version: number };
}

function tagsOf(specs: LaunchTemplateData['tagSpecifications'], type: string): Tag[] {
  return specs.filter((s) => s.resourceType === type).flatMap((s) => s.tags);
}

/** Later mappings replace earlier ones with the same device name. */
function mergeDevices(...lists: BlockDeviceSpec[][]): BlockDeviceSpec[] {
  const byName = new Map<string, BlockDeviceSpec>();
  for (const list of lists) {
    for (const d of list) {
      const prev = byName.get(d.deviceName);
      const merged = { ...prev } as BlockDeviceSpec;
      for (const [k, v] of Object.entries(d)) if (v !== undefined) (merged as unknown as Record<string, unknown>)[k] = v;
      byName.set(d.deviceName, merged);
    }
  }
  return [...byName.values()];
}

function readCounts(q: Query): [number, number] {
  const min = q.int('MinCount');
  const max = q.int('MaxCount');
  if (min === undefined) throw new AwsError('MissingParameter', 'The request must contain the parameter MinCount');
  if (max === undefined) throw new AwsError('MissingParameter', 'The request must contain the parameter MaxCount');
  if (min < 1 || max < min) throw new AwsError('InvalidParameterValue', `Invalid MinCount ${min} / MaxCount ${max}`);
  return [min, max];
}

export function planLaunch(q: Query, w: World): LaunchPlan {
  const [minCount, count] = readCounts(q);
  if (q.has('InstanceMarketOptions')) {
    throw new AwsError('UnsupportedOperation', 'The offline cloud does not emulate Spot instances (InstanceMarketOptions).');
  }
  let data: LaunchTemplateData | undefined;
  let template: LaunchPlan['template'];
  if (q.has('LaunchTemplate')) {
    const lt = q.sub('LaunchTemplate');
    const t = findTemplate(w, lt.str('LaunchTemplateId'), lt.str('LaunchTemplateName'));
    const v = findVersion(t, lt.str('Version'));
    data = v.data;
    template = { id: t.launchTemplateId, version: v.versionNumber };
  }
  const reqNics = readNetworkInterfaces(q, 'NetworkInterface');
  const reqSubnet = q.str('SubnetId');
  const reqGroups = q.list('SecurityGroupId');
  const nics: NetworkInterfaceSpec[] = reqNics.length ? reqNics : (data?.networkInterfaces ?? []);
  if (nics.length && reqSubnet !== undefined) {
    throw new AwsError('InvalidParameterCombination', 'Network interfaces and an instance-level subnet ID may not be specified on the same request');
  }
  if (nics.length && reqGroups.length) {
    throw new AwsError('InvalidParameterCombination', 'Network interfaces and an instance-level security groups may not be specified on the same request');
  }
  const primary = nics.find((n) => n.deviceIndex === 0) ?? nics[0];

  const imageId = q.str('ImageId') ?? data?.imageId;
  if (!imageId) throw new AwsError('MissingParameter', 'The request must contain the parameter ImageId');
  const image = requireImage(w, imageId);

  const az = q.str('Placement.AvailabilityZone') ?? data?.availabilityZone;
  const subnetId = primary?.subnetId ?? reqSubnet;
  const subnet = subnetId !== undefined ? requireSubnet(w, subnetId) : defaultSubnet(w, az);
  if (az !== undefined && subnet.availabilityZone !== az) {
    throw new AwsError('InvalidParameterValue', `Subnet ${subnet.subnetId} is not in availability zone ${az}`);
  }
  let groupIds = primary ? primary.groups : reqGroups.length ? reqGroups : (data?.securityGroupIds ?? []);
  if (groupIds.length === 0) groupIds = [defaultSecurityGroup(w, subnet.vpcId).groupId];
  requireGroups(w, groupIds);
  const foreign = groupIds.find((g) => w.model.securityGroups[g].vpcId !== subnet.vpcId);
  if (foreign) {
    throw new AwsError('InvalidParameter', `Security group ${foreign} and subnet ${subnet.subnetId} belong to different networks.`);
  }
  const privateIp = primary?.privateIpAddress ?? q.str('PrivateIpAddress');
  if (privateIp !== undefined && count > 1) {
    throw new AwsError('InvalidParameterCombination', 'Cannot specify a private IP address when launching more than one instance');
  }

  const blockDevices = mergeDevices(image.blockDeviceMappings, data?.blockDeviceMappings ?? [], readBlockDevices(q));
  for (const d of blockDevices) {
    if (d.snapshotId && !w.model.snapshots[d.snapshotId]) {
      throw new AwsError('InvalidSnapshot.NotFound', `The snapshot '${d.snapshotId}' does not exist.`);
    }
  }

  const reqSpecs = readTagSpecs(q);
  const templateSpecs = data?.tagSpecifications ?? [];
  const tagsFor = (type: string) => [...tagsOf(templateSpecs, type), ...tagsFromSpecs(reqSpecs, type, RUN_TAGGABLE)];
  const md = q.sub('MetadataOptions');
  const reqMetadata: Partial<MetadataOptions> = {
    httpTokens: md.str('HttpTokens'),
    httpEndpoint: md.str('HttpEndpoint'),
    httpPutResponseHopLimit: md.int('HttpPutResponseHopLimit'),
    instanceMetadataTags: md.str('InstanceMetadataTags'),
  };
  const metadataOptions = { ...DEFAULT_METADATA };
  for (const layer of [data?.metadataOptions ?? {}, reqMetadata]) {
    for (const [k, v] of Object.entries(layer)) if (v !== undefined) (metadataOptions as Record<string, unknown>)[k] = v;
  }
  const profileArn = q.str('IamInstanceProfile.Arn') ?? data?.iamInstanceProfile?.arn;
  const profileName = q.str('IamInstanceProfile.Name') ?? data?.iamInstanceProfile?.name;

  return {
    count,
    minCount,
    imageId,
    instanceType: q.str('InstanceType') ?? data?.instanceType ?? 'm1.small',
    userData: q.str('UserData') ?? data?.userData,
    instanceInitiatedShutdownBehavior: shutdownBehavior(q.str('InstanceInitiatedShutdownBehavior') ?? data?.instanceInitiatedShutdownBehavior) ?? 'stop',
    subnet,
    groupIds,
    privateIp,
    publicIp: primary?.associatePublicIpAddress ?? mapsPublicIp(subnet),
    rootDeviceName: image.rootDeviceName,
    blockDevices,
    instanceTags: tagsFor('instance'),
    volumeTags: tagsFor('volume'),
    nicTags: tagsFor('network-interface'),
    metadataOptions,
    iamInstanceProfileArn: profileArn ?? (profileName ? `arn:aws:iam::${w.ctx.accountId}:instance-profile/${profileName}` : undefined),
    template,
  };
}
