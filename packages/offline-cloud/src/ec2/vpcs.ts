/**
 * VPCs and subnets: CreateVpc/DescribeVpcs/DeleteVpc, CreateSubnet/DescribeSubnets/DeleteSubnet,
 * ModifySubnetAttribute (MapPublicIpOnLaunch), and the default VPC a new account has.
 * Default VPC: https://docs.aws.amazon.com/vpc/latest/userguide/default-vpc.html
 * Errors: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
 */
import { AwsError } from '../service';
import { contains, overlaps, parseCidr } from './cidr';
import { describe, notFoundError } from './describe';
import type { FieldMap } from './filters';
import { newId } from './ids';
import { type SubnetRecord, type VpcRecord, mergeTags } from './model';
import { type Query, readTagSpecs } from './query';
import { type ActionHandler, type World, availabilityZones, tagsFromSpecs, zoneIdOf } from './world';
import { renderTags } from './xml';

const DEFAULT_VPC_CIDR = '172.31.0.0/16';

/** A VPC with its main route table (local route) and its 'default' security group, as CreateVpc makes it. */
export function createVpcRecord(w: World, cidrBlock: string, isDefault: boolean, tags: VpcRecord['tags'] = []): VpcRecord {
  const vpc: VpcRecord = { vpcId: newId('vpc'), cidrBlock, isDefault, tags };
  w.model.vpcs[vpc.vpcId] = vpc;
  const rtb = newId('rtb');
  w.model.routeTables[rtb] = {
    routeTableId: rtb,
    vpcId: vpc.vpcId,
    main: true,
    routes: [{ destinationCidrBlock: cidrBlock, gatewayId: 'local', origin: 'CreateRouteTable' }],
    associations: {},
    mainAssociationId: newId('rtbassoc'),
    tags: [],
    createdAt: w.ctx.clock.now(),
  };
  const groupId = newId('sg');
  w.model.securityGroups[groupId] = { groupId, groupName: 'default', description: 'default VPC security group', vpcId: vpc.vpcId, tags: [] };
  return vpc;
}

/**
 * The default VPC: 172.31.0.0/16, one /20 default subnet per AZ that maps public IPs, an attached
 * internet gateway with a 0.0.0.0/0 route in the main route table, no NAT, no endpoints.
 */
export function seedNetwork(w: World): void {
  if (w.ctx.noDefaultVpc) return;
  const vpc = createVpcRecord(w, DEFAULT_VPC_CIDR, true);
  availabilityZones(w).forEach((az, i) => {
    const subnetId = newId('subnet');
    w.model.subnets[subnetId] = {
      subnetId,
      vpcId: vpc.vpcId,
      availabilityZone: az,
      cidrBlock: `172.31.${i * 16}.0/20`,
      defaultForAz: true,
      mapPublicIpOnLaunch: true,
      tags: [],
    };
  });
  const igw = newId('igw');
  w.model.internetGateways[igw] = { internetGatewayId: igw, attachedVpcId: vpc.vpcId, tags: [], createdAt: w.ctx.clock.now() };
  const main = Object.values(w.model.routeTables).find((t) => t.vpcId === vpc.vpcId && t.main)!;
  main.routes.push({ destinationCidrBlock: '0.0.0.0/0', gatewayId: igw, origin: 'CreateRoute' });
}

const NO_DEFAULT_VPC = 'No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC.';

export function defaultVpcId(w: World): string {
  const vpc = Object.values(w.model.vpcs).find((v) => v.isDefault);
  if (!vpc) throw new AwsError('VPCIdNotSpecified', NO_DEFAULT_VPC);
  return vpc.vpcId;
}

export function defaultSubnet(w: World, az?: string): SubnetRecord {
  const subnets = Object.values(w.model.subnets).filter((s) => s.defaultForAz);
  if (subnets.length === 0) throw new AwsError('VPCIdNotSpecified', 'No default VPC for this user');
  const found = az ? subnets.find((s) => s.availabilityZone === az) : subnets[0];
  if (!found) throw new AwsError('InvalidParameterValue', `Invalid availability zone: [${az}]`);
  return found;
}

export function requireVpc(w: World, vpcId: string): VpcRecord {
  const v = w.model.vpcs[vpcId];
  if (!v) throw new AwsError('InvalidVpcID.NotFound', `The vpc ID '${vpcId}' does not exist`);
  return v;
}

