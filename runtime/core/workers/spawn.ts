/** Spawning a worker (zSAT or ZImporter), for both roles: its target volumes, its job rewritten with their ids, its instance. */
import { NotFound, NotOurs } from '../errors';
import type { Ec2Port } from '../ports';
import type { StepDepsWith } from '../sync/deps';
import { isOurs, TAG, tagsFor, type Tags } from '../tags';
import { MIN_WAIT_SECONDS } from './wait-policy';
import { launchWorker, workerLabel, type WorkerKind } from './launch';
import type { WorkerPollState } from './poll';
import { placementIn, type WorkerSubnets } from './subnets';

/** A spawn talks to EC2 (the template, the subnet, the instance) and the store (the job, the launch record). */
export type WorkerSpawnDeps = StepDepsWith<'ec2' | 'store'>;

/** Where the site's launch template of a role is named: the step environment's value and its variable. */
export interface WorkerTemplate {
  readonly name: string | undefined;
  readonly envVar: string;
}

/** The site's launch template of a role, proved the site's own before anything launches from it. */
export async function ourLaunchTemplate(
  kind: WorkerKind,
  template: WorkerTemplate,
  deps: { ec2: Pick<Ec2Port, 'findLaunchTemplate'>; env: { siteId: string } },
): Promise<string> {
  const { name } = template;
  const label = workerLabel(kind.role);
  if (!name) throw kind.fail(`the step environment names no ${label} launch template (${template.envVar})`);
  const found = await deps.ec2.findLaunchTemplate(name);
  if (!found) throw new NotFound(`the ${label} launch template ${name} does not exist`);
  if (!isOurs(found.tags, deps.env.siteId)) {
    throw new NotOurs(`launch template ${name} (${found.launchTemplateId}) is not tagged as site ${deps.env.siteId}'s: refusing to launch from it`);
  }
  return found.launchTemplateId;
}

/** What a role's volume creation is given: the worker's zone, its client token and its tags. */
export interface TargetVolume {
  readonly availabilityZone: string;
  readonly clientToken: string;
  readonly tags: Tags;
}

/** One worker to spawn; V: a volume of its job, Z: what locating it learned (at least its zone). */
export interface WorkerSpawn<V extends { readonly sourceVolumeId: string }, Z extends { readonly availabilityZone: string }> {
  readonly index: number;
  readonly jobKey: string;
  /** The zone its volumes go in, asked once the job is read; what else it learned reaches `createVolume`. */
  readonly locate: () => Promise<Z>;
  readonly subnets: WorkerSubnets;
  /** The execution's tags on all it creates besides ZERTO_TAG/Owner/role. */
  readonly bookkeeping: Tags;
  readonly volumeToken: (sourceVolumeId: string) => string;
  /** Creates one target volume (from a snapshot, or blank); `blocks`: what it plans to move, when known now. */
  readonly createVolume: (volume: V, target: TargetVolume, located: Z) => Promise<{ volumeId: string; blocks: number }>;
  readonly template: WorkerTemplate;
  readonly instanceTypes: readonly string[];
  readonly instanceToken: string;
  readonly securityGroupId?: string;
  readonly instanceProfileArn?: string;
}

export interface SpawnedWorker<V> {
  /** The keys both roles' first poll state has; each role adds its own. */
  readonly state: WorkerPollState & { readonly index: number; readonly launchedAt: string };
  /** The job's volumes with their targets, in the job's (and so the devices') order. */
  readonly volumes: ReadonlyArray<V & { readonly volumeId: string }>;
}

export async function spawnWorker<V extends { readonly sourceVolumeId: string }, Z extends { readonly availabilityZone: string }>(
  kind: WorkerKind,
  w: WorkerSpawn<V, Z>,
  deps: WorkerSpawnDeps,
): Promise<SpawnedWorker<V>> {
  const { siteId, bucket } = deps.env;
  const job = await deps.store.getJson<{ readonly volumes: readonly V[] }>(w.jobKey);
  if (!job) throw kind.fail(`the ${kind.jobName} ${w.jobKey} is missing from the store`);
  const located = await w.locate();
  const zone = located.availabilityZone;
  // before anything is created: a zone without a subnet fails here, naming the config key (Plan and Resolve checked it too)
  const placement = await placementIn(zone, w.subnets, deps.ec2, deps.env.region ?? 'this region', kind.fail);

  const volumes = [];
  let blocksTotal = 0;
  for (const jobVolume of job.volumes) {
    const target = {
      availabilityZone: zone,
      clientToken: w.volumeToken(jobVolume.sourceVolumeId),
      tags: tagsFor(siteId, kind.role, 'volume', { ...w.bookkeeping, [TAG.sourceVolume]: jobVolume.sourceVolumeId }),
    };
    const created = await w.createVolume(jobVolume, target, located);
    volumes.push({ ...jobVolume, volumeId: created.volumeId });
    blocksTotal += created.blocks;
  }
  // the agent learns its target volumes from its job; a retried spawn rewrites the same ids (client tokens)
  await deps.store.putJson(w.jobKey, { ...job, volumes });

  const instance = await launchWorker(
    {
      role: kind.role,
      index: w.index,
      siteId,
      bucket,
      jobKey: w.jobKey,
      launchTemplateId: await ourLaunchTemplate(kind, w.template, deps),
      instanceTypes: w.instanceTypes,
      clientToken: w.instanceToken,
      placement,
      securityGroupId: w.securityGroupId,
      instanceProfileArn: w.instanceProfileArn,
      bookkeeping: w.bookkeeping,
    },
    deps,
  );
  deps.log.info(`${workerLabel(kind.role)} launched`, { index: w.index, instanceId: instance.instanceId, volumes: volumes.map((v) => v.volumeId) });
  const state = {
    index: w.index,
    done: false,
    // Short first wait: the volumes are attached as soon as they and the instance are ready.
    waitSeconds: MIN_WAIT_SECONDS,
    instanceId: instance.instanceId,
    volumeIds: volumes.map((v) => v.volumeId),
    blocksDone: 0,
    blocksTotal,
    launchedAt: instance.launchTime || deps.now().toISOString(),
  };
  return { state, volumes };
}
