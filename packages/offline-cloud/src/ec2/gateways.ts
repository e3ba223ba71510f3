/**
 * NAT gateways, Elastic IPs and VPC endpoints.
 * NAT: https://docs.aws.amazon.com/vpc/latest/userguide/vpc-nat-gateway.html (a public NAT gateway
 *   sits in a public subnet with an Elastic IP; it is 'pending' for a while, then 'available').
 * Endpoints: https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-s3.html (a gateway
 *   endpoint adds a route to the service's prefix list in each route table it names).
 */
import { createHash } from 'node:crypto';
import { AwsError } from '../service';
import { intToIp, ipToInt } from './cidr';
import { describe, notFoundError } from './describe';
import { newId } from './ids';
import { type AddressRecord, type NatGatewayRecord, type VpcEndpointRecord, mergeTags } from './model';
import { readTagSpecs } from './query';
import { requireRouteTable } from './route-tables';
import { requireSubnet, requireVpc } from './vpcs';
import { type ActionHandler, type World, tagsFromSpecs } from './world';
import { type XmlObject, renderTags } from './xml';

/** Public addresses come from TEST-NET-3 (RFC 5737): never routable, plainly fake. */
export function newPublicIp(w: World): string {
  const used = new Set([...Object.values(w.model.addresses).map((a) => a.publicIp), ...Object.values(w.model.instances).map((i) => i.publicIpAddress)]);
  for (let n = ipToInt('203.0.113.1'); n < ipToInt('203.0.113.255'); n++) if (!used.has(intToIp(n))) return intToIp(n);
  throw new AwsError('AddressLimitExceeded', 'The maximum number of addresses has been reached.');
}

/** 'pending' turns 'available' once the modelled creation time has passed (read lazily, survives restarts). */
export function natState(w: World, n: NatGatewayRecord): NatGatewayRecord['state'] {
  if (n.state === 'pending' && w.ctx.clock.now() - n.createdAt >= w.ctx.timings.instanceMs) n.state = 'available';
  return n.state;
}

const renderAddress = (a: AddressRecord): XmlObject => ({
  allocationId: a.allocationId,
  publicIp: a.publicIp,
  domain: 'vpc',
  associationId: a.associationId,
  tagSet: renderTags(a.tags),
});

export const allocateAddress: ActionHandler = (q, w) => {
  const tags = tagsFromSpecs(readTagSpecs(q), 'elastic-ip', ['elastic-ip']);
  const a: AddressRecord = { allocationId: newId('eipalloc'), publicIp: newPublicIp(w), tags: mergeTags([], tags) };
  w.model.addresses[a.allocationId] = a;
  w.ctx.markDirty();
  return { publicIp: a.publicIp, allocationId: a.allocationId, domain: 'vpc' };
};

function requireAddress(w: World, id: string): AddressRecord {
  const a = w.model.addresses[id];
  if (!a) throw new AwsError('InvalidAllocationID.NotFound', `The allocation ID '${id}' does not exist`);
  return a;
}

export const releaseAddress: ActionHandler = (q, w) => {
  const a = requireAddress(w, q.required('AllocationId'));
  if (a.associationId) throw new AwsError('InvalidIPAddress.InUse', `Address ${a.publicIp} is in use.`);
  delete w.model.addresses[a.allocationId];
  w.ctx.markDirty();
  return { return: true };
};

export const describeAddresses: ActionHandler = (q, w) => {
  const page = describe(q, w, {
    all: Object.values(w.model.addresses),
    idOf: (a) => a.allocationId,
    tagsOf: (a) => a.tags,
    fields: { 'allocation-id': (a) => a.allocationId, 'public-ip': (a) => a.publicIp, domain: () => 'vpc' },
    limits: { min: 5, max: 1000 },
    idParam: 'AllocationId',
    notFound: notFoundError('InvalidAllocationID.NotFound', (ids) => `The allocation ID '${ids}' does not exist`),
  });
  return { addressesSet: page.items.map(renderAddress) };
};

function renderNat(w: World, n: NatGatewayRecord): XmlObject {
  return {
    natGatewayId: n.natGatewayId,
    subnetId: n.subnetId,
    vpcId: n.vpcId,
    state: natState(w, n),
    connectivityType: n.connectivityType,
    createTime: n.createTime,
    natGatewayAddressSet: [{ allocationId: n.allocationId, publicIp: n.publicIp, privateIp: n.privateIp, isPrimary: true, status: 'succeeded' }],
    tagSet: renderTags(n.tags),
  };
}

