/** CreateSnapshots and CheckSnapshots: one crash-consistent snapshot set per protected instance, then wait for it. */
import type { BeginOutput, SnapshotsOutput, SnapshotStepInput, VpgRuntime } from './contract';
import { NotReady, SyncFailed } from '../errors';
import { isOurs, TAG, tagsFor } from '../tags';
import { executionName } from './ids';
import { placeWorkers } from '../workers/subnets';
import { clampWait, MIN_WAIT_SECONDS, snapshotWaitSeconds } from '../workers/wait-policy';
import type { StepDepsWith } from './deps';
import { SNAPSHOT_POLL_BUDGET, snapshotBudgetExceeded } from './history-budget';

function volumesByInstance(begin: BeginOutput): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const v of begin.volumes) out.set(v.instanceId, [...(out.get(v.instanceId) ?? []), v.volumeId]);
  return out;
}

/**
 * CreateSnapshots takes no client token, so a retried step first looks for this sync's snapshots of the
 * instance (by tags) and creates a set only when there is none.
 */
export async function createSnapshots(input: SnapshotStepInput, deps: StepDepsWith<'ec2'>): Promise<SnapshotsOutput> {
  const { siteId } = deps.env;
  const vpg = input.vpg.name;
  const { syncId, generation } = input.begin;
  // every zone with protected volumes needs a subnet for its zSAT: checked before a snapshot is taken or anything made
  const zones = input.begin.volumes.map((v) => v.availabilityZone);
  const { problems } = await placeWorkers(zones, deps.env.zsatSubnets, deps.ec2, deps.env.region ?? 'this region');
  if (problems.length > 0) throw new SyncFailed(`no zSAT can launch: ${problems.join('; ')}`);
  const snapshots: Record<string, string> = {};
  for (const [instanceId, volumeIds] of volumesByInstance(input.begin)) {
    const existing = (await deps.ec2.describeSnapshots({ tags: { [TAG.vpg]: vpg, [TAG.syncId]: syncId, [TAG.sourceInstance]: instanceId } })).filter(
      (s) => isOurs(s.tags, siteId, vpg) && s.state !== 'error',
    );
    let created: Array<{ snapshotId: string; volumeId: string }>;
    if (existing.length > 0) {
      created = existing.map((s) => ({ snapshotId: s.snapshotId, volumeId: s.volumeId }));
      deps.log.info('snapshot set already exists (retried step)', { instanceId, snapshots: created.length });
    } else {
      const tags = tagsFor(siteId, 'sync-snapshot', 'snapshot', {
        [TAG.vpg]: vpg,
        [TAG.syncId]: syncId,
        [TAG.executionId]: executionName(input.executionId),
        [TAG.generation]: String(generation),
        [TAG.sourceInstance]: instanceId,
      });
      created = await deps.ec2.createSnapshots(instanceId, tags);
      deps.log.info('snapshot set created', { instanceId, snapshots: created.map((c) => c.snapshotId) });
    }
    for (const volumeId of volumeIds) {
      const snap = created.find((c) => c.volumeId === volumeId);
      if (!snap) throw new NotReady(`no snapshot of volume ${volumeId} (instance ${instanceId}) is visible yet`);
      snapshots[volumeId] = snap.snapshotId;
    }
  }
  return { ready: false, waitSeconds: firstWait(input.vpg), snapshots, polls: 0 };
}

function firstWait(vpg: VpgRuntime): number {
  return clampWait(vpg.pollSeconds, vpg.pollSeconds);
}

export async function checkSnapshots(input: SnapshotStepInput & { snapshots: SnapshotsOutput }, deps: StepDepsWith<'ec2'>): Promise<SnapshotsOutput> {
  const wanted = input.snapshots.snapshots;
  const ids = Object.values(wanted);
  const found = new Map((await deps.ec2.describeSnapshots({ ids })).map((s) => [s.snapshotId, s]));
  const failed = Object.entries(wanted).filter(([, id]) => found.get(id)?.state === 'error');
  if (failed.length > 0) {
    const causes = failed.map(
      ([volumeId, id]) => `snapshot ${id} of volume ${volumeId} failed${found.get(id)?.stateMessage ? `: ${found.get(id)?.stateMessage}` : ''}`,
    );
    throw new SyncFailed(causes.join('; '));
  }
  const now = deps.now();
  const polls = (input.snapshots.polls ?? 0) + 1;
  const pending = ids.filter((id) => found.get(id)?.state !== 'completed');
  if (pending.length === 0) return { ready: true, waitSeconds: MIN_WAIT_SECONDS, snapshots: wanted, polls };
  // Not completed after the budget (stuck pending, or deleted into the Recycle Bin: 'recoverable', 'recovering';
  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Snapshot.html): fail through the cleanup, which
  // frees the VPG's lease, rather than hold it for as long as the snapshot stays so.
  if (polls >= SNAPSHOT_POLL_BUDGET) {
    const volumeOf = new Map(Object.entries(wanted).map(([volumeId, id]) => [id, volumeId]));
    const waiting = pending.map((id) => ({
      snapshotId: id,
      volumeId: volumeOf.get(id) ?? '?',
      state: found.get(id)?.state ?? 'not visible',
      startTime: found.get(id)?.startTime,
    }));
    throw new SyncFailed(snapshotBudgetExceeded(waiting, polls));
  }
  // A snapshot not visible yet (EC2 is eventually consistent) counts as just started.
  const progress = pending.map((id) => found.get(id) ?? { progress: 0, startTime: now.toISOString() });
  const waitSeconds = snapshotWaitSeconds(progress, now, input.vpg.pollSeconds);
  deps.log.info('snapshots pending', { pending: pending.length, of: ids.length, waitSeconds });
  return { ready: false, waitSeconds, snapshots: wanted, polls };
}
