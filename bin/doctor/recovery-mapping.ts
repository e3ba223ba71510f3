/**
 * The doctor's checks of a VPG's recovery mapping (`vpgs[i].recovery`): the security groups, instance type, private
 * IPs and boot order a failback launches the recovered VMs with must name what the recovery region holds, or the
 * failback fails at LaunchRecovered, after every disk has been written. Pure: the facts are read by the caller
 * (bin/doctor/ec2-facts.ts) in the recovery region.
 */
import type { VpgConfig } from '../../lib/config';
import { type DoctorCheck, ok, problem, warning } from './doctor-model';

/** The subnet recovered VMs launch in (the configured one, else the zone's default subnet), as EC2 describes it. */
export interface RecoverySubnetFact {
  readonly subnetId: string;
  readonly vpcId: string;
  readonly availabilityZone: string;
  readonly cidrBlock: string;
}

export interface RecoveryMappingFacts {
  /** Null when no subnet could be found (the subnet check says why). */
  readonly subnet: RecoverySubnetFact | null;
  /** The configured security groups that exist in the recovery region, with their VPC. */
  readonly securityGroupVpcs: ReadonlyMap<string, string>;
  /** Whether the configured instance type is offered in the subnet's zone; null without a type or a subnet. */
  readonly instanceTypeOffered: boolean | null;
  /** The instances the VPG protects (the keys privateIps and bootOrder may name). */
  readonly protectedInstanceIds: readonly string[];
  readonly region: string;
}

const ipv4ToNumber = (ip: string): number => ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);

/**
 * Why an address cannot be a recovered VM's, or null when it can: outside the subnet's CIDR, or one of the five
 * addresses AWS reserves in every subnet (the first four and the last:
 * https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html#subnet-sizing-ipv4).
 */
export function unusablePrivateIp(ip: string, cidrBlock: string): string | null {
  const [base, bits] = cidrBlock.split('/');
  const size = 2 ** (32 - Number(bits));
  const first = ipv4ToNumber(base) - (ipv4ToNumber(base) % size);
  const offset = ipv4ToNumber(ip) - first;
  if (offset < 0 || offset >= size) return `is outside ${cidrBlock}`;
  if (offset < 4 || offset === size - 1) return `is one of the five addresses AWS reserves in ${cidrBlock}`;
  return null;
}

export function recoveryMappingChecks(vpg: string, mapping: VpgConfig['recovery'], facts: RecoveryMappingFacts): DoctorCheck[] {
  const out: DoctorCheck[] = [];
  const { subnet, region } = facts;
  const protectedIds = new Set(facts.protectedInstanceIds);

  const groups = mapping.securityGroupIds ?? [];
  if (groups.length > 0) {
    const missing = groups.filter((g) => !facts.securityGroupVpcs.has(g));
    const elsewhere = subnet ? groups.filter((g) => facts.securityGroupVpcs.has(g) && facts.securityGroupVpcs.get(g) !== subnet.vpcId) : [];
    if (missing.length > 0)
      out.push(
        problem(
          vpg,
          'recovery security groups',
          `${missing.join(', ')} ${missing.length === 1 ? 'does' : 'do'} not exist in ${region}`,
          'set vpgs[i].recovery.securityGroupIds to security groups of the recovery VPC',
        ),
      );
    // RunInstances refuses groups of another VPC than the subnet's (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-security-groups.html)
    else if (elsewhere.length > 0)
      out.push(
        problem(
          vpg,
          'recovery security groups',
          `${elsewhere.join(', ')} ${elsewhere.length === 1 ? 'is' : 'are'} not in ${subnet!.vpcId}, the VPC of the recovery subnet ${subnet!.subnetId}`,
          'name security groups of the recovery subnet’s VPC in vpgs[i].recovery.securityGroupIds',
        ),
      );
    else out.push(ok(vpg, 'recovery security groups', `${groups.join(', ')} in ${region}`));
  }

  if (mapping.instanceType && facts.instanceTypeOffered !== null)
    out.push(
      facts.instanceTypeOffered
        ? ok(vpg, 'recovery instance type', `${mapping.instanceType} is offered in ${subnet!.availabilityZone}`)
        : problem(
            vpg,
            'recovery instance type',
            `${mapping.instanceType} is not offered in ${subnet!.availabilityZone} (${region})`,
            'set vpgs[i].recovery.instanceType to a type the recovery zone offers, or leave it out to launch the type each VM had',
          ),
    );

  const ips = Object.entries(mapping.privateIps ?? {});
  if (ips.length > 0 && subnet) {
    const bad = ips.flatMap(([id, ip]) => {
      const why = unusablePrivateIp(ip, subnet.cidrBlock);
      return why ? [`${ip} (for ${id}) ${why}`] : [];
    });
    out.push(
      bad.length > 0
        ? problem(
            vpg,
            'recovery private IPs',
            `${bad.join('; ')}, the recovery subnet ${subnet.subnetId}`,
            'give each VM an address inside the recovery subnet',
          )
        : ok(vpg, 'recovery private IPs', `${ips.length} address${ips.length === 1 ? '' : 'es'} inside ${subnet.cidrBlock}`),
    );
  }

  const named = [...new Set([...ips.map(([id]) => id), ...(mapping.bootOrder ?? [])])];
  const strangers = named.filter((id) => !protectedIds.has(id));
  if (named.length > 0 && strangers.length > 0)
    out.push(
      warning(
        vpg,
        'recovery mapping',
        `privateIps or bootOrder name ${strangers.join(', ')}, which the VPG does not protect: the failback ignores ${strangers.length === 1 ? 'it' : 'them'}`,
        'name the protected instances’ ids in vpgs[i].recovery.privateIps and bootOrder',
      ),
    );
  return out;
}
