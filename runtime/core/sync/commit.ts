/** Commit: merge the agents' results into the checkpoint manifest and write it last; only then is the checkpoint visible. */
import type { CommitOutput, CommitStepInput } from './contract';
import type { AgentResult, BlockPlan, BlockRef, ReadJob } from '../workers/agent-job';
import { verifyResultsCoverPlans, zeroBlocksGoneSinceParent } from './checkpoint-build';
import { SyncFailed } from '../errors';
import { commitMetrics, METRICS_LOG_MESSAGE } from '../monitoring/metrics';
import { buildManifest, planKey, syncFactsKey } from '../store/format';
import { syncFactsSchema, type SyncFacts } from '../store/instance-facts';
import type { StepDepsWith } from './deps';

/** Commit reads the agents' results from the store and the snapshots' times from EC2. */
type CommitDeps = StepDepsWith<'store' | 'ec2'>;
import { restoreProblems, summarizeProblems } from './integrity-check';

async function readResults(input: CommitStepInput, deps: Pick<CommitDeps, 'store'>): Promise<AgentResult[]> {
  const results: AgentResult[] = [];
  for (const zsat of input.plan.zsats) {
    const job = await deps.store.getJson<ReadJob>(zsat.jobKey);
    if (!job) throw new SyncFailed(`commit refused: the read job ${zsat.jobKey} is missing`);
    const result = await deps.store.getJson<AgentResult>(job.resultKey);
    if (!result) throw new SyncFailed(`commit refused: zSAT ${zsat.index} (job ${job.jobId}) wrote no result`);
    results.push(result);
  }
  return results;
}

/** The checkpoint's point in time: the last snapshot's start, so no volume holds data from after it. */
async function snapshotTime(input: CommitStepInput, deps: Pick<CommitDeps, 'ec2'>): Promise<string> {
  const ids = Object.values(input.snapshots.snapshots);
  const found = await deps.ec2.describeSnapshots({ ids });
  if (found.length !== ids.length) throw new SyncFailed(`commit refused: ${ids.length - found.length} of this sync's snapshots cannot be described`);
  return new Date(Math.max(...found.map((s) => Date.parse(s.startTime)))).toISOString();
}

/** Volumes read in full under an existing parent: blocks the parent holds that are no longer allocated become zeros. */
async function fillTrimmedSinceParent(input: CommitStepInput, results: AgentResult[], deps: Pick<CommitDeps, 'store'>): Promise<AgentResult[]> {
  const parentId = input.begin.parentCheckpointId;
  const fullUnderParent = new Set(input.begin.volumes.filter((v) => v.baseSnapshotId === null).map((v) => v.volumeId));
  if (!parentId || fullUnderParent.size === 0) return results;
  const parent = await deps.store.getCheckpoint(input.vpg.name, parentId);
  if (!parent) throw new SyncFailed(`commit refused: the parent checkpoint ${parentId} is gone`);
  const parentMaps = new Map<string, Map<number, BlockRef>>();
  for (const volumeId of fullUnderParent) {
    if (!parent.volumes.some((v) => v.sourceVolumeId === volumeId)) continue; // new to the VPG: nothing to zero
    parentMaps.set(volumeId, await deps.store.resolveVolume(input.vpg.name, parentId, volumeId));
  }
  const adjust = (volumeId: string, blocks: Readonly<Record<string, BlockRef>>) => {
    const parent = parentMaps.get(volumeId);
    return parent && parent.size > 0 ? zeroBlocksGoneSinceParent(blocks, parent) : blocks;
  };
  const adjusted = results.map((r) => ({ ...r, volumes: r.volumes.map((v) => ({ ...v, blocks: adjust(v.sourceVolumeId, v.blocks) })) }));
  // A volume with no read job at all (nothing allocated) still has to zero what the parent held.
  const unread = [...fullUnderParent].filter((id) => !results.some((r) => r.volumes.some((v) => v.sourceVolumeId === id)));
  const extra = unread
    .map((id) => ({ sourceVolumeId: id, blocks: adjust(id, {}), blocksRead: 0, bytesRead: 0, bytesStored: 0 }))
    .filter((v) => Object.keys(v.blocks).length > 0);
  return extra.length > 0 ? [...adjusted, { jobId: 'parent-zeroing', volumes: extra, packs: [] }] : adjusted;
}

