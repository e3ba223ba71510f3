/**
 * `lifeboat doctor`: reads the config and the account and checks, for every VPG, what a first sync and a failback
 * need (instances and their zones, subnets and a path to S3 per zone, launch templates and images, instance types,
 * KMS keys and the step roles' use of them, the vCPU quota), then what the site shares (replica bucket, alert topic).
 * A site with a recovery site elsewhere is read on both sides: the sync's needs in the protected region, the
 * failback's (its state machine, subnets, ZImporters, recovery mapping, keys) and the monitoring in the recovery region.
 * Reads only; works against AWS or the offline cloud alike (AWS_ENDPOINT_URL).
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import type { SNSClient } from '@aws-sdk/client-sns';
import { paginateListStateMachines, type SFNClient } from '@aws-sdk/client-sfn';
import type { SiteConfig, VpgConfig } from '../../lib/config';
import { alertTopicName, failbackStateMachineName, syncStateMachineName, workerLaunchTemplateName } from '../../runtime/core/resource-names';
import { workerNetwork } from '../../lib/config-network';
import { instanceTypesOf } from '../../lib/config-instance-types';
import { Ec2Adapter } from '../../runtime/aws/ec2-adapter';
import { Ec2Recovery } from '../../runtime/aws/ec2-recovery';
import { KmsKeys } from '../../runtime/aws/kms-keys';
import { findProtectedInstances, missingInstanceIds } from '../../runtime/core/sync/protected-resources';
import { type VpgRuntime } from '../../runtime/core/sync/contract';
import type { VolumeInfo } from '../../runtime/core/ports';
import { groupVolumesIntoZsats } from '../../runtime/core/sync/zsat-grouping';
import { isStandardType } from '../../runtime/core/sync/vcpu-quota';
import { recoveredEncryption } from '../../runtime/core/failback/recovery-site';
import { vpgRuntimeOf } from '../commands/context';
import { bucketFacts, ReadFailed, standardVcpuQuota, topicFacts } from './account-facts';
import { type DoctorCheck, doctorReport, type DoctorReport, ok, problem } from './doctor-model';
import { Ec2Facts } from './ec2-facts';
import { failbackChecks, type RegionReaders } from './failback-checks';
import { keyChecks } from './kms-checks';
import { alertChecks, storeChecks, vcpuChecks, type VcpuNeed } from './site-checks';
import { workerKindChecks } from './worker-checks';

export interface DoctorClients {
  readonly ec2: EC2Client;
  readonly sfn: SFNClient;
  readonly kms: KMSClient;
  readonly iam: IAMClient;
  readonly s3: S3Client;
  readonly sns: SNSClient;
  readonly quotas: ServiceQuotasClient;
}

/** A read the operator may not make is a finding; anything else is a bug and propagates. */
function failed(err: unknown): ReadFailed {
  if (err instanceof ReadFailed) return err;
  throw err;
}

interface VpgFacts {
  readonly runtime: VpgRuntime | null;
  readonly volumes: readonly VolumeInfo[];
}

/** One region's clients and readers. */
interface Side extends RegionReaders {
  readonly clients: DoctorClients;
  /** State machine name → ARN, of this region. */
  readonly deployed: ReadonlyMap<string, string>;
}

async function sideOf(clients: DoctorClients): Promise<Side> {
  const region = await clients.ec2.config.region();
  const deployed = new Map<string, string>();
  for await (const page of paginateListStateMachines({ client: clients.sfn }, {}))
    for (const m of page.stateMachines ?? []) if (m.name && m.stateMachineArn) deployed.set(m.name, m.stateMachineArn);
  return { clients, region, deployed, ec2: new Ec2Adapter(clients.ec2), recovery: new Ec2Recovery(clients.ec2), facts: new Ec2Facts(clients.ec2, region) };
}

const notDeployed = (vpg: string, name: string, region: string) =>
  problem(
    vpg,
    'deployed',
    `state machine ${name} is not deployed in ${region}`,
    "deploy the stacks (npx cdk deploy --all), with AWS_REGION set to the site's region",
  );

/**
 * `clients` read the protected region; `recoveryClients` the recovery site's region when the config names one
 * (`recoverySite`), else the same clients.
 */
