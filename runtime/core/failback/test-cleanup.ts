/**
 * `lifeboat failback-cleanup`: removes a VPG's test recovered VMs (role recovered-vm, a test expiry tag, our
 * Owner, the VPG) and their volumes. Every terminate and delete re-checks those tags right before it.
 */
import { NotFound } from '../errors';
import { judgeLeftovers } from '../cleanup/execution-proof';
import type { ExecutionStatePort } from '../lease/lease-guard';
import type { Ec2Port } from '../ports';
import { isOurs, TAG, type Tags } from '../tags';

export interface TestCleanupReport {
  readonly terminatedInstances: readonly string[];
  readonly deletedVolumes: readonly string[];
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

export async function removeTestRecoveredVms(
  ec2: Ec2Port,
  scope: { siteId: string; vpg: string; failbacks: FailbackExecutions },
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
  return { terminatedInstances, deletedVolumes, volumesLeft: waiting, refused };
}
