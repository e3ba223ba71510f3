/**
 * Route tables and internet gateways: CreateRouteTable/DescribeRouteTables/DeleteRouteTable,
 * AssociateRouteTable/DisassociateRouteTable, CreateRoute/DeleteRoute, and
 * Create/Attach/Detach/Describe/DeleteInternetGateway. A subnet with no explicit association uses its
 * VPC's main route table. https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Route_Tables.html
 * https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Internet_Gateway.html
 */
import { AwsError } from '../service';
import { parseCidr } from './cidr';
import { describe, notFoundError } from './describe';
import type { FieldMap } from './filters';
import { newId } from './ids';
import { type InternetGatewayRecord, type RouteRecord, type RouteTableRecord, mergeTags } from './model';
import { readTagSpecs } from './query';
import { requireSubnet, requireVpc } from './vpcs';
import { type ActionHandler, type World, tagsFromSpecs } from './world';
import { type XmlObject, renderTags } from './xml';

export function requireRouteTable(w: World, id: string): RouteTableRecord {
  const t = w.model.routeTables[id];
  if (!t) throw new AwsError('InvalidRouteTableID.NotFound', `The routeTable ID '${id}' does not exist`);
  return t;
}

/** The table a subnet's traffic follows: its explicit association, else its VPC's main table. */
export function routeTableOfSubnet(w: World, subnetId: string, vpcId: string): RouteTableRecord | undefined {
  const tables = Object.values(w.model.routeTables);
  return tables.find((t) => Object.values(t.associations).includes(subnetId)) ?? tables.find((t) => t.vpcId === vpcId && t.main);
}

function routeState(w: World, r: RouteRecord): string {
  if (r.gatewayId?.startsWith('igw-')) return w.model.internetGateways[r.gatewayId]?.attachedVpcId ? 'active' : 'blackhole';
  if (r.natGatewayId) return w.model.natGateways[r.natGatewayId]?.state === 'available' ? 'active' : 'blackhole';
  return 'active';
}

function renderRouteTable(w: World, t: RouteTableRecord): XmlObject {
  const associations: XmlObject[] = Object.entries(t.associations).map(([id, subnetId]) => ({
    routeTableAssociationId: id,
    routeTableId: t.routeTableId,
    subnetId,
    main: false,
    associationState: { state: 'associated' },
  }));
  if (t.main)
    associations.unshift({ routeTableAssociationId: t.mainAssociationId, routeTableId: t.routeTableId, main: true, associationState: { state: 'associated' } });
  return {
    routeTableId: t.routeTableId,
    vpcId: t.vpcId,
    ownerId: w.ctx.accountId,
    routeSet: t.routes.map((r) => ({ ...r, origin: r.origin, state: routeState(w, r) })),
    associationSet: associations,
    propagatingVgwSet: [],
    tagSet: renderTags(t.tags),
  };
}

const RTB_FIELDS: FieldMap<RouteTableRecord> = {
  'route-table-id': (t) => t.routeTableId,
  'vpc-id': (t) => t.vpcId,
  'association.main': (t) => (t.main ? true : Object.keys(t.associations).length ? false : undefined),
  'association.subnet-id': (t) => Object.values(t.associations),
  'association.route-table-association-id': (t) => [...Object.keys(t.associations), t.mainAssociationId],
  'route.gateway-id': (t) => t.routes.map((r) => r.gatewayId),
  'route.nat-gateway-id': (t) => t.routes.map((r) => r.natGatewayId),
  'route.destination-cidr-block': (t) => t.routes.map((r) => r.destinationCidrBlock),
};

export const createRouteTable: ActionHandler = (q, w) => {
  const vpc = requireVpc(w, q.required('VpcId'));
  const tags = tagsFromSpecs(readTagSpecs(q), 'route-table', ['route-table']);
  const t: RouteTableRecord = {
    routeTableId: newId('rtb'),
    vpcId: vpc.vpcId,
    main: false,
    routes: [{ destinationCidrBlock: vpc.cidrBlock, gatewayId: 'local', origin: 'CreateRouteTable' }],
    associations: {},
    tags: mergeTags([], tags),
    createdAt: w.ctx.clock.now(),
  };
  w.model.routeTables[t.routeTableId] = t;
  w.ctx.markDirty();
  return { routeTable: renderRouteTable(w, t) };
};