export const createNatGateway: ActionHandler = (q, w) => {
  const subnet = requireSubnet(w, q.required('SubnetId'));
  const connectivityType = (q.str('ConnectivityType') ?? 'public') as NatGatewayRecord['connectivityType'];
  if (connectivityType !== 'public' && connectivityType !== 'private') {
    throw new AwsError('InvalidParameterValue', `Value (${String(connectivityType)}) for parameter connectivityType is invalid.`);
  }
  const allocationId = q.str('AllocationId');
  if (connectivityType === 'public' && !allocationId) throw new AwsError('MissingParameter', 'The request must contain the parameter AllocationId');
  if (connectivityType === 'private' && allocationId) {
    throw new AwsError('InvalidParameterCombination', 'AllocationId cannot be specified for a private NAT gateway');
  }
  const address = allocationId ? requireAddress(w, allocationId) : undefined;
  if (address?.associationId) throw new AwsError('InvalidIPAddress.InUse', `Address ${address.publicIp} is in use.`);
  const tags = tagsFromSpecs(readTagSpecs(q), 'natgateway', ['natgateway']);
  const now = w.ctx.clock.now();
  const n: NatGatewayRecord = {
    natGatewayId: newId('nat'),
    subnetId: subnet.subnetId,
    vpcId: subnet.vpcId,
    connectivityType,
    allocationId,
    publicIp: address?.publicIp,
    privateIp: intToIp(ipToInt(subnet.cidrBlock.split('/')[0]) + 4 + Object.keys(w.model.natGateways).length),
    state: 'pending',
    createTime: new Date(now).toISOString(),
    createdAt: now,
    tags: mergeTags([], tags),
  };
  if (address) address.associationId = n.natGatewayId.replace('nat-', 'eipassoc-');
  w.model.natGateways[n.natGatewayId] = n;
  w.ctx.markDirty();
  return { natGateway: renderNat(w, n), clientToken: q.str('ClientToken') };
};

export const describeNatGateways: ActionHandler = (q, w) => {
  const page = describe(q, w, {
    all: Object.values(w.model.natGateways),
    idOf: (n) => n.natGatewayId,
    tagsOf: (n) => n.tags,
    fields: { 'nat-gateway-id': (n) => n.natGatewayId, 'subnet-id': (n) => n.subnetId, 'vpc-id': (n) => n.vpcId, state: (n) => natState(w, n) },
    limits: { min: 5, max: 1000 },
    idParam: 'NatGatewayId',
    notFound: notFoundError('NatGatewayNotFound', (ids) => `NAT gateway ${ids} was not found`),
  });
  return { natGatewaySet: page.items.map((n) => renderNat(w, n)), nextToken: page.nextToken };
};

/** Deleting releases the Elastic IP's association; the record stays 'deleted' for a while, as in AWS. */
export const deleteNatGateway: ActionHandler = (q, w) => {
  const id = q.required('NatGatewayId');
  const n = w.model.natGateways[id];
  if (!n || n.state === 'deleted') throw new AwsError('NatGatewayNotFound', `NAT gateway ${id} was not found`);
  n.state = 'deleted';
  const a = n.allocationId ? w.model.addresses[n.allocationId] : undefined;
  if (a) a.associationId = undefined;
  w.ctx.markDirty();
  return { natGatewayId: id };
};

/** A stable made-up prefix list id per service (AWS's differ per region). */
export const prefixListId = (serviceName: string) => `pl-${createHash('sha256').update(serviceName).digest('hex').slice(0, 8)}`;

const GATEWAY_SERVICES = ['s3', 'dynamodb'];
const INTERFACE_SERVICES = ['s3', 'ec2', 'ebs', 'states', 'sts', 'logs', 'monitoring', 'ssm', 'kms', 'lambda', 'sns'];

function renderEndpoint(e: VpcEndpointRecord): XmlObject {
  return {
    vpcEndpointId: e.vpcEndpointId,
    vpcEndpointType: e.vpcEndpointType,
    vpcId: e.vpcId,
    serviceName: e.serviceName,
    state: e.state,
    routeTableIdSet: e.routeTableIds,
    subnetIdSet: e.subnetIds,
    groupSet: e.groupIds.map((g) => ({ groupId: g })),
    privateDnsEnabled: e.vpcEndpointType === 'Interface',
    creationTimestamp: e.creationTimestamp,
    tagSet: renderTags(e.tags),
  };
}

