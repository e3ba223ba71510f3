/**
 * The doctor's checks of what a VPG's failback needs, read in the recovery region (the protected one for a site in
 * one region): the zone Prepare will choose, the recovery subnet, the ZImporters' subnet, path to S3, template and
 * types there, and the recovery mapping (recovery-mapping.ts).
 */
import type { SiteConfig, VpgConfig } from '../../lib/config';
import { workerNetwork } from '../../lib/config-network';
import { instanceTypesOf } from '../../lib/config-instance-types';
import { workerLaunchTemplateName } from '../../runtime/core/resource-names';
import type { Ec2Adapter } from '../../runtime/aws/ec2-adapter';
import type { Ec2Recovery } from '../../runtime/aws/ec2-recovery';
import { type DoctorCheck, ok, problem } from './doctor-model';
import type { Ec2Facts } from './ec2-facts';
import { recoveryMappingChecks, type RecoverySubnetFact } from './recovery-mapping';
import { workerKindChecks } from './worker-checks';

/** One region's readers. */
export interface RegionReaders {
  readonly ec2: Ec2Adapter;
  readonly recovery: Pick<Ec2Recovery, 'defaultSubnetZones'>;
  readonly facts: Ec2Facts;
  readonly region: string;
}

/**
 * Where a failback writes, as Prepare chooses it (runtime/core/failback/recovery-site.ts): the recovery subnet's zone,
 * else the first existing importer subnet's, else the first zone (in name order) with a default subnet.
 */
async function recoveryZone(config: SiteConfig, vpg: VpgConfig, at: RegionReaders): Promise<{ zone?: string; checks: DoctorCheck[] }> {
  const recoverySubnet = vpg.recovery.subnetId;
  if (recoverySubnet) {
    const subnet = await at.facts.subnet(recoverySubnet);
    if (!subnet)
      return {
        checks: [
          problem(
            vpg.name,
            'recovery subnet',
            `vpgs[i].recovery.subnetId ${recoverySubnet} does not exist in ${at.region}`,
            `set vpgs[i].recovery.subnetId to a subnet of the recovery VPC in ${at.region}`,
          ),
        ],
      };
    return {
      zone: subnet.availabilityZone,
      checks: [ok(vpg.name, 'recovery subnet', `recovered VMs launch in ${recoverySubnet} (${subnet.availabilityZone})`)],
    };
  }
  const importer = workerNetwork(config, 'importer');
  const found = new Map((await at.ec2.describeSubnets(importer.subnetIds)).map((s) => [s.subnetId, s.availabilityZone]));
  const zone = importer.subnetIds.map((id) => found.get(id)).find((z) => z !== undefined) ?? [...(await at.recovery.defaultSubnetZones())].sort()[0];
  const fallback = zone ? await at.ec2.defaultSubnet(zone) : null;
  if (!fallback)
    return {
      zone,
      checks: [
        problem(
          vpg.name,
          'recovery subnet',
          `recovered VMs would launch in the default subnet of ${zone ?? 'a zone'}, and there is none (no default VPC in ${at.region})`,
          `set vpgs[i].recovery.subnetId for VPG ${vpg.name} and deploy again`,
        ),
      ],
    };
  return {
    zone,
    checks: [ok(vpg.name, 'recovery subnet', `recovered VMs launch in the default subnet ${fallback} of ${zone} (set vpgs[i].recovery.subnetId to choose)`)],
  };
}

/** The subnet the recovered VMs get: the configured one, else the default subnet of the chosen zone. */
async function launchSubnet(vpg: VpgConfig, zone: string, at: RegionReaders): Promise<RecoverySubnetFact | null> {
  const id = vpg.recovery.subnetId ?? (await at.ec2.defaultSubnet(zone));
  return id ? at.facts.subnet(id) : null;
}

export interface FailbackFacts {
  /** The instances the VPG protects (privateIps and bootOrder name them). */
  readonly protectedInstanceIds: readonly string[];
  /** The replica bucket's region when it is not the recovery region's. */
  readonly storeRegion?: string;
}

export async function failbackChecks(config: SiteConfig, vpg: VpgConfig, known: FailbackFacts, at: RegionReaders): Promise<DoctorCheck[]> {
  const { zone, checks } = await recoveryZone(config, vpg, at);
  if (!zone) return checks;
  checks.push(
    ...(await workerKindChecks(
      {
        vpg: vpg.name,
        kind: 'ZImporter',
        zones: [zone],
        subnets: workerNetwork(config, 'importer'),
        templateName: workerLaunchTemplateName(config.siteId, 'zimporter'),
        typesKey: 'importer.instanceTypes',
        instanceTypes: instanceTypesOf(config.importer),
        region: at.region,
        storeRegion: known.storeRegion,
      },
      { subnets: at.ec2, facts: at.facts },
    )),
  );
  const mapping = vpg.recovery;
  const subnet = await launchSubnet(vpg, zone, at);
  const type = mapping.instanceType;
  checks.push(
    ...recoveryMappingChecks(vpg.name, mapping, {
      subnet,
      securityGroupVpcs: await at.facts.securityGroupVpcs(mapping.securityGroupIds ?? []),
      instanceTypeOffered:
        type && subnet ? ((await at.facts.offerings([subnet.availabilityZone], [type])).get(subnet.availabilityZone)?.has(type) ?? false) : null,
      protectedInstanceIds: known.protectedInstanceIds,
      region: at.region,
    }),
  );
  return checks;
}
