/**
 * `lifeboat doctor`: reads the config and the account and checks, for every VPG, what a first sync and a failback
 * need (instances and their zones, subnets and a path to S3 per zone, launch templates and images, instance types,
 * KMS keys and the step roles' use of them, the vCPU quota), then what the site shares (replica bucket, alert topic).
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
import { alertTopicName, workerLaunchTemplateName } from '../../runtime/core/resource-names';
import { workerNetwork } from '../../lib/config-network';
import { instanceTypesOf } from '../../lib/config-instance-types';
import { Ec2Adapter } from '../../runtime/aws/ec2-adapter';
import { findProtectedInstances, missingInstanceIds } from '../../runtime/core/sync/protected-resources';
import { type VpgRuntime } from '../../runtime/core/sync/contract';
import type { VolumeInfo } from '../../runtime/core/ports';
import { groupVolumesIntoZsats } from '../../runtime/core/sync/zsat-grouping';
import { isStandardType } from '../../runtime/core/sync/vcpu-quota';
import { vpgRuntimeOf } from '../commands/context';
import { bucketFacts, ReadFailed, standardVcpuQuota, topicFacts } from './account-facts';
import { type DoctorCheck, doctorReport, type DoctorReport, ok, problem } from './doctor-model';
import { Ec2Facts } from './ec2-facts';
import { keyChecks } from './kms-checks';
import { alertChecks, storeChecks, vcpuChecks, type VcpuNeed } from './site-checks';
import { workerKindChecks } from './worker-checks';
import { syncStateMachineName } from '../../runtime/core/resource-names';

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

export async function runDoctor(config: SiteConfig, clients: DoctorClients): Promise<DoctorReport> {
  const region = await clients.ec2.config.region();
  const ec2 = new Ec2Adapter(clients.ec2);
  const facts = new Ec2Facts(clients.ec2, region);
  const deployed = new Map<string, string>();
  for await (const page of paginateListStateMachines({ client: clients.sfn }, {}))
    for (const m of page.stateMachines ?? []) if (m.name && m.stateMachineArn) deployed.set(m.name, m.stateMachineArn);

  const checks: DoctorCheck[] = [];
  const needs: VcpuNeed[] = [];
  let bucket: string | undefined = config.store.bucketName;
  for (const vpg of config.vpgs) {
    const arn = deployed.get(syncStateMachineName(config.siteId, vpg.name));
    const runtime = arn ? await vpgRuntimeOf(clients.sfn, arn) : null;
    if (!runtime)
      checks.push(
        problem(
          vpg.name,
          'deployed',
          `state machine ${syncStateMachineName(config.siteId, vpg.name)} is not deployed in ${region}`,
          "deploy the stacks (npx cdk deploy --all), with AWS_REGION set to the site's region",
        ),
      );
    bucket ??= runtime?.storeBucket;
    const found = await vpgChecks(config, vpg, runtime, { ec2, facts, region, clients }, checks);
    const zsats = Math.min(
      config.agent.maxZsats,
      groupVolumesIntoZsats(
        found.volumes.map((v) => ({ volumeId: v.volumeId, availabilityZone: v.availabilityZone, plannedBytes: Math.max(1, v.sizeGiB) })),
        config.agent.volumesPerZsat,
      ).length,
    );
    const type = instanceTypesOf(config.agent)[0];
    const vcpus = (await facts.instanceTypes([type])).get(type)?.vcpus;
    if (zsats > 0 && vcpus && isStandardType(type)) needs.push({ vpg: vpg.name, zsats, instanceType: type, vcpusEach: vcpus });
  }
  checks.push(...(await quotaChecks(clients, facts, needs)));
  if (bucket) checks.push(...storeChecks(bucket, await bucketFacts(clients.s3, bucket).catch(failed), config.store));
  const topic = alertTopicName(config.siteId);
  checks.push(...alertChecks(topic, await topicFacts(clients.sns, topic).catch(failed), config.alerts.email));
  return doctorReport(checks);
}

interface VpgDeps {
  readonly ec2: Ec2Adapter;
  readonly facts: Ec2Facts;
  readonly region: string;
  readonly clients: DoctorClients;
}

async function vpgChecks(config: SiteConfig, vpg: VpgConfig, runtime: VpgRuntime | null, deps: VpgDeps, checks: DoctorCheck[]): Promise<VpgFacts> {
  const selector = { instanceIds: vpg.instances.ids ?? [], instanceTags: vpg.instances.tags ?? {} };
  const instances = await findProtectedInstances(selector, deps.ec2);
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
  const volumes = await deps.ec2.describeVolumes({ ids: volumeIds });
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

  const agent = workerNetwork(config, 'agent');
  checks.push(
    ...(await workerKindChecks(
      {
        vpg: vpg.name,
        kind: 'zSAT',
        zones,
        subnets: agent,
        templateName: workerLaunchTemplateName(config.siteId, 'zsat'),
        typesKey: 'agent.instanceTypes',
        instanceTypes: instanceTypesOf(config.agent),
        region: deps.region,
      },
      { subnets: deps.ec2, facts: deps.facts },
    )),
  );
  checks.push(...(await failbackChecks(config, vpg, volumes, deps)));
  checks.push(...(await kmsChecksOf(config, vpg, runtime, volumes, deps)));
  return { runtime, volumes };
}

/**
 * Where a failback writes (runtime/core/failback/recovery-site.ts): the recovery subnet's zone, else the first existing
 * importer subnet's; else a default subnet's, which a region with a default VPC has in every zone (the source volumes'
 * zone stands for it here).
 */