/** Begin's record of the instances' launch facts; a sync begun before it was written (or a bad file) commits without them. */
async function readFacts(input: CommitStepInput, deps: Pick<CommitDeps, 'store' | 'log'>): Promise<SyncFacts | null> {
  const raw = await deps.store.getJson<unknown>(syncFactsKey(input.vpg.name, input.begin.syncId));
  const parsed = syncFactsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  deps.log.warn('no launch facts for this checkpoint: a recovery launches its VMs without them', {
    reason: raw === null ? 'Begin recorded none' : parsed.error.issues[0]?.message,
  });
  return null;
}

export async function commitSync(input: CommitStepInput, deps: CommitDeps): Promise<CommitOutput> {
  const vpg = input.vpg.name;
  const { syncId, parentCheckpointId } = input.begin;
  const results = await readResults(input, deps);
  const plans: BlockPlan[] = [];
  for (const v of input.begin.volumes) {
    const plan = await deps.store.getJson<BlockPlan>(planKey(vpg, syncId, v.volumeId));
    if (!plan) throw new SyncFailed(`commit refused: the block plan of volume ${v.volumeId} is missing`);
    plans.push(plan);
  }
  verifyResultsCoverPlans(plans, results);
  const facts = await readFacts(input, deps);

  const manifest = buildManifest({
    vpg,
    syncId,
    createdAt: await snapshotTime(input, deps),
    parentId: parentCheckpointId,
    full: parentCheckpointId === null,
    volumes: input.begin.volumes.map((v) => ({
      sourceVolumeId: v.volumeId,
      sourceInstanceId: v.instanceId,
      device: v.device,
      sizeBytes: v.sizeBytes,
      snapshotId: input.snapshots.snapshots[v.volumeId],
      ...(v.kmsKeyId ? { kmsKeyId: v.kmsKeyId } : {}),
      ...facts?.volumes[v.volumeId],
    })),
    results: await fillTrimmedSinceParent(input, results, deps),
    ...(facts ? { instances: facts.instances } : {}),
  });
  if (await deps.store.getCheckpoint(vpg, manifest.id)) {
    deps.log.info('checkpoint already committed (retried step)', { checkpointId: manifest.id });
  } else {
    // the manifest is written only if it would restore: its chain reaches a full checkpoint and every block it
    // resolves to is in a live pack (a pack compacted or damaged since the zSATs deduplicated against it is not)
    const problems = await restoreProblems(deps.store, vpg, manifest.id, manifest);
    if (problems.length > 0) {
      throw new SyncFailed(
        `commit refused: checkpoint ${manifest.id} would not restore: ${summarizeProblems(problems)}; the next sync reads every volume in full`,
      );
    }
    await deps.store.commitCheckpoint(manifest);
    deps.log.info('checkpoint committed', { checkpointId: manifest.id, parentId: manifest.parentId, leaseToken: input.begin.lease?.token });
  }
  const sum = (f: (v: AgentResult['volumes'][number]) => number) => results.reduce((n, r) => n + r.volumes.reduce((m, v) => m + f(v), 0), 0);
  const output: CommitOutput = {
    checkpointId: manifest.id,
    blocksPlanned: input.plan.blocksPlanned,
    blocksRead: sum((v) => v.blocksRead),
    bytesRead: sum((v) => v.bytesRead),
    bytesStored: sum((v) => v.bytesStored),
  };
  const figures = {
    checkpointAt: manifest.createdAt,
    startedAt: input.startedAt,
    bytesRead: output.bytesRead,
    bytesStored: output.bytesStored,
    blocksChanged: manifest.volumes.reduce((n, v) => n + v.blocksChanged, 0),
  };
  deps.log.info(METRICS_LOG_MESSAGE, commitMetrics({ site: deps.env.siteId, vpg }, figures, deps.now()));
  return output;
}