export async function runDoctor(config: SiteConfig, clients: DoctorClients, recoveryClients: DoctorClients = clients): Promise<DoctorReport> {
  const here = await sideOf(clients);
  const there = recoveryClients === clients ? here : await sideOf(recoveryClients);
  const checks: DoctorCheck[] = [];
  const needs: VcpuNeed[] = [];
  let bucket: string | undefined = config.store.bucketName;
  for (const vpg of config.vpgs) {
    const syncName = syncStateMachineName(config.siteId, vpg.name);
    const arn = here.deployed.get(syncName);
    const runtime = arn ? await vpgRuntimeOf(here.clients.sfn, arn) : null;
    if (!runtime) checks.push(notDeployed(vpg.name, syncName, here.region));
    let failbackRoleArn = runtime?.failbackStepRoleArn;
    if (there !== here) {
      // the failback state machine, and its role, are the recovery site's
      const failbackName = failbackStateMachineName(config.siteId, vpg.name);
      const failbackArn = there.deployed.get(failbackName);
      if (!failbackArn) checks.push(notDeployed(vpg.name, failbackName, there.region));
      failbackRoleArn = failbackArn ? (await vpgRuntimeOf(there.clients.sfn, failbackArn)).failbackStepRoleArn : undefined;
    }
    bucket ??= runtime?.storeBucket;
    const found = await vpgChecks(config, vpg, { runtime, failbackRoleArn }, { here, there }, checks);
    const zsats = Math.min(
      config.agent.maxZsats,
      groupVolumesIntoZsats(
        found.volumes.map((v) => ({ volumeId: v.volumeId, availabilityZone: v.availabilityZone, plannedBytes: Math.max(1, v.sizeGiB) })),
        config.agent.volumesPerZsat,
      ).length,
    );
    const type = instanceTypesOf(config.agent)[0];
    const vcpus = (await here.facts.instanceTypes([type])).get(type)?.vcpus;
    if (zsats > 0 && vcpus && isStandardType(type)) needs.push({ vpg: vpg.name, zsats, instanceType: type, vcpusEach: vcpus });
  }
  checks.push(...(await quotaChecks(clients, here.facts, needs)));
  if (bucket) checks.push(...storeChecks(bucket, await bucketFacts(there.clients.s3, bucket).catch(failed), config.store));
  // the RPO alarm notifies the recovery site's topic; the failed-sync alarm the protected region's
  const topic = alertTopicName(config.siteId);
  for (const side of there === here ? [here] : [there, here]) {
    const named = there === here ? topic : `${topic} in ${side.region}`;
    checks.push(...alertChecks(named, await topicFacts(side.clients.sns, topic).catch(failed), config.alerts.email));
  }
  return doctorReport(checks);
}

/** `region` when it is not `here` (a bucket of another region, which no endpoint here reaches). */
const elsewhere = (region: string, here: string): string | undefined => (region !== here ? region : undefined);

interface VpgRoles {
  readonly runtime: VpgRuntime | null;
  readonly failbackRoleArn?: string;
}

interface Sides {
  readonly here: Side;
  readonly there: Side;
}

async function vpgChecks(config: SiteConfig, vpg: VpgConfig, roles: VpgRoles, { here, there }: Sides, checks: DoctorCheck[]): Promise<VpgFacts> {
  const { runtime } = roles;
  // where the zSATs and ZImporters write: the replica bucket's region
  const storeRegion = runtime?.storeRegion || config.store.region || there.region;
  const selector = { instanceIds: vpg.instances.ids ?? [], instanceTags: vpg.instances.tags ?? {} };
  const instances = await findProtectedInstances(selector, here.ec2);
  const missing = missingInstanceIds(selector, instances);
  if (missing.length)
    checks.push(
      problem(
        vpg.name,
        'instances',
        `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not a protectable instance here (terminated, unknown, or one of Lifeboat's own)`,
        `remove ${missing.length === 1 ? 'it' : 'them'} from vpgs[i].instances.ids`,
      ),
    );
  const volumeIds = instances.flatMap((i) => i.volumes.map((v) => v.volumeId));
  const volumes = await here.ec2.describeVolumes({ ids: volumeIds });
  if (instances.length === 0) {
    const what = [
      ...(vpg.instances.ids?.length ? [`ids ${vpg.instances.ids.join(', ')}`] : []),
      ...(vpg.instances.tags ? [`tags ${JSON.stringify(vpg.instances.tags)}`] : []),
    ].join(' or ');
    checks.push(
      problem(
        vpg.name,
        'instances',
        `no instance matches ${what}: a sync would protect nothing`,
        'tag the instances to protect as vpgs[i].instances.tags says, or list their ids',
      ),
    );
    return { runtime, volumes };
  }
  const zones = [...new Set(volumes.map((v) => v.availabilityZone))].sort();
  const gib = volumes.reduce((sum, v) => sum + v.sizeGiB, 0);
  checks.push(
    ok(
      vpg.name,
      'instances',
      `${instances.length} instance${instances.length === 1 ? '' : 's'} (${instances.map((i) => i.instanceId).join(', ')}), ${volumes.length} volumes of ${gib} GiB in ${zones.join(', ')}`,
    ),
  );

  checks.push(
    ...(await workerKindChecks(
      {
        vpg: vpg.name,
        kind: 'zSAT',
        zones,
        subnets: workerNetwork(config, 'agent'),
        templateName: workerLaunchTemplateName(config.siteId, 'zsat'),
        typesKey: 'agent.instanceTypes',
        instanceTypes: instanceTypesOf(config.agent),
        region: here.region,
        storeRegion: elsewhere(storeRegion, here.region),
      },
      { subnets: here.ec2, facts: here.facts },
    )),
  );
  checks.push(
    ...(await failbackChecks(
      config,
      vpg,
      { protectedInstanceIds: instances.map((i) => i.instanceId), storeRegion: elsewhere(storeRegion, there.region) },
      there,
    )),
  );
  checks.push(...(await kmsChecksOf(config, vpg, roles, volumes, { here, there })));
  return { runtime, volumes };
}

