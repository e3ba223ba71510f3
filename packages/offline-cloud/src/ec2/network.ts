/** Security groups and network interfaces (VPCs and subnets: vpcs.ts). */
import { renderEgress } from './sg-egress';
import { defaultVpcId } from './vpcs';
import { AwsError } from '../service';
import { intToIp, ipToInt } from './cidr';
import { describe, notFoundError } from './describe';
import type { FieldMap } from './filters';
import { newId, randomMac } from './ids';
import { type NetworkInterfaceRecord, type SecurityGroupRecord, type SubnetRecord, mergeTags } from './model';
import { type Query, readTagSpecs } from './query';
import { type ActionHandler, type World, tagsFromSpecs } from './world';
import { type XmlObject, XmlList, renderTags } from './xml';

export function defaultSecurityGroup(w: World, vpcId: string): SecurityGroupRecord {
  return Object.values(w.model.securityGroups).find((g) => g.vpcId === vpcId && g.groupName === 'default')!;
}

export function requireGroups(w: World, groupIds: readonly string[]): void {
  const missing = groupIds.filter((g) => !w.model.securityGroups[g]);
  if (missing.length > 0) throw new AwsError('InvalidGroup.NotFound', `The security group '${missing.join(', ')}' does not exist`);
}

/** A free private IP of the subnet (AWS reserves the first four and the last address), or the one asked for. */
function allocateIp(w: World, subnet: SubnetRecord, requested?: string): string {
  const [base, bits] = subnet.cidrBlock.split('/');
  const first = ipToInt(base);
  const size = 2 ** (32 - Number(bits));
  const used = new Set(
    Object.values(w.model.networkInterfaces)
      .filter((n) => n.subnetId === subnet.subnetId)
      .map((n) => n.privateIpAddress),
  );
  if (requested !== undefined) {
    const n = /^\d+\.\d+\.\d+\.\d+$/.test(requested) ? ipToInt(requested) : NaN;
    if (!(n >= first + 4 && n < first + size - 1)) {
      throw new AwsError('InvalidParameterValue', `Address ${requested} does not fall within the subnet's address range`);
    }
    if (used.has(requested)) throw new AwsError('InvalidIPAddress.InUse', `Address ${requested} is in use.`);
    return requested;
  }
  for (let n = first + 4; n < first + size - 1; n++) if (!used.has(intToIp(n))) return intToIp(n);
  throw new AwsError('InsufficientFreeAddressesInSubnet', `The subnet '${subnet.subnetId}' has no free addresses`);
}

export function createNetworkInterface(
  w: World,
  opts: { subnet: SubnetRecord; groupIds: string[]; privateIp?: string; description?: string; tags: NetworkInterfaceRecord['tags'] },
): NetworkInterfaceRecord {
  const nic: NetworkInterfaceRecord = {
    networkInterfaceId: newId('eni'),
    subnetId: opts.subnet.subnetId,
    vpcId: opts.subnet.vpcId,
    availabilityZone: opts.subnet.availabilityZone,
    privateIpAddress: allocateIp(w, opts.subnet, opts.privateIp),
    macAddress: randomMac(),
    groupIds: opts.groupIds,
    description: opts.description ?? '',
    tags: opts.tags,
    createdAt: w.ctx.clock.now(),
  };
  w.model.networkInterfaces[nic.networkInterfaceId] = nic;
  return nic;
}

export function groupRefs(w: World, groupIds: readonly string[]): XmlObject[] {
  return groupIds.map((id) => ({ groupId: id, groupName: w.model.securityGroups[id]?.groupName }));
}

function privateDnsName(ip: string, region: string): string {
  return `ip-${ip.replace(/\./g, '-')}.${region === 'us-east-1' ? 'ec2.internal' : `${region}.compute.internal`}`;
}

export function renderNetworkInterface(w: World, n: NetworkInterfaceRecord): XmlObject {
  const dns = privateDnsName(n.privateIpAddress, w.ctx.region);
  return {
    networkInterfaceId: n.networkInterfaceId,
    subnetId: n.subnetId,
    vpcId: n.vpcId,
    availabilityZone: n.availabilityZone,
    description: n.description,
    ownerId: w.ctx.accountId,
    requesterManaged: false,
    status: n.attachment ? 'in-use' : 'available',
    macAddress: n.macAddress,
    privateIpAddress: n.privateIpAddress,
    privateDnsName: dns,
    sourceDestCheck: true,
    groupSet: groupRefs(w, n.groupIds),
    attachment: n.attachment && {
      attachmentId: n.attachment.attachmentId,
      instanceId: n.attachment.instanceId,
      instanceOwnerId: w.ctx.accountId,
      deviceIndex: n.attachment.deviceIndex,
      status: 'attached',
      attachTime: n.attachment.attachTime,
      deleteOnTermination: n.attachment.deleteOnTermination,
    },
    tagSet: renderTags(n.tags),
    privateIpAddressesSet: [{ privateIpAddress: n.privateIpAddress, privateDnsName: dns, primary: true }],
    interfaceType: 'interface',
  };
}

export { privateDnsName };