export const createVpcEndpoint: ActionHandler = (q, w) => {
  const vpc = requireVpc(w, q.required('VpcId'));
  const serviceName = q.required('ServiceName');
  const type = (q.str('VpcEndpointType') ?? 'Gateway') as VpcEndpointRecord['vpcEndpointType'];
  const short = serviceName.startsWith(`com.amazonaws.${w.ctx.region}.`) ? serviceName.slice(`com.amazonaws.${w.ctx.region}.`.length) : '';
  const offered = type === 'Gateway' ? GATEWAY_SERVICES : type === 'Interface' ? INTERFACE_SERVICES : [];
  if (!offered.includes(short)) throw new AwsError('InvalidServiceName', `The Vpc Endpoint Service '${serviceName}' does not exist`);
  const routeTableIds = q.list('RouteTableId');
  const subnetIds = q.list('SubnetId');
  if (type === 'Gateway' && subnetIds.length) throw new AwsError('InvalidParameter', 'Subnets are not supported for gateway endpoints');
  if (type === 'Interface' && routeTableIds.length) throw new AwsError('InvalidParameter', 'Route tables are not supported for interface endpoints');
  for (const id of routeTableIds) {
    if (requireRouteTable(w, id).vpcId !== vpc.vpcId)
      throw new AwsError('InvalidRouteTableId.NotFound', `The routeTable ID '${id}' does not exist in ${vpc.vpcId}`);
  }
  const zones = new Set<string>();
  for (const id of subnetIds) {
    const s = requireSubnet(w, id);
    if (s.vpcId !== vpc.vpcId) throw new AwsError('InvalidSubnet', `The subnet ID '${id}' is not in ${vpc.vpcId}`);
    if (zones.has(s.availabilityZone)) throw new AwsError('DuplicateSubnetsInSameZone', `Found another VPC endpoint subnet in the availability zone of ${id}`);
    zones.add(s.availabilityZone);
  }
  const groupIds = q.list('SecurityGroupId');
  const tags = tagsFromSpecs(readTagSpecs(q), 'vpc-endpoint', ['vpc-endpoint']);
  const now = w.ctx.clock.now();
  const e: VpcEndpointRecord = {
    vpcEndpointId: newId('vpce'),
    vpcId: vpc.vpcId,
    serviceName,
    vpcEndpointType: type,
    routeTableIds,
    subnetIds,
    groupIds:
      type === 'Interface' && groupIds.length === 0
        ? [Object.values(w.model.securityGroups).find((g) => g.vpcId === vpc.vpcId && g.groupName === 'default')!.groupId]
        : groupIds,
    state: 'available',
    creationTimestamp: new Date(now).toISOString(),
    createdAt: now,
    tags: mergeTags([], tags),
  };
  for (const id of routeTableIds) {
    w.model.routeTables[id].routes.push({ destinationPrefixListId: prefixListId(serviceName), gatewayId: e.vpcEndpointId, origin: 'CreateVpcEndpoint' });
  }
  w.model.vpcEndpoints[e.vpcEndpointId] = e;
  w.ctx.markDirty();
  return { vpcEndpoint: renderEndpoint(e), clientToken: q.str('ClientToken') };
};

export const describeVpcEndpoints: ActionHandler = (q, w) => {
  const page = describe(q, w, {
    all: Object.values(w.model.vpcEndpoints).filter((e) => e.state !== 'deleted'),
    idOf: (e) => e.vpcEndpointId,
    tagsOf: (e) => e.tags,
    fields: {
      'vpc-endpoint-id': (e) => e.vpcEndpointId,
      'vpc-id': (e) => e.vpcId,
      'service-name': (e) => e.serviceName,
      'vpc-endpoint-type': (e) => e.vpcEndpointType,
      'vpc-endpoint-state': (e) => e.state,
    },
    limits: { min: 5, max: 1000 },
    idParam: 'VpcEndpointId',
    notFound: notFoundError('InvalidVpcEndpointId.NotFound', (ids) => `The Vpc Endpoint Id '${ids}' does not exist`),
  });
  return { vpcEndpointSet: page.items.map(renderEndpoint), nextToken: page.nextToken };
};

/** Per id: deleted, or listed under `unsuccessful` with its error (the call itself succeeds). */
export const deleteVpcEndpoints: ActionHandler = (q, w) => {
  const unsuccessful: XmlObject[] = [];
  for (const id of q.list('VpcEndpointId')) {
    const e = w.model.vpcEndpoints[id];
    if (!e || e.state === 'deleted') {
      unsuccessful.push({ error: { code: 'InvalidVpcEndpoint.NotFound', message: `The VPC endpoint '${id}' does not exist` }, resourceId: id });
      continue;
    }
    for (const t of Object.values(w.model.routeTables)) t.routes = t.routes.filter((r) => r.gatewayId !== id);
    delete w.model.vpcEndpoints[id];
  }
  w.ctx.markDirty();
  return { unsuccessful };
};
