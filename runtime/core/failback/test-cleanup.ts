/**
 * `lifeboat failback-cleanup`: removes a VPG's test recovered VMs (role recovered-vm, a test expiry tag, our
 * Owner, the VPG), their volumes, and the images they booted with those images' snapshots. Every terminate,
 * deregistration and delete re-checks those tags right before it. Live and failover VMs carry no test expiry tag:
 * they, and their images, are never touched here.
 */
import { NotFound } from '../errors';
import { judgeLeftovers } from '../cleanup/execution-proof';
import type { ExecutionStatePort } from '../lease/lease-guard';
import type { Ec2Port } from '../ports';
import type { ImagesPort } from './recovery-ports';
import { isOurs, TAG, type Tags } from '../tags';

export interface TestCleanupReport {
  readonly terminatedInstances: readonly string[];
  readonly deletedVolumes: readonly string[];
  readonly deregisteredImages: readonly string[];
  /** The deregistered images' snapshots (the recovered copies they were registered from). */
  readonly deletedSnapshots: readonly string[];
  /** Volumes still attached when the wait ran out. */
  readonly volumesLeft: readonly string[];
  /** Test VMs with our tags that no failback execution of this VPG made (look-alikes), left alone. */
  readonly refused: ReadonlyArray<{ readonly id: string; readonly reason: string }>;
}

/** Where the VPG's failback executions are: a test VM is removed only if one of them made it. */
export interface FailbackExecutions {
  readonly stateMachineArn: string;
  readonly executions: ExecutionStatePort;
}

/** Why a test VM with these tags is not provably made by one of the VPG's failbacks, or null. */
async function notMadeByUs(id: string, tags: Tags, failbacks: FailbackExecutions): Promise<string | null> {
  const machines = { sync: failbacks.stateMachineArn, failback: failbacks.stateMachineArn };
  const verdict = (await judgeLeftovers(failbacks.executions, machines, [{ id, tags }])).get(id)!;
  return verdict.kind === 'refused' ? verdict.reason : null;
}

/** A test recovered VM (or its volume) of this site and VPG. */
export function isTestRecovered(tags: Tags, siteId: string, vpg: string): boolean {
  return isOurs(tags, siteId, vpg) && tags[TAG.role] === 'recovered-vm' && !!tags[TAG.testExpiresAt];
}

/** Deregisters the VPG's test images a failback of it made; the snapshots they named, now free to delete. */
async function removeTestImages(
  images: ImagesPort,
  query: { tags: Tags },
  scope: { siteId: string; vpg: string; failbacks: FailbackExecutions },
  refused: Array<{ id: string; reason: string }>,
): Promise<{ deregistered: string[]; kept: Set<string> }> {
  const deregistered: string[] = [];
  const kept = new Set<string>();
  for (const listed of await images.describeImages(query)) {
    if (!isTestRecovered(listed.tags, scope.siteId, scope.vpg)) continue;
    const [fresh] = await images.describeImages({ ids: [listed.imageId] });
    if (!fresh) continue;
    const why = isTestRecovered(fresh.tags, scope.siteId, scope.vpg) ? await notMadeByUs(fresh.imageId, fresh.tags, scope.failbacks) : 'its tags changed';
    if (why) {
      refused.push({ id: fresh.imageId, reason: why });
      for (const d of fresh.devices) if (d.snapshotId) kept.add(d.snapshotId);
      continue;
    }
    await images.deregisterImage(fresh.imageId);
    deregistered.push(fresh.imageId);
  }
  return { deregistered, kept };
}