const SG_FIELDS: FieldMap<SecurityGroupRecord> = {
  'group-id': (g) => g.groupId,
  'group-name': (g) => g.groupName,
  'vpc-id': (g) => g.vpcId,
  description: (g) => g.description,
};

const NIC_FIELDS: FieldMap<NetworkInterfaceRecord> = {
  'network-interface-id': (n) => n.networkInterfaceId,
  'subnet-id': (n) => n.subnetId,
  'vpc-id': (n) => n.vpcId,
  'availability-zone': (n) => n.availabilityZone,
  'private-ip-address': (n) => n.privateIpAddress,
  status: (n) => (n.attachment ? 'in-use' : 'available'),
  'attachment.instance-id': (n) => n.attachment?.instanceId,
  'attachment.status': (n) => (n.attachment ? 'attached' : undefined),
  'group-id': (n) => n.groupIds,
};

function renderSecurityGroup(w: World, g: SecurityGroupRecord): XmlObject {
  return {
    ownerId: w.ctx.accountId,
    groupId: g.groupId,
    groupName: g.groupName,
    groupDescription: g.description,
    vpcId: g.vpcId,
    securityGroupArn: `arn:aws:ec2:${w.ctx.region}:${w.ctx.accountId}:security-group/${g.groupId}`,
    ipPermissions: [],
    ipPermissionsEgress: renderEgress(g),
    tagSet: renderTags(g.tags),
  };
}

export const createSecurityGroup: ActionHandler = (q: Query, w: World) => {
  const groupName = q.required('GroupName');
  const description = q.required('GroupDescription');
  const vpcId = q.str('VpcId') ?? defaultVpcId(w);
  if (!w.model.vpcs[vpcId]) throw new AwsError('InvalidVpcID.NotFound', `The vpc ID '${vpcId}' does not exist`);
  if (Object.values(w.model.securityGroups).some((g) => g.vpcId === vpcId && g.groupName === groupName)) {
    throw new AwsError('InvalidGroup.Duplicate', `The security group '${groupName}' already exists for VPC '${vpcId}'`);
  }
  const tags = tagsFromSpecs(readTagSpecs(q), 'security-group', ['security-group']);
  const g: SecurityGroupRecord = { groupId: newId('sg'), groupName, description, vpcId, tags: mergeTags([], tags) };
  w.model.securityGroups[g.groupId] = g;
  w.ctx.markDirty();
  return { return: true, groupId: g.groupId, securityGroupArn: renderSecurityGroup(w, g).securityGroupArn, tagSet: renderTags(g.tags) };
};

export const deleteSecurityGroup: ActionHandler = (q, w) => {
  const groupId = q.required('GroupId');
  const g = w.model.securityGroups[groupId];
  if (!g) throw new AwsError('InvalidGroup.NotFound', `The security group '${groupId}' does not exist`);
  if (g.groupName === 'default') throw new AwsError('CannotDelete', 'the specified group: "default" name cannot be deleted');
  const users = Object.values(w.model.networkInterfaces).filter((n) => n.groupIds.includes(groupId));
  if (users.length > 0) throw new AwsError('DependencyViolation', `resource ${groupId} has a dependent object`);
  delete w.model.securityGroups[groupId];
  w.ctx.markDirty();
  return { return: true };
};

export const describeSecurityGroups: ActionHandler = (q, w) => {
  const names = q.list('GroupName');
  const all = Object.values(w.model.securityGroups);
  const missingName = names.find((n) => !all.some((g) => g.groupName === n));
  if (missingName) throw new AwsError('InvalidGroup.NotFound', `The security group '${missingName}' does not exist in default VPC`);
  const page = describe(q, w, {
    all: names.length ? all.filter((g) => names.includes(g.groupName)) : all,
    idOf: (g) => g.groupId,
    tagsOf: (g) => g.tags,
    fields: SG_FIELDS,
    limits: { min: 5, max: 1000 },
    idParam: 'GroupId',
    notFound: notFoundError('InvalidGroup.NotFound', (ids) => `The security group '${ids}' does not exist`),
  });
  return { securityGroupInfo: page.items.map((g) => renderSecurityGroup(w, g)), nextToken: page.nextToken };
};

export const describeNetworkInterfaces: ActionHandler = (q, w) => {
  const page = describe(q, w, {
    all: Object.values(w.model.networkInterfaces),
    idOf: (n) => n.networkInterfaceId,
    tagsOf: (n) => n.tags,
    fields: NIC_FIELDS,
    limits: { min: 5, max: 1000 },
    idParam: 'NetworkInterfaceId',
    notFound: notFoundError('InvalidNetworkInterfaceID.NotFound', (ids) => `The networkInterface ID '${ids}' does not exist`),
  });
  return { networkInterfaceSet: page.items.map((n) => renderNetworkInterface(w, n)), nextToken: page.nextToken };
};

/** A launch template NIC's groups are `<groupSet><groupId>..</groupId></groupSet>`, not items. */
export function groupIdList(ids: readonly string[]): XmlList {
  return new XmlList([...ids], 'groupId');
}