/** Keys of the protected volumes, each with why the VPG needs it; the default EBS key when unencrypted volumes get it. */
async function keysOf(volumes: readonly VolumeInfo[], facts: Ec2Facts): Promise<Map<string, string>> {
  const keys = new Map<string, string>();
  for (const v of volumes) if (v.kmsKeyId && !keys.has(v.kmsKeyId)) keys.set(v.kmsKeyId, `volume ${v.volumeId}`);
  if (volumes.some((v) => !v.kmsKeyId)) {
    // zSAT volumes made from an unencrypted snapshot get the account's default key when encryption by default is on
    const byDefault = await facts.ebsDefaultKey();
    if (byDefault.byDefault && byDefault.keyId && !keys.has(byDefault.keyId))
      keys.set(byDefault.keyId, "the account's default EBS key (encryption by default is on)");
  }
  return keys;
}

/**
 * The keys the recovered volumes are made under in the recovery region, as Prepare maps them
 * (runtime/core/failback/recovery-site.ts): a protected key's multi-Region replica, else the region's default key.
 */
async function recoveryKeysOf(volumes: readonly VolumeInfo[], there: Side): Promise<Map<string, string>> {
  const keys = new Map<string, string>();
  const deps = { env: { region: there.region }, keys: new KmsKeys(there.clients.kms) };
  const byDefault = await there.facts.ebsDefaultKey();
  // unencrypted checkpoints are recovered under the default key only when encryption by default is on there
  let toDefault = byDefault.byDefault && volumes.some((v) => !v.kmsKeyId);
  for (const v of volumes) {
    if (!v.kmsKeyId) continue;
    const mapped = await recoveredEncryption(v.kmsKeyId, deps);
    if ('kmsKeyId' in mapped) keys.set(mapped.kmsKeyId, `the recovered copy of volume ${v.volumeId}`);
    else toDefault = true;
  }
  if (toDefault && byDefault.keyId) keys.set(byDefault.keyId, `the default EBS key of ${there.region}, which recovered volumes get`);
  return keys;
}

async function kmsChecksOf(
  config: SiteConfig,
  vpg: VpgConfig,
  roles: VpgRoles,
  volumes: readonly VolumeInfo[],
  { here, there }: Sides,
): Promise<DoctorCheck[]> {
  const keys = await keysOf(volumes, here.facts);
  const sync = roles.runtime?.syncStepRoleArn ? [{ what: 'the sync steps', roleArn: roles.runtime.syncStepRoleArn, ebsDirectReads: true }] : [];
  const failback = roles.failbackRoleArn ? [{ what: 'the failback steps', roleArn: roles.failbackRoleArn, ebsDirectReads: false }] : [];
  const check = (side: Side, which: ReadonlyMap<string, string>, who: typeof sync) =>
    keyChecks({ vpg: vpg.name, keys: which, configuredKeyArns: config.kms?.keyArns, roles: who, region: side.region }, side.clients.kms, side.clients.iam);
  if (there === here) return check(here, keys, [...sync, ...failback]);
  return [...(await check(here, keys, sync)), ...(await check(there, await recoveryKeysOf(volumes, there), failback))];
}

async function quotaChecks(clients: DoctorClients, facts: Ec2Facts, needs: readonly VcpuNeed[]): Promise<DoctorCheck[]> {
  if (needs.length === 0) return [];
  const quota = await standardVcpuQuota(clients.quotas).catch(failed);
  const live = await facts.liveInstanceTypes();
  const sizes = await facts.instanceTypes([...live.keys()].filter(isStandardType));
  const inUse = [...live].reduce((sum, [type, count]) => sum + (sizes.get(type)?.vcpus ?? 0) * count, 0);
  return vcpuChecks(quota, needs, inUse);
}
