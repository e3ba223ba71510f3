/**
 * EC2's network actions → the authorizations they need, per the Service Authorization Reference
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html#amazonec2-actions-as-permissions):
 * what a call creates is authorized on `KIND/*` with its request tags, what it names on that resource's ARN with its
 * tags. Calls this table does not name fall back to `*` (ec2-authz.ts).
 */
import type { Query, Tag } from '../ec2/query';
import type { Ec2Model } from '../ec2/model';
import type { AuthzCheck } from './evaluate';

export interface NetworkAuthzHelpers {
  existing(kind: string, id: string): AuthzCheck;
  created(kind: string, tags: readonly Tag[]): AuthzCheck;
  tagOnCreate(kinds: Array<[string, readonly Tag[]]>): AuthzCheck[];
  specTags(resourceType: string): Tag[];
}

/** ARN resource type → the model table holding resources of that kind (for their tags). */
export function networkTables(m: Ec2Model): Record<string, Record<string, { tags: Tag[] }>> {
  return {
    'route-table': m.routeTables,
    'internet-gateway': m.internetGateways,
    natgateway: m.natGateways,
    'elastic-ip': m.addresses,
    'vpc-endpoint': m.vpcEndpoints,
  };
}

/** Id prefix → ARN resource type, for CreateTags/DeleteTags on network resources. */
export const NETWORK_KIND_OF_PREFIX: Record<string, string> = {
  rtb: 'route-table',
  igw: 'internet-gateway',
  nat: 'natgateway',
  eipalloc: 'elastic-ip',
  vpce: 'vpc-endpoint',
};

export function networkChecks(action: string, q: Query, m: Ec2Model, h: NetworkAuthzHelpers): AuthzCheck[] | undefined {
  const create = (kind: string, specType: string, ...also: AuthzCheck[]) => {
    const tags = h.specTags(specType);
    return [h.created(kind, tags), ...also, ...h.tagOnCreate([[kind, tags]])];
  };
  const named = (kind: string, param: string) => h.existing(kind, q.str(param) ?? '');
  switch (action) {
    case 'CreateVpc':
      return create('vpc', 'vpc');
    case 'CreateSubnet':
      return create('subnet', 'subnet', named('vpc', 'VpcId'));
    case 'CreateRouteTable':
      return create('route-table', 'route-table', named('vpc', 'VpcId'));
    case 'CreateInternetGateway':
      return create('internet-gateway', 'internet-gateway');
    case 'AllocateAddress':
      return create('elastic-ip', 'elastic-ip');
    case 'CreateNatGateway': {
      const allocation = q.str('AllocationId');
      return create('natgateway', 'natgateway', named('subnet', 'SubnetId'), ...(allocation ? [h.existing('elastic-ip', allocation)] : []));
    }
    case 'CreateVpcEndpoint':
      return create(
        'vpc-endpoint',
        'vpc-endpoint',
        named('vpc', 'VpcId'),
        ...q.list('RouteTableId').map((id) => h.existing('route-table', id)),
        ...q.list('SubnetId').map((id) => h.existing('subnet', id)),
      );
    case 'AttachInternetGateway':
    case 'DetachInternetGateway':
      return [named('internet-gateway', 'InternetGatewayId'), named('vpc', 'VpcId')];
    case 'AssociateRouteTable':
      return [named('route-table', 'RouteTableId'), ...(q.str('SubnetId') ? [named('subnet', 'SubnetId')] : [])];
    case 'DisassociateRouteTable': {
      const association = q.str('AssociationId') ?? '';
      const table = Object.values(m.routeTables).find((t) => association in t.associations);
      return [h.existing('route-table', table?.routeTableId ?? '')];
    }
    case 'CreateRoute':
    case 'DeleteRoute':
      return [named('route-table', 'RouteTableId')];
    case 'AuthorizeSecurityGroupEgress':
    case 'RevokeSecurityGroupEgress':
      return [named('security-group', 'GroupId')];
    case 'ModifySubnetAttribute':
    case 'DeleteSubnet':
      return [named('subnet', 'SubnetId')];
    case 'DeleteVpc':
      return [named('vpc', 'VpcId')];
    case 'DeleteRouteTable':
      return [named('route-table', 'RouteTableId')];
    case 'DeleteInternetGateway':
      return [named('internet-gateway', 'InternetGatewayId')];
    case 'DeleteNatGateway':
      return [named('natgateway', 'NatGatewayId')];
    case 'ReleaseAddress':
      return [named('elastic-ip', 'AllocationId')];
    case 'DeleteVpcEndpoints':
      return q.list('VpcEndpointId').map((id) => h.existing('vpc-endpoint', id));
    default:
      return undefined;
  }
}