export const mapsPublicIp = (s: SubnetRecord) => s.mapPublicIpOnLaunch ?? s.defaultForAz;

function renderVpc(w: World, v: VpcRecord) {
  return {
    vpcId: v.vpcId,
    ownerId: w.ctx.accountId,
    state: 'available',
    cidrBlock: v.cidrBlock,
    cidrBlockAssociationSet: [
      { associationId: `${v.vpcId.replace('vpc', 'vpc-cidr-assoc')}`, cidrBlock: v.cidrBlock, cidrBlockState: { state: 'associated' } },
    ],
    dhcpOptionsId: 'default',
    instanceTenancy: 'default',
    isDefault: v.isDefault,
    tagSet: renderTags(v.tags),
  };
}

const VPC_FIELDS: FieldMap<VpcRecord> = {
  'vpc-id': (v) => v.vpcId,
  'cidr-block': (v) => v.cidrBlock,
  cidr: (v) => v.cidrBlock,
  'is-default': (v) => v.isDefault,
  state: () => 'available',
  'owner-id': () => '000000000000',
};

export const createVpc: ActionHandler = (q, w) => {
  const cidrBlock = q.required('CidrBlock');
  const c = parseCidr(cidrBlock);
  // https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html: /16 to /28.
  if (c.bits < 16 || c.bits > 28) throw new AwsError('InvalidVpc.Range', `The CIDR '${cidrBlock}' is invalid.`);
  const tags = tagsFromSpecs(readTagSpecs(q), 'vpc', ['vpc']);
  const vpc = createVpcRecord(w, cidrBlock, false, mergeTags([], tags));
  w.ctx.markDirty();
  return { vpc: { ...renderVpc(w, vpc), state: 'pending' } };
};

export const describeVpcs: ActionHandler = (q, w) => {
  const page = describe(q, w, {
    all: Object.values(w.model.vpcs),
    idOf: (v) => v.vpcId,
    tagsOf: (v) => v.tags,
    fields: VPC_FIELDS,
    limits: { min: 5, max: 1000 },
    idParam: 'VpcId',
    notFound: notFoundError('InvalidVpcID.NotFound', (ids) => `The vpc ID '${ids}' does not exist`),
  });
  return { vpcSet: page.items.map((v) => renderVpc(w, v)), nextToken: page.nextToken };
};

/** AWS refuses while subnets, an attached gateway, custom route tables, groups or endpoints remain. */
export const deleteVpc: ActionHandler = (q, w) => {
  const vpc = requireVpc(w, q.required('VpcId'));
  const m = w.model;
  const inVpc = <T extends { vpcId?: string }>(xs: Record<string, T>) => Object.values(xs).some((x) => x.vpcId === vpc.vpcId);
  const busy =
    inVpc(m.subnets) ||
    Object.values(m.internetGateways).some((g) => g.attachedVpcId === vpc.vpcId) ||
    Object.values(m.routeTables).some((t) => t.vpcId === vpc.vpcId && !t.main) ||
    Object.values(m.securityGroups).some((g) => g.vpcId === vpc.vpcId && g.groupName !== 'default') ||
    Object.values(m.vpcEndpoints).some((e) => e.vpcId === vpc.vpcId && e.state !== 'deleted');
  if (busy) throw new AwsError('DependencyViolation', `The vpc '${vpc.vpcId}' has dependencies and cannot be deleted.`);
  for (const t of Object.values(m.routeTables)) if (t.vpcId === vpc.vpcId) delete m.routeTables[t.routeTableId];
  for (const g of Object.values(m.securityGroups)) if (g.vpcId === vpc.vpcId) delete m.securityGroups[g.groupId];
  delete m.vpcs[vpc.vpcId];
  w.ctx.markDirty();
  return { return: true };
};

