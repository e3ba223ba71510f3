/**
 * Security group egress: AuthorizeSecurityGroupEgress / RevokeSecurityGroupEgress, and the rule a new
 * group starts with (all traffic to 0.0.0.0/0).
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AuthorizeSecurityGroupEgress.html
 * https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html ("a security group
 * includes an outbound rule that allows all outbound traffic" when created)
 */
import { AwsError } from '../service';
import type { EgressRule, SecurityGroupRecord } from './model';
import type { Query } from './query';
import type { ActionHandler, World } from './world';
import type { XmlObject } from './xml';

export const ALLOW_ALL_EGRESS: EgressRule = { ipProtocol: '-1', cidrIp: '0.0.0.0/0' };

export const egressOf = (g: SecurityGroupRecord): EgressRule[] => g.egress ?? [ALLOW_ALL_EGRESS];

const PROTOCOLS: Record<string, string> = { '-1': '-1', all: '-1', tcp: 'tcp', '6': 'tcp', udp: 'udp', '17': 'udp', icmp: 'icmp', '1': 'icmp' };

/** One wire IpPermissions entry expands to one rule per range, prefix list or group. */
export function readPermissions(q: Query): EgressRule[] {
  const rules: EgressRule[] = [];
  for (const p of q.structs('IpPermissions')) {
    const raw = (p.str('IpProtocol') ?? '').toLowerCase();
    const ipProtocol = PROTOCOLS[raw];
    if (!ipProtocol) throw new AwsError('InvalidParameterValue', `Invalid value '${raw}' for IP protocol. Unknown protocol.`);
    const ports = ipProtocol === '-1' ? {} : { fromPort: p.int('FromPort'), toPort: p.int('ToPort') };
    if (ipProtocol !== '-1' && (ports.fromPort === undefined || ports.toPort === undefined)) {
      throw new AwsError('InvalidParameterValue', 'Invalid value for portRange. Must specify both from and to ports with TCP/UDP.');
    }
    for (const r of p.structs('IpRanges')) rules.push({ ipProtocol, ...ports, cidrIp: r.required('CidrIp'), description: r.str('Description') });
    for (const r of p.structs('PrefixListIds'))
      rules.push({ ipProtocol, ...ports, prefixListId: r.required('PrefixListId'), description: r.str('Description') });
    for (const r of p.structs('Groups')) rules.push({ ipProtocol, ...ports, groupId: r.required('GroupId'), description: r.str('Description') });
  }
  if (rules.length === 0) throw new AwsError('MissingParameter', 'The request must contain the parameter ipPermissions');
  return rules;
}

const sameRule = (a: EgressRule, b: EgressRule) =>
  a.ipProtocol === b.ipProtocol &&
  a.fromPort === b.fromPort &&
  a.toPort === b.toPort &&
  a.cidrIp === b.cidrIp &&
  a.prefixListId === b.prefixListId &&
  a.groupId === b.groupId;

function requireGroup(w: World, groupId: string): SecurityGroupRecord {
  const g = w.model.securityGroups[groupId];
  if (!g) throw new AwsError('InvalidGroup.NotFound', `The security group '${groupId}' does not exist`);
  return g;
}

export function authorizeEgress(w: World, g: SecurityGroupRecord, rules: EgressRule[]): void {
  const have = egressOf(g);
  const dup = rules.find((r) => have.some((h) => sameRule(h, r)));
  if (dup) {
    throw new AwsError(
      'InvalidPermission.Duplicate',
      `the specified rule "peer: ${dup.cidrIp ?? dup.prefixListId ?? dup.groupId}, ${dup.ipProtocol}, ALLOW" already exists`,
    );
  }
  g.egress = [...have, ...rules];
}

export function revokeEgress(g: SecurityGroupRecord, rules: EgressRule[]): void {
  const have = egressOf(g);
  const missing = rules.find((r) => !have.some((h) => sameRule(h, r)));
  if (missing) throw new AwsError('InvalidPermission.NotFound', 'The specified rule does not exist in this security group.');
  g.egress = have.filter((h) => !rules.some((r) => sameRule(h, r)));
}

export const authorizeSecurityGroupEgress: ActionHandler = (q, w) => {
  authorizeEgress(w, requireGroup(w, q.required('GroupId')), readPermissions(q));
  w.ctx.markDirty();
  return { return: true };
};

export const revokeSecurityGroupEgress: ActionHandler = (q, w) => {
  revokeEgress(requireGroup(w, q.required('GroupId')), readPermissions(q));
  w.ctx.markDirty();
  return { return: true };
};

/** As DescribeSecurityGroups shows them: one IpPermission per protocol/port range. */
export function renderEgress(g: SecurityGroupRecord): XmlObject[] {
  const byKey = new Map<string, EgressRule[]>();
  for (const r of egressOf(g)) {
    const k = `${r.ipProtocol}:${r.fromPort}:${r.toPort}`;
    byKey.set(k, [...(byKey.get(k) ?? []), r]);
  }
  return [...byKey.values()].map((rs) => ({
    ipProtocol: rs[0].ipProtocol,
    fromPort: rs[0].fromPort,
    toPort: rs[0].toPort,
    groups: rs.filter((r) => r.groupId).map((r) => ({ groupId: r.groupId, description: r.description })),
    ipRanges: rs.filter((r) => r.cidrIp).map((r) => ({ cidrIp: r.cidrIp, description: r.description })),
    ipv6Ranges: [],
    prefixListIds: rs.filter((r) => r.prefixListId).map((r) => ({ prefixListId: r.prefixListId, description: r.description })),
  }));
}