export const describeRouteTables: ActionHandler = (q, w) => {
  const page = describe(q, w, {
    all: Object.values(w.model.routeTables),
    idOf: (t) => t.routeTableId,
    tagsOf: (t) => t.tags,
    fields: RTB_FIELDS,
    limits: { min: 5, max: 100 },
    idParam: 'RouteTableId',
    notFound: notFoundError('InvalidRouteTableID.NotFound', (ids) => `The routeTable ID '${ids}' does not exist`),
  });
  return { routeTableSet: page.items.map((t) => renderRouteTable(w, t)), nextToken: page.nextToken };
};

export const deleteRouteTable: ActionHandler = (q, w) => {
  const t = requireRouteTable(w, q.required('RouteTableId'));
  if (t.main || Object.keys(t.associations).length > 0) {
    throw new AwsError('DependencyViolation', `The routeTable '${t.routeTableId}' has dependencies and cannot be deleted.`);
  }
  delete w.model.routeTables[t.routeTableId];
  w.ctx.markDirty();
  return { return: true };
};

export function associate(w: World, t: RouteTableRecord, subnetId: string): string {
  const s = requireSubnet(w, subnetId);
  if (s.vpcId !== t.vpcId) throw new AwsError('InvalidParameterValue', `Route table ${t.routeTableId} and subnet ${subnetId} belong to different networks`);
  if (Object.values(w.model.routeTables).some((o) => Object.values(o.associations).includes(subnetId))) {
    throw new AwsError('Resource.AlreadyAssociated', `the specified association for route table ${t.routeTableId} conflicts with an existing association`);
  }
  const id = newId('rtbassoc');
  t.associations[id] = subnetId;
  return id;
}

export const associateRouteTable: ActionHandler = (q, w) => {
  const id = associate(w, requireRouteTable(w, q.required('RouteTableId')), q.required('SubnetId'));
  w.ctx.markDirty();
  return { associationId: id, associationState: { state: 'associated' } };
};

export function disassociate(w: World, associationId: string): void {
  const t = Object.values(w.model.routeTables).find((x) => associationId in x.associations);
  if (!t) throw new AwsError('InvalidAssociationID.NotFound', `The association ID '${associationId}' does not exist`);
  delete t.associations[associationId];
}

export const disassociateRouteTable: ActionHandler = (q, w) => {
  disassociate(w, q.required('AssociationId'));
  w.ctx.markDirty();
  return { return: true };
};

/** Adds a route; the target must exist and (gateways) be attached to the table's VPC. */
export function addRoute(w: World, t: RouteTableRecord, r: Omit<RouteRecord, 'origin'>): void {
  if (!r.destinationCidrBlock) throw new AwsError('MissingParameter', 'The request must contain the parameter destinationCidrBlock');
  parseCidr(r.destinationCidrBlock, 'destinationCidrBlock');
  if (t.routes.some((x) => x.destinationCidrBlock === r.destinationCidrBlock)) {
    throw new AwsError('RouteAlreadyExists', `The route identified by ${r.destinationCidrBlock} already exists.`);
  }
  if (r.gatewayId?.startsWith('igw-')) {
    const g = requireInternetGateway(w, r.gatewayId);
    if (g.attachedVpcId !== t.vpcId) {
      throw new AwsError('InvalidParameterValue', `route table ${t.routeTableId} and network gateway ${g.internetGatewayId} belong to different networks`);
    }
  } else if (r.gatewayId) {
    throw new AwsError('InvalidGatewayID.NotFound', `The gateway ID '${r.gatewayId}' does not exist`);
  } else if (r.natGatewayId) {
    const n = w.model.natGateways[r.natGatewayId];
    if (!n || n.state === 'deleted') throw new AwsError('InvalidNatGatewayID.NotFound', `The natGateway ID '${r.natGatewayId}' does not exist`);
  } else {
    throw new AwsError('InvalidParameterCombination', 'No route target was specified (gatewayId or natGatewayId)');
  }
  t.routes.push({ ...r, origin: 'CreateRoute' });
}

export const createRoute: ActionHandler = (q, w) => {
  addRoute(w, requireRouteTable(w, q.required('RouteTableId')), {
    destinationCidrBlock: q.str('DestinationCidrBlock'),
    gatewayId: q.str('GatewayId'),
    natGatewayId: q.str('NatGatewayId'),
  });
  w.ctx.markDirty();
  return { return: true };
};

