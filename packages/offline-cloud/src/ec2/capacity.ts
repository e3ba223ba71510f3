/**
 * What RunInstances checks before it launches anything, as EC2 does: the instance type exists and is
 * offered in the subnet's zone (`Unsupported`), the account's On-Demand Standard vCPU quota
 * (`VcpuLimitExceeded`), and the zone's capacity (`InsufficientInstanceCapacity`, a fault kind).
 * Error codes and messages: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
 */
import { INSTANCE_VCPUS, STANDARD_FAMILIES, ZONE_GAPS, limitsOf } from '../aws-rates';
import { countFault, rollFault } from '../faults';
import { AwsError } from '../service';
import { describe } from './describe';
import type { FieldMap } from './filters';
import type { InstanceRecord } from './model';
import { type ActionHandler, type World, availabilityZones, zoneIdOf } from './world';

/** Types offered per zone; a zone not named offers what ZONE_GAPS leaves it. */
export type OfferingsTable = Record<string, readonly string[]>;

export function offeredTypes(w: World, zone: string): readonly string[] {
  const set = w.offerings[zone];
  if (set) return set;
  const gap = ZONE_GAPS[zone.slice(-1)];
  return Object.keys(INSTANCE_VCPUS).filter((t) => !gap?.test(t));
}

export function vcpusOf(instanceType: string): number {
  const n = INSTANCE_VCPUS[instanceType];
  if (n === undefined) throw new AwsError('InvalidParameterValue', `Invalid value '${instanceType}' for InstanceType.`);
  return n;
}

/** A, C, D, H, I, M, R, T, Z: the families the Standard quota counts (e.g. c6i, m7g, t3). */
function isStandard(instanceType: string): boolean {
  return STANDARD_FAMILIES.includes(instanceType[0]);
}

/** vCPUs of the account's pending and running On-Demand Standard instances (what the quota counts). */
export function standardVcpusInUse(w: World): number {
  const live = (i: InstanceRecord) => i.state === 'pending' || i.state === 'running';
  return Object.values(w.model.instances)
    .filter((i) => live(i) && isStandard(i.instanceType))
    .reduce((sum, i) => sum + (INSTANCE_VCPUS[i.instanceType] ?? 0), 0);
}

function otherZones(w: World, instanceType: string, zone: string): string {
  return availabilityZones(w)
    .filter((z) => z !== zone && offeredTypes(w, z).includes(instanceType))
    .join(', ');
}

/**
 * How many of [minCount, maxCount] instances may launch now; throws AWS's error when not even minCount
 * can. (EC2 launches as many as fit, at least MinCount.)
 */
export function checkLaunch(w: World, instanceType: string, zone: string, minCount: number, maxCount: number): number {
  const vcpus = vcpusOf(instanceType);
  if (!offeredTypes(w, zone).includes(instanceType)) {
    // https://repost.aws/knowledge-center/ec2-instance-type-not-supported-az-error
    throw new AwsError(
      'Unsupported',
      `Your requested instance type (${instanceType}) is not supported in your requested Availability Zone (${zone}). ` +
        `Please retry your request by not specifying an Availability Zone or choosing ${otherZones(w, instanceType, zone)}.`,
    );
  }
  let count = maxCount;
  if (isStandard(instanceType)) {
    const quota = limitsOf(w.ctx).vcpuQuota;
    const free = quota - standardVcpusInUse(w);
    count = Math.min(maxCount, Math.floor(free / vcpus));
    if (count < minCount) {
      // https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-instance-quotas.html
      throw new AwsError(
        'VcpuLimitExceeded',
        `You have requested more vCPU capacity than your current vCPU limit of ${quota} allows for the instance bucket that the ` +
          'specified instance type belongs to. Please visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit.',
      );
    }
  }
  if (rollFault(w.ctx.faults, w.ctx.faults.insufficientCapacityRate)) {
    countFault(w.ctx.faultCounts, 'capacity');
    // A server error (HTTP 500): https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/troubleshooting-launch.html#troubleshooting-launch-capacity
    throw new AwsError(
      'InsufficientInstanceCapacity',
      `We currently do not have sufficient ${instanceType} capacity in the Availability Zone you requested (${zone}). Our system will be ` +
        `working on provisioning additional capacity. You can currently get ${instanceType} capacity by not specifying an Availability Zone ` +
        `in your request or choosing ${otherZones(w, instanceType, zone)}.`,
      500,
    );
  }
  return count;
}

interface Offering {
  instanceType: string;
  location: string;
}

const OFFERING_FIELDS: FieldMap<Offering> = {
  location: (o) => o.location,
  'instance-type': (o) => o.instanceType,
};

/** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceTypeOfferings.html */
export const describeInstanceTypeOfferings: ActionHandler = (q, w) => {
  const locationType = q.str('LocationType') ?? 'region';
  let all: Offering[];
  if (locationType === 'region') {
    const types = new Set(availabilityZones(w).flatMap((z) => offeredTypes(w, z)));
    all = [...types].sort().map((instanceType) => ({ instanceType, location: w.ctx.region }));
  } else if (locationType === 'availability-zone') {
    all = availabilityZones(w).flatMap((z) => [...offeredTypes(w, z)].sort().map((instanceType) => ({ instanceType, location: z })));
  } else {
    throw new AwsError('InvalidParameterValue', `The offline cloud does not model LocationType '${locationType}' (use region or availability-zone).`);
  }
  const page = describe(q, w, {
    all,
    idOf: (o) => `${o.location}/${o.instanceType}`,
    tagsOf: () => [],
    fields: OFFERING_FIELDS,
    limits: { min: 5, max: 1000 },
  });
  return {
    instanceTypeOfferingSet: page.items.map((o) => ({ instanceType: o.instanceType, locationType, location: o.location })),
    nextToken: page.nextToken,
  };
};

/** The region's zones, all available (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeAvailabilityZones.html). */
export const describeAvailabilityZones: ActionHandler = (q, w) => {
  const all = availabilityZones(w).map((zoneName) => ({ zoneName, zoneId: zoneIdOf(zoneName) }));
  const page = describe(q, w, {
    all,
    idOf: (z) => z.zoneName,
    tagsOf: () => [],
    fields: {
      'zone-name': (z) => z.zoneName,
      'zone-id': (z) => z.zoneId,
      'region-name': () => w.ctx.region,
      state: () => 'available',
      'zone-type': () => 'availability-zone',
    },
    limits: { min: 1, max: 1000 },
    idParam: 'ZoneName',
    notFound: (ids) => new AwsError('InvalidParameterValue', `Invalid availability zone: [${ids.join(', ')}]`),
  });
  return {
    availabilityZoneInfo: page.items.map((z) => ({
      zoneName: z.zoneName,
      zoneId: z.zoneId,
      zoneState: 'available',
      regionName: w.ctx.region,
      zoneType: 'availability-zone',
      optInStatus: 'opt-in-not-required',
      groupName: w.ctx.region,
      networkBorderGroup: w.ctx.region,
      messageSet: [],
    })),
  };
};

/** Types whose processor is AWS Graviton (arm64): a 'g' after the generation digit (t4g, m7g, c6gn). */
const GRAVITON = /^[a-z]+\d+g/;
/** Previous-generation types that also run 32-bit AMIs (https://docs.aws.amazon.com/ec2/latest/instancetypes/pg.html). */
const I386_CAPABLE = /^(t2|m1|c1|m3)\./;

function architecturesOf(instanceType: string): string[] {
  if (GRAVITON.test(instanceType)) return ['arm64'];
  return I386_CAPABLE.test(instanceType) ? ['i386', 'x86_64'] : ['x86_64'];
}

const isCurrentGeneration = (t: string) => !/^(t2|m1)\./.test(t);

const TYPE_FIELDS: FieldMap<string> = {
  'instance-type': (t) => t,
  'processor-info.supported-architecture': (t) => architecturesOf(t),
  'vcpu-info.default-vcpus': (t) => String(INSTANCE_VCPUS[t]),
  'current-generation': (t) => String(isCurrentGeneration(t)),
};

/**
 * The types this cloud knows, with the figures a caller sizes capacity by: default vCPUs and supported
 * architectures (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceTypes.html; an unknown
 * type in InstanceTypes answers InvalidInstanceType).
 */
export const describeInstanceTypes: ActionHandler = (q, w) => {
  const page = describe(q, w, {
    all: Object.keys(INSTANCE_VCPUS).sort(),
    idOf: (t) => t,
    tagsOf: () => [],
    fields: TYPE_FIELDS,
    limits: { min: 5, max: 100 },
    idParam: 'InstanceType',
    notFound: (ids) => new AwsError('InvalidInstanceType', `The following supplied instance types do not exist: [${ids.join(', ')}]`),
  });
  return {
    instanceTypeSet: page.items.map((t) => ({
      instanceType: t,
      currentGeneration: isCurrentGeneration(t),
      vCpuInfo: { defaultVCpus: INSTANCE_VCPUS[t] },
      processorInfo: { supportedArchitectures: architecturesOf(t) },
    })),
    nextToken: page.nextToken,
  };
};