export const createSubnet: ActionHandler = (q, w) => {
  const vpc = requireVpc(w, q.required('VpcId'));
  const cidrBlock = q.required('CidrBlock');
  const c = parseCidr(cidrBlock);
  if (!contains(parseCidr(vpc.cidrBlock), c) || c.bits > 28) {
    throw new AwsError('InvalidSubnet.Range', `The CIDR '${cidrBlock}' is invalid.`);
  }
  if (Object.values(w.model.subnets).some((s) => s.vpcId === vpc.vpcId && overlaps(parseCidr(s.cidrBlock), c))) {
    throw new AwsError('InvalidSubnet.Conflict', `The CIDR '${cidrBlock}' conflicts with another subnet`);
  }
  const zones = availabilityZones(w);
  const az = q.str('AvailabilityZone') ?? zones[0];
  if (!zones.includes(az)) {
    throw new AwsError(
      'InvalidParameterValue',
      `Value (${az}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: ${zones.join(', ')}.`,
    );
  }
  const tags = tagsFromSpecs(readTagSpecs(q), 'subnet', ['subnet']);
  const s: SubnetRecord = {
    subnetId: newId('subnet'),
    vpcId: vpc.vpcId,
    availabilityZone: az,
    cidrBlock,
    defaultForAz: false,
    mapPublicIpOnLaunch: false,
    tags: mergeTags([], tags),
  };
  w.model.subnets[s.subnetId] = s;
  w.ctx.markDirty();
  return { subnet: { ...renderSubnet(w, s), state: 'pending' } };
};

export function requireSubnet(w: World, subnetId: string): SubnetRecord {
  const s = w.model.subnets[subnetId];
  if (!s) throw new AwsError('InvalidSubnetID.NotFound', `The subnet ID '${subnetId}' does not exist`);
  return s;
}

export const deleteSubnet: ActionHandler = (q, w) => {
  const s = requireSubnet(w, q.required('SubnetId'));
  const m = w.model;
  const busy =
    Object.values(m.networkInterfaces).some((n) => n.subnetId === s.subnetId) ||
    Object.values(m.natGateways).some((n) => n.subnetId === s.subnetId && n.state !== 'deleted') ||
    Object.values(m.vpcEndpoints).some((e) => e.subnetIds.includes(s.subnetId) && e.state !== 'deleted');
  if (busy) throw new AwsError('DependencyViolation', `The subnet '${s.subnetId}' has dependencies and cannot be deleted.`);
  for (const t of Object.values(m.routeTables)) {
    for (const [assoc, subnet] of Object.entries(t.associations)) if (subnet === s.subnetId) delete t.associations[assoc];
  }
  delete m.subnets[s.subnetId];
  w.ctx.markDirty();
  return { return: true };
};

export const modifySubnetAttribute: ActionHandler = (q, w) => {
  const s = requireSubnet(w, q.required('SubnetId'));
  const v = q.str('MapPublicIpOnLaunch.Value');
  if (v === undefined) throw new AwsError('MissingParameter', 'The request must contain the parameter MapPublicIpOnLaunch');
  s.mapPublicIpOnLaunch = v === 'true';
  w.ctx.markDirty();
  return { return: true };
};

const SUBNET_FIELDS: FieldMap<SubnetRecord> = {
  'subnet-id': (s) => s.subnetId,
  'vpc-id': (s) => s.vpcId,
  'availability-zone': (s) => s.availabilityZone,
  'cidr-block': (s) => s.cidrBlock,
  'default-for-az': (s) => s.defaultForAz,
  'map-public-ip-on-launch': (s) => mapsPublicIp(s),
  state: () => 'available',
};

function renderSubnet(w: World, s: SubnetRecord) {
  const inUse = Object.values(w.model.networkInterfaces).filter((n) => n.subnetId === s.subnetId).length;
  return {
    subnetId: s.subnetId,
    subnetArn: `arn:aws:ec2:${w.ctx.region}:${w.ctx.accountId}:subnet/${s.subnetId}`,
    state: 'available',
    ownerId: w.ctx.accountId,
    vpcId: s.vpcId,
    cidrBlock: s.cidrBlock,
    availableIpAddressCount: 2 ** (32 - Number(s.cidrBlock.split('/')[1])) - 5 - inUse,
    availabilityZone: s.availabilityZone,
    availabilityZoneId: zoneIdOf(s.availabilityZone),
    defaultForAz: s.defaultForAz,
    mapPublicIpOnLaunch: mapsPublicIp(s),
    tagSet: renderTags(s.tags),
  };
}

export const describeSubnets: ActionHandler = (q: Query, w) => {
  const page = describe(q, w, {
    all: Object.values(w.model.subnets),
    idOf: (s) => s.subnetId,
    tagsOf: (s) => s.tags,
    fields: SUBNET_FIELDS,
    limits: { min: 5, max: 1000 },
    idParam: 'SubnetId',
    notFound: notFoundError('InvalidSubnetID.NotFound', (ids) => `The subnet ID '${ids}' does not exist`),
  });
  return { subnetSet: page.items.map((s) => renderSubnet(w, s)), nextToken: page.nextToken };
};