export const deleteRoute: ActionHandler = (q, w) => {
  const t = requireRouteTable(w, q.required('RouteTableId'));
  const dest = q.required('DestinationCidrBlock');
  const i = t.routes.findIndex((r) => r.destinationCidrBlock === dest && r.gatewayId !== 'local');
  if (i < 0) throw new AwsError('InvalidRoute.NotFound', `no route with destination-cidr-block ${dest} in route table ${t.routeTableId}`);
  t.routes.splice(i, 1);
  w.ctx.markDirty();
  return { return: true };
};

export function requireInternetGateway(w: World, id: string): InternetGatewayRecord {
  const g = w.model.internetGateways[id];
  if (!g) throw new AwsError('InvalidInternetGatewayID.NotFound', `The internetGateway ID '${id}' does not exist`);
  return g;
}

const renderIgw = (w: World, g: InternetGatewayRecord): XmlObject => ({
  internetGatewayId: g.internetGatewayId,
  ownerId: w.ctx.accountId,
  attachmentSet: g.attachedVpcId ? [{ vpcId: g.attachedVpcId, state: 'available' }] : [],
  tagSet: renderTags(g.tags),
});

export const createInternetGateway: ActionHandler = (q, w) => {
  const tags = tagsFromSpecs(readTagSpecs(q), 'internet-gateway', ['internet-gateway']);
  const g: InternetGatewayRecord = { internetGatewayId: newId('igw'), tags: mergeTags([], tags), createdAt: w.ctx.clock.now() };
  w.model.internetGateways[g.internetGatewayId] = g;
  w.ctx.markDirty();
  return { internetGateway: renderIgw(w, g) };
};

export const attachInternetGateway: ActionHandler = (q, w) => {
  const g = requireInternetGateway(w, q.required('InternetGatewayId'));
  const vpc = requireVpc(w, q.required('VpcId'));
  if (g.attachedVpcId) throw new AwsError('Resource.AlreadyAssociated', `resource ${g.internetGatewayId} is already attached to network ${g.attachedVpcId}`);
  if (Object.values(w.model.internetGateways).some((o) => o.attachedVpcId === vpc.vpcId)) {
    throw new AwsError('InvalidParameterValue', `Network ${vpc.vpcId} already has an internet gateway attached`);
  }
  g.attachedVpcId = vpc.vpcId;
  w.ctx.markDirty();
  return { return: true };
};

export const detachInternetGateway: ActionHandler = (q, w) => {
  const g = requireInternetGateway(w, q.required('InternetGatewayId'));
  const vpcId = q.required('VpcId');
  if (g.attachedVpcId !== vpcId) throw new AwsError('Gateway.NotAttached', `resource ${g.internetGatewayId} is not attached to network ${vpcId}`);
  // AWS refuses while the VPC has public addresses mapped (instances with public IPs, NAT gateways).
  const mapped =
    Object.values(w.model.instances).some((i) => i.vpcId === vpcId && i.publicIpAddress && i.state !== 'terminated') ||
    Object.values(w.model.natGateways).some((n) => n.vpcId === vpcId && n.connectivityType === 'public' && n.state !== 'deleted');
  if (mapped)
    throw new AwsError(
      'DependencyViolation',
      `Network ${vpcId} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.`,
    );
  g.attachedVpcId = undefined;
  w.ctx.markDirty();
  return { return: true };
};

export const describeInternetGateways: ActionHandler = (q, w) => {
  const page = describe(q, w, {
    all: Object.values(w.model.internetGateways),
    idOf: (g) => g.internetGatewayId,
    tagsOf: (g) => g.tags,
    fields: {
      'internet-gateway-id': (g) => g.internetGatewayId,
      'attachment.vpc-id': (g) => g.attachedVpcId,
      'attachment.state': (g) => (g.attachedVpcId ? 'available' : undefined),
    },
    limits: { min: 5, max: 1000 },
    idParam: 'InternetGatewayId',
    notFound: notFoundError('InvalidInternetGatewayID.NotFound', (ids) => `The internetGateway ID '${ids}' does not exist`),
  });
  return { internetGatewaySet: page.items.map((g) => renderIgw(w, g)), nextToken: page.nextToken };
};

export const deleteInternetGateway: ActionHandler = (q, w) => {
  const g = requireInternetGateway(w, q.required('InternetGatewayId'));
  if (g.attachedVpcId) throw new AwsError('DependencyViolation', `The internetGateway '${g.internetGatewayId}' has dependencies and cannot be deleted.`);
  delete w.model.internetGateways[g.internetGatewayId];
  w.ctx.markDirty();
  return { return: true };
};
