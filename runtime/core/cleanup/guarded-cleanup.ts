/**
 * Carries out a cleanup selection. Before every destructive call the resource's tags are fetched again and
 * checked (ownership is a security boundary, checked at the moment of the call, not from a stale listing);
 * NotFound means already done, so a retried cleanup is harmless.
 */
import { errorMessage, NotFound } from '../errors';
import { ownershipRefusal, type CleanupSelection, type Refusal } from './cleanup-selection';
import type { CleanupOutput } from '../sync/contract';
import type { Tags } from '../tags';
import type { StepDepsWith } from '../sync/deps';

export interface CleanupReport extends CleanupOutput {
  /** zSAT volumes still attached when the bounded wait ran out: the next cleanup takes them. */
  readonly volumesLeft: readonly string[];
  readonly refused: readonly Refusal[];
  readonly errors: readonly string[];
}

export interface CleanupOptions {
  readonly vpg: string;
  /** How long to wait for terminated zSATs to release their volumes. */
  readonly detachWaitSeconds: number;
  /** Collect errors instead of throwing (the failure path must reach its Fail state with the original cause). */
  readonly tolerateErrors: boolean;
}

/** Volume polls back off from a quick first look (a terminate can be fast) to AWS-friendly 5 s. */
const FIRST_POLL_MS = 250;
const MAX_POLL_MS = 5000;

type Outcome = 'destroyed' | 'gone' | 'kept';

export async function carryOutCleanup(selection: CleanupSelection, deps: StepDepsWith<'ec2'>, opts: CleanupOptions): Promise<CleanupReport> {
  const scope = { siteId: deps.env.siteId, vpg: opts.vpg };
  const refused: Refusal[] = [...selection.refused];
  const errors: string[] = [];
  for (const r of selection.refused) deps.log.warn('refusing to touch a resource that is not ours', { ...r });

  /**
   * Runs `destroy` if fresh tags say the resource is ours. 'destroyed': this call removed it; 'gone': it was
   * already gone (NotFound, or removed by AWS itself, like a DeleteOnTermination volume); 'kept': refused or failed.
   */
  async function guarded(id: string, tagsNow: () => Promise<Tags | null>, destroy: () => Promise<void>): Promise<Outcome> {
    try {
      const tags = await tagsNow();
      if (tags === null) return 'gone';
      const refusal = ownershipRefusal(tags, scope);
      if (refusal) {
        refused.push({ id, reason: refusal });
        deps.log.warn('refusing to touch a resource that is not ours', { id, reason: refusal });
        return 'kept';
      }
      await destroy();
      return 'destroyed';
    } catch (err) {
      if (err instanceof NotFound) return 'gone';
      if (!opts.tolerateErrors) throw err;
      errors.push(`${id}: ${errorMessage(err)}`);
      return 'kept';
    }
  }

  const deletedSnapshots: string[] = [];
  for (const id of selection.snapshots) {
    const outcome = await guarded(
      id,
      async () => (await deps.ec2.describeSnapshots({ ids: [id] }))[0]?.tags ?? null,
      () => deps.ec2.deleteSnapshot(id),
    );
    if (outcome === 'destroyed') deletedSnapshots.push(id);
  }

  const terminatedInstances: string[] = [];
  for (const id of selection.instances) {
    const outcome = await guarded(
      id,
      async () => {
        const [i] = await deps.ec2.describeInstances({ ids: [id] });
        // one already shutting down (PollZsat ends a zSAT once it is done) is on its way: not terminated again
        return i && i.state !== 'terminated' && i.state !== 'shutting-down' ? i.tags : null;
      },
      () => deps.ec2.terminateInstances([id]),
    );
    if (outcome === 'destroyed') terminatedInstances.push(id);
  }

  // Volumes of terminated zSATs detach as the instances shut down: delete each once it is available.
  const deletedVolumes: string[] = [];
  let waiting = [...selection.volumes];
  let pollMs = FIRST_POLL_MS;
  const deadline = deps.now().getTime() + opts.detachWaitSeconds * 1000;
  for (;;) {
    const still: string[] = [];
    for (const id of waiting) {
      let inUse = false;
      const outcome = await guarded(
        id,
        async () => {
          const [v] = await deps.ec2.describeVolumes({ ids: [id] });
          if (!v || v.state === 'deleted' || v.state === 'deleting') return null;
          inUse = v.state === 'in-use' || v.state === 'creating' || v.attachments.some((a) => a.state !== 'detached');
          return v.tags;
        },
        async () => {
          if (!inUse) await deps.ec2.deleteVolume(id);
        },
      );
      if (outcome === 'destroyed' && !inUse) deletedVolumes.push(id);
      else if (outcome === 'destroyed' && inUse) still.push(id);
    }
    waiting = still;
    if (waiting.length === 0 || deps.now().getTime() >= deadline) break;
    await deps.sleep(Math.min(pollMs, Math.max(0, deadline - deps.now().getTime())));
    pollMs = Math.min(MAX_POLL_MS, pollMs * 2);
  }
  if (waiting.length > 0) deps.log.warn('zSAT volumes still attached; left for the next cleanup', { volumes: waiting });
  return { deletedSnapshots, deletedVolumes, terminatedInstances, volumesLeft: waiting, refused, errors };
}
