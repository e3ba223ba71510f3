/**
 * Whether a worker in a subnet reaches S3 (its store, and the Amazon Linux package repositories, which AL2023 serves
 * from S3 too: https://docs.aws.amazon.com/linux/al2023/ug/managing-repos-os-updates.html), judged as AWS routes:
 * - an S3 gateway endpoint on the subnet's route table (https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-s3.html),
 *   with egress to its prefix list or anywhere;
 * - a 0.0.0.0/0 route to an attached internet gateway, and a public IPv4 address on the worker
 *   (https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Internet_Gateway.html);
 * - a 0.0.0.0/0 route to an available public NAT gateway whose own subnet routes to an internet gateway
 *   (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-nat-gateway.html);
 * and only where the workers' security group lets TCP 443 out. A subnet without its own route table association
 * uses its VPC's main route table (https://docs.aws.amazon.com/vpc/latest/userguide/RouteTables.html). A store in
 * another region (a recovery site elsewhere) is not reached through an endpoint: a gateway endpoint "is available only
 * in the Region where you created it" (vpc-endpoints-s3.html, Considerations), an interface endpoint serves the one
 * region's service it names. Pure.
 */
export interface RouteFact {
  readonly destinationCidrBlock?: string;
  readonly destinationPrefixListId?: string;
  readonly gatewayId?: string;
  readonly natGatewayId?: string;
}

export interface EgressFact {
  /** '-1' for all protocols. */
  readonly ipProtocol: string;
  readonly fromPort?: number;
  readonly toPort?: number;
  readonly cidrIps: readonly string[];
  readonly prefixListIds: readonly string[];
}

export interface SubnetRouting {
  readonly subnetId: string;
  readonly routeTableId: string | null;
  readonly routes: readonly RouteFact[];
  /** The worker launched here gets a public IPv4 address (Lifeboat gives one only in a default subnet). */
  readonly publicIp: boolean;
  /** Internet gateways attached to the subnet's VPC. */
  readonly attachedInternetGateways: readonly string[];
  /** S3 gateway endpoints of the VPC that are available, with their route tables and prefix list. */
  readonly s3GatewayEndpoints: ReadonlyArray<{ readonly vpcEndpointId: string; readonly routeTableIds: readonly string[]; readonly prefixListId?: string }>;
  /** S3 interface endpoints of the VPC with private DNS (every subnet of the VPC reaches S3 through them). */
  readonly s3InterfaceEndpoints: readonly string[];
  /** NAT gateways the routes name: whether each is available, public, and its own subnet routes to an internet gateway. */
  readonly natGateways: ReadonlyArray<{ readonly natGatewayId: string; readonly usable: boolean; readonly why?: string }>;
}

export type S3Path = { readonly reachable: true; readonly via: string } | { readonly reachable: false; readonly why: string; readonly fix: string };

const opens443 = (r: EgressFact) => r.ipProtocol === '-1' || (r.ipProtocol === 'tcp' && (r.fromPort ?? 0) <= 443 && (r.toPort ?? 65535) >= 443);

/** Egress lets TCP 443 out to any address, or to this prefix list. */
export function egressAllows443(rules: readonly EgressFact[], prefixListId?: string): boolean {
  return rules.some((r) => opens443(r) && (r.cidrIps.includes('0.0.0.0/0') || (prefixListId !== undefined && r.prefixListIds.includes(prefixListId))));
}

const ADD_ENDPOINT = 'add an S3 gateway endpoint on its route table (config agent.s3GatewayEndpoint.routeTableIds creates one) or a route to a NAT gateway';

const NAT_FOR = (region: string) =>
  `route 0.0.0.0/0 to a NAT gateway: the replica bucket is in ${region}, and an S3 endpoint serves only buckets of its own region`;

/** `storeRegion`: the bucket's region when it is not the subnet's. */
export function s3PathOf(s: SubnetRouting, egress: readonly EgressFact[], securityGroup: string, storeRegion?: string): S3Path {
  const blocked = (via: string): S3Path => ({
    reachable: false,
    why: `its route to S3 (${via}) is there, but security group ${securityGroup} lets no TCP 443 out`,
    fix: `allow TCP 443 egress in ${securityGroup} (the site stack's rule: 0.0.0.0/0, or the S3 prefix list)`,
  });
  if (s.s3InterfaceEndpoints.length > 0 && !storeRegion)
    return egressAllows443(egress)
      ? { reachable: true, via: `S3 interface endpoint ${s.s3InterfaceEndpoints[0]}` }
      : blocked(`interface endpoint ${s.s3InterfaceEndpoints[0]}`);
  const gateway = s.routeTableId && !storeRegion ? s.s3GatewayEndpoints.find((e) => e.routeTableIds.includes(s.routeTableId!)) : undefined;
  const fix = storeRegion ? NAT_FOR(storeRegion) : ADD_ENDPOINT;
  if (gateway) {
    return egressAllows443(egress, gateway.prefixListId)
      ? { reachable: true, via: `S3 gateway endpoint ${gateway.vpcEndpointId} on ${s.routeTableId}` }
      : blocked(`gateway endpoint ${gateway.vpcEndpointId}`);
  }
  const table = s.routeTableId ?? 'no route table';
  const defaultRoute = s.routes.find((r) => r.destinationCidrBlock === '0.0.0.0/0');
  if (defaultRoute?.gatewayId?.startsWith('igw-') && s.attachedInternetGateways.includes(defaultRoute.gatewayId)) {
    if (!s.publicIp) {
      return {
        reachable: false,
        why: `${table} routes 0.0.0.0/0 to internet gateway ${defaultRoute.gatewayId}, but a worker in a configured subnet gets no public IPv4 address, so it cannot use it`,
        fix,
      };
    }
    return egressAllows443(egress)
      ? { reachable: true, via: `internet gateway ${defaultRoute.gatewayId} with a public IPv4 address` }
      : blocked(`internet gateway ${defaultRoute.gatewayId}`);
  }
  if (defaultRoute?.natGatewayId) {
    const nat = s.natGateways.find((n) => n.natGatewayId === defaultRoute.natGatewayId);
    if (nat?.usable) return egressAllows443(egress) ? { reachable: true, via: `NAT gateway ${nat.natGatewayId}` } : blocked(`NAT gateway ${nat.natGatewayId}`);
    return {
      reachable: false,
      why: `${table} routes 0.0.0.0/0 to NAT gateway ${defaultRoute.natGatewayId}, which ${nat?.why ?? 'does not exist'}`,
      fix,
    };
  }
  if (storeRegion) return { reachable: false, why: `${table} has no route to a NAT gateway and no internet gateway route toward S3 of ${storeRegion}`, fix };
  return { reachable: false, why: `${table} has no S3 gateway endpoint, no route to a NAT gateway and no internet gateway route`, fix };
}