/** Test snapshots of recovered volumes (their images' backing), tag-checked right before each delete. */
async function removeTestSnapshots(
  ec2: Ec2Port,
  query: { tags: Tags },
  scope: { siteId: string; vpg: string; failbacks: FailbackExecutions },
  inUse: ReadonlySet<string>,
  refused: Array<{ id: string; reason: string }>,
): Promise<string[]> {
  const deleted: string[] = [];
  for (const listed of await ec2.describeSnapshots(query)) {
    if (inUse.has(listed.snapshotId) || !isTestRecovered(listed.tags, scope.siteId, scope.vpg)) continue;
    const why = await notMadeByUs(listed.snapshotId, listed.tags, scope.failbacks);
    if (why) {
      refused.push({ id: listed.snapshotId, reason: why });
      continue;
    }
    const [fresh] = await ec2.describeSnapshots({ ids: [listed.snapshotId] });
    if (!fresh || !isTestRecovered(fresh.tags, scope.siteId, scope.vpg)) continue;
    try {
      await ec2.deleteSnapshot(fresh.snapshotId);
      deleted.push(fresh.snapshotId);
    } catch (err) {
      if (!(err instanceof NotFound)) throw err;
    }
  }
  return deleted;
}

export async function removeTestRecoveredVms(
  ec2: Ec2Port,
  scope: { siteId: string; vpg: string; failbacks: FailbackExecutions; images: ImagesPort },
  opts: { waitMs?: number; sleep?: (ms: number) => Promise<void>; now?: () => number } = {},
): Promise<TestCleanupReport> {
  const refused: Array<{ id: string; reason: string }> = [];
  const { siteId, vpg } = scope;
  const sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  const now = opts.now ?? Date.now;
  const query = { tags: { [TAG.owner]: siteId, [TAG.vpg]: vpg, [TAG.role]: 'recovered-vm' } };
  const instances = (await ec2.describeInstances(query)).filter((i) => i.state !== 'terminated' && isTestRecovered(i.tags, siteId, vpg));
  const terminatedInstances: string[] = [];
  const volumeIds = new Set<string>();
  for (const instance of instances) {
    const [fresh] = await ec2.describeInstances({ ids: [instance.instanceId] });
    if (!fresh || fresh.state === 'terminated' || !isTestRecovered(fresh.tags, siteId, vpg)) continue;
    const why = await notMadeByUs(instance.instanceId, fresh.tags, scope.failbacks);
    if (why) {
      refused.push({ id: instance.instanceId, reason: why });
      continue;
    }
    for (const v of fresh.volumes) volumeIds.add(v.volumeId);
    await ec2.terminateInstances([instance.instanceId]);
    terminatedInstances.push(instance.instanceId);
  }
  for (const v of await ec2.describeVolumes(query)) {
    if (!isTestRecovered(v.tags, siteId, vpg) || volumeIds.has(v.volumeId)) continue;
    const why = await notMadeByUs(v.volumeId, v.tags, scope.failbacks);
    if (why) refused.push({ id: v.volumeId, reason: why });
    else volumeIds.add(v.volumeId);
  }

  // the images, then their snapshots (a snapshot an image names cannot be deleted); a running VM needs neither
  const images = await removeTestImages(scope.images, query, scope, refused);
  const deletedSnapshots = await removeTestSnapshots(ec2, query, scope, images.kept, refused);

  // volumes detach as the instances shut down (most are DeleteOnTermination and go by themselves)
  const deletedVolumes: string[] = [];
  let waiting = [...volumeIds];
  const deadline = now() + (opts.waitMs ?? 120_000);
  for (let pollMs = 250; waiting.length > 0; pollMs = Math.min(pollMs * 2, 5000)) {
    const still: string[] = [];
    for (const id of waiting) {
      const [v] = await ec2.describeVolumes({ ids: [id] });
      if (!v || v.state === 'deleted' || v.state === 'deleting') continue;
      if (!isTestRecovered(v.tags, siteId, vpg)) continue;
      if (v.state !== 'available') {
        still.push(id);
        continue;
      }
      try {
        await ec2.deleteVolume(id);
        deletedVolumes.push(id);
      } catch (err) {
        if (!(err instanceof NotFound)) throw err;
      }
    }
    waiting = still;
    if (waiting.length === 0 || now() >= deadline) break;
    await sleep(pollMs);
  }
  return { terminatedInstances, deletedVolumes, deregisteredImages: images.deregistered, deletedSnapshots, volumesLeft: waiting, refused };
}
