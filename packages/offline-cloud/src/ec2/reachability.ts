/**
 * Whether a running instance's traffic to an AWS service leaves its VPC, as AWS routes it:
 * - an interface endpoint of the service in its VPC (private DNS) — https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-access-aws-services.html
 * - (S3 only) a gateway endpoint on its subnet's route table — https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-s3.html
 * - a public IPv4 address and a 0.0.0.0/0 route to an attached internet gateway — https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Internet_Gateway.html
 * - a 0.0.0.0/0 route to an available public NAT gateway whose own subnet routes to an internet gateway — https://docs.aws.amazon.com/vpc/latest/userguide/vpc-nat-gateway.html
 * and only where one of its security groups lets TCP 443 out to the destination (AWS services'
 * addresses are public; a gateway endpoint's destination is the prefix list).
 * An endpoint serves the one service it names, `com.amazonaws.<region>.<service>`: a request signed for another
 * region (a bucket of another region) does not use it. A gateway endpoint "is available only in the Region where
 * you created it" (https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-s3.html, Considerations), so
 * such a request needs the internet path.
 */
import { natState, prefixListId } from './gateways';
import type { EgressRule, InstanceRecord, RouteTableRecord } from './model';
import { routeTableOfSubnet } from './route-tables';
import { egressOf } from './sg-egress';
import type { World } from './world';

export interface Verdict {
  reachable: boolean;
  /** The path it takes, or why there is none (for the console and the log). */
  why: string;
}

const defaultRoute = (t: RouteTableRecord | undefined) => t?.routes.find((r) => r.destinationCidrBlock === '0.0.0.0/0');

function routesToInternet(w: World, t: RouteTableRecord | undefined): boolean {
  const r = defaultRoute(t);
  return !!r?.gatewayId?.startsWith('igw-') && w.model.internetGateways[r.gatewayId]?.attachedVpcId === t!.vpcId;
}

/** TCP 443 to a public address (0.0.0.0/0 covers it; a narrower CIDR does not: service addresses vary). */
const allows443 = (r: EgressRule, prefixList?: string) =>
  (r.ipProtocol === '-1' || (r.ipProtocol === 'tcp' && (r.fromPort ?? 0) <= 443 && (r.toPort ?? 65535) >= 443)) &&
  (r.cidrIp === '0.0.0.0/0' || (prefixList !== undefined && r.prefixListId === prefixList));

export function reachService(w: World, inst: InstanceRecord, service: string, region: string = w.ctx.region): Verdict {
  if (inst.state !== 'running') return { reachable: false, why: `instance is ${inst.state}` };
  const groups = inst.securityGroupIds.map((g) => w.model.securityGroups[g]).filter((g) => g !== undefined);
  const rules = groups.flatMap(egressOf);
  const egress = (pl?: string) => rules.some((r) => allows443(r, pl));
  const serviceName = `com.amazonaws.${region}.${service}`;
  const endpoints = Object.values(w.model.vpcEndpoints).filter((e) => e.vpcId === inst.vpcId && e.serviceName === serviceName && e.state === 'available');
  if (endpoints.some((e) => e.vpcEndpointType === 'Interface')) {
    return egress() ? { reachable: true, why: 'interface endpoint' } : { reachable: false, why: 'security group egress blocks TCP 443' };
  }
  const table = routeTableOfSubnet(w, inst.subnetId, inst.vpcId);
  const gateway = endpoints.find((e) => e.vpcEndpointType === 'Gateway' && table && e.routeTableIds.includes(table.routeTableId));
  if (gateway && egress(prefixListId(serviceName))) return { reachable: true, why: `gateway endpoint ${gateway.vpcEndpointId}` };
  const r = defaultRoute(table);
  let path: string | undefined;
  if (r?.gatewayId?.startsWith('igw-') && routesToInternet(w, table)) {
    path = inst.publicIpAddress ? `internet gateway ${r.gatewayId}` : undefined;
  } else if (r?.natGatewayId) {
    const nat = w.model.natGateways[r.natGatewayId];
    const natTable = nat && routeTableOfSubnet(w, nat.subnetId, nat.vpcId);
    if (nat && nat.connectivityType === 'public' && natState(w, nat) === 'available' && routesToInternet(w, natTable)) path = `NAT gateway ${nat.natGatewayId}`;
  }
  if (!path)
    return {
      reachable: false,
      why:
        region === w.ctx.region
          ? `no route to ${service}: no public IP with an internet gateway route, no NAT gateway, no endpoint in subnet ${inst.subnetId}`
          : `no route to ${service} of ${region}: no public IP with an internet gateway route and no NAT gateway in subnet ${inst.subnetId} (an endpoint of ${w.ctx.region} does not serve it)`,
    };
  return egress() ? { reachable: true, why: path } : { reachable: false, why: 'security group egress blocks TCP 443' };
}