async function failbackChecks(config: SiteConfig, vpg: VpgConfig, volumes: readonly VolumeInfo[], deps: VpgDeps): Promise<DoctorCheck[]> {
  const out: DoctorCheck[] = [];
  const importer = workerNetwork(config, 'importer');
  const importerSubnets = new Map((await deps.ec2.describeSubnets(importer.subnetIds)).map((s) => [s.subnetId, s.availabilityZone]));
  const firstImporterZone = importer.subnetIds.map((id) => importerSubnets.get(id)).find((z) => z !== undefined);
  let zone = firstImporterZone ?? volumes[0]?.availabilityZone;
  const recoverySubnet = vpg.recovery.subnetId;
  if (recoverySubnet) {
    const [subnet] = await deps.ec2.describeSubnets([recoverySubnet]);
    if (!subnet)
      return [
        problem(
          vpg.name,
          'recovery subnet',
          `vpgs[i].recovery.subnetId ${recoverySubnet} does not exist in ${deps.region}`,
          'set vpgs[i].recovery.subnetId to a subnet of the recovery VPC',
        ),
      ];
    zone = subnet.availabilityZone;
    out.push(ok(vpg.name, 'recovery subnet', `recovered VMs launch in ${recoverySubnet} (${zone})`));
  } else if (zone) {
    const fallback = await deps.ec2.defaultSubnet(zone);
    if (!fallback)
      out.push(
        problem(
          vpg.name,
          'recovery subnet',
          `recovered VMs would launch in the default subnet of ${zone}, and there is none (no default VPC in ${deps.region})`,
          `set vpgs[i].recovery.subnetId for VPG ${vpg.name} and deploy again`,
        ),
      );
    else
      out.push(ok(vpg.name, 'recovery subnet', `recovered VMs launch in the default subnet ${fallback} of ${zone} (set vpgs[i].recovery.subnetId to choose)`));
  }
  if (!zone) return out;
  out.push(
    ...(await workerKindChecks(
      {
        vpg: vpg.name,
        kind: 'ZImporter',
        zones: [zone],
        subnets: importer,
        templateName: workerLaunchTemplateName(config.siteId, 'zimporter'),
        typesKey: 'importer.instanceTypes',
        instanceTypes: instanceTypesOf(config.importer),
        region: deps.region,
      },
      { subnets: deps.ec2, facts: deps.facts },
    )),
  );
  return out;
}

async function kmsChecksOf(
  config: SiteConfig,
  vpg: VpgConfig,
  runtime: VpgRuntime | null,
  volumes: readonly VolumeInfo[],
  deps: VpgDeps,
): Promise<DoctorCheck[]> {
  const keys = new Map<string, string>();
  for (const v of volumes) if (v.kmsKeyId && !keys.has(v.kmsKeyId)) keys.set(v.kmsKeyId, `volume ${v.volumeId}`);
  if (volumes.some((v) => !v.kmsKeyId)) {
    // zSAT volumes made from an unencrypted snapshot get the account's default key when encryption by default is on
    const byDefault = await deps.facts.ebsDefaultKey();
    if (byDefault.byDefault && byDefault.keyId && !keys.has(byDefault.keyId))
      keys.set(byDefault.keyId, "the account's default EBS key (encryption by default is on)");
  }
  const roles = [
    ...(runtime?.syncStepRoleArn ? [{ what: 'the sync steps', roleArn: runtime.syncStepRoleArn, ebsDirectReads: true }] : []),
    ...(runtime?.failbackStepRoleArn ? [{ what: 'the failback steps', roleArn: runtime.failbackStepRoleArn, ebsDirectReads: false }] : []),
  ];
  return keyChecks({ vpg: vpg.name, keys, configuredKeyArns: config.kms?.keyArns, roles, region: deps.region }, deps.clients.kms, deps.clients.iam);
}

async function quotaChecks(clients: DoctorClients, facts: Ec2Facts, needs: readonly VcpuNeed[]): Promise<DoctorCheck[]> {
  if (needs.length === 0) return [];
  const quota = await standardVcpuQuota(clients.quotas).catch(failed);
  const live = await facts.liveInstanceTypes();
  const sizes = await facts.instanceTypes([...live.keys()].filter(isStandardType));
  const inUse = [...live].reduce((sum, [type, count]) => sum + (sizes.get(type)?.vcpus ?? 0) * count, 0);
  return vcpuChecks(quota, needs, inUse);
}
