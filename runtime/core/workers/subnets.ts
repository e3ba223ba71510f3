/**
 * Which subnet a worker (zSAT or ZImporter) launches in. A volume can only be attached to an instance in its own
 * Availability Zone (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-attaching-volume.html), so a worker goes to
 * the subnet of its volumes' zone: the configured one (at most one per zone), else the default subnet of that zone.
 * The checks run before anything is created (the sync's Plan, the failback's Resolve, `lifeboat doctor`), so a
 * missing subnet is a readable cause naming the config key, never an `InvalidVolume.ZoneMismatch` mid-launch.
 */
import { noDefaultVpcMessage } from './default-vpc';

export interface SubnetInfo {
  readonly subnetId: string;
  readonly availabilityZone: string;
  readonly vpcId: string;
}

/** The subnets a worker kind may use, as the step environment gives them. */
export interface WorkerSubnets {
  /** Configured subnet ids; empty: the default VPC's default subnets. */
  readonly subnetIds: readonly string[];
  /** The config key that lists them, for messages (`agent.subnetIds`). */
  readonly configKey: string;
}

export interface WorkerPlacement {
  readonly subnetId: string;
  /**
   * A public IPv4 address on the primary interface: only in a default subnet, whose one way out to S3 and the package
   * repositories is the internet gateway. The workers' security group has no inbound rule, so the address lets
   * nothing in; a configured subnet brings its own path (S3 gateway endpoint or NAT) and gets none.
   */
  readonly publicIp: boolean;
}

export interface SubnetLookup {
  /** The subnets of these ids that exist (unknown ids are left out). */
  describeSubnets(ids: readonly string[]): Promise<SubnetInfo[]>;
  defaultSubnet(availabilityZone: string): Promise<string | null>;
}

/** Placements per zone, or every problem (one line each, naming the config key and the fix). */
export type PlacementResult = { readonly placements: ReadonlyMap<string, WorkerPlacement>; readonly problems: readonly string[] };

/** Pure: what the configured subnets give each zone. */
export function configuredPlacements(zones: readonly string[], subnets: WorkerSubnets, found: readonly SubnetInfo[]): PlacementResult {
  const problems: string[] = [];
  const known = new Map(found.map((s) => [s.subnetId, s]));
  const missing = subnets.subnetIds.filter((id) => !known.has(id));
  if (missing.length > 0)
    problems.push(
      `${subnets.configKey}: ${missing.join(', ')} ${missing.length === 1 ? 'does' : 'do'} not exist in this account and region; list existing subnet ids`,
    );
  const vpcs = [...new Set(found.map((s) => s.vpcId))];
  if (vpcs.length > 1)
    problems.push(`${subnets.configKey}: the subnets are in ${vpcs.length} VPCs (${vpcs.join(', ')}); list subnets of one VPC, the one its vpcId names`);
  const byZone = new Map<string, SubnetInfo[]>();
  for (const s of found) byZone.set(s.availabilityZone, [...(byZone.get(s.availabilityZone) ?? []), s]);
  for (const [zone, list] of byZone) {
    if (list.length > 1)
      problems.push(`${subnets.configKey}: ${list.map((s) => s.subnetId).join(' and ')} are both in ${zone}; list at most one subnet per Availability Zone`);
  }
  const placements = new Map<string, WorkerPlacement>();
  for (const zone of zones) {
    const here = byZone.get(zone);
    if (here?.length) placements.set(zone, { subnetId: here[0].subnetId, publicIp: false });
    else {
      const have = [...byZone.keys()].sort().join(', ') || 'none';
      problems.push(
        `${subnets.configKey} has no subnet in ${zone}, where volumes to be read or written are (it covers: ${have}); add a subnet of that zone, routed to S3`,
      );
    }
  }
  return { placements, problems };
}

/** Placements for every zone, or every problem; nothing is created either way. */
export async function placeWorkers(zones: readonly string[], subnets: WorkerSubnets, ec2: SubnetLookup, region: string): Promise<PlacementResult> {
  const unique = [...new Set(zones)].sort();
  if (subnets.subnetIds.length > 0) return configuredPlacements(unique, subnets, await ec2.describeSubnets(subnets.subnetIds));
  const placements = new Map<string, WorkerPlacement>();
  const lacking: string[] = [];
  for (const zone of unique) {
    const subnetId = await ec2.defaultSubnet(zone);
    if (subnetId) placements.set(zone, { subnetId, publicIp: true });
    else lacking.push(zone);
  }
  const problems =
    lacking.length > 0
      ? [
          `no default subnet in ${lacking.join(', ')}: ${noDefaultVpcMessage(region, subnets.configKey.replace('subnetIds', 'vpcId') + ' and ' + subnets.configKey)}`,
        ]
      : [];
  return { placements, problems };
}

/** The one placement of a zone, or the error `fail` makes of every problem. */
export async function placementIn(
  zone: string,
  subnets: WorkerSubnets,
  ec2: SubnetLookup,
  region: string,
  fail: (message: string) => Error,
): Promise<WorkerPlacement> {
  const { placements, problems } = await placeWorkers([zone], subnets, ec2, region);
  const placement = placements.get(zone);
  if (problems.length > 0 || !placement) throw fail(problems.join('; '));
  return placement;
}
