/**
 * Drives the step handlers the way the sync state machine does (same paths: $.begin, $.snapshots, $.plan,
 * Map items with vpg/syncId/zsat/volumes/snapshots, $.commit, $.cleanup), over the in-memory fakes.
 * A fake agent stands in for the zSAT: it reads the job and plans from the store and writes result + progress.
 */
import { createHash } from 'node:crypto';
import { ZERO_BLOCK, type AgentProgress, type AgentResult, type BlockPlan, type BlockRef, type ReadJob } from '../../runtime/core/workers/agent-job';
import { beginStep } from '../../runtime/handlers/begin-handler';
import { checkSnapshotsStep } from '../../runtime/handlers/check-snapshots-handler';
import { cleanupFailedStep } from '../../runtime/handlers/cleanup-failed-handler';
import { cleanupStep } from '../../runtime/handlers/cleanup-handler';
import { commitStep } from '../../runtime/handlers/commit-handler';
import { createSnapshotsStep } from '../../runtime/handlers/create-snapshots-handler';
import { planStep } from '../../runtime/handlers/plan-handler';
import { pollZsatStep } from '../../runtime/handlers/poll-zsat-handler';
import { spawnZsatStep } from '../../runtime/handlers/spawn-zsat-handler';
import type { VpgRuntime } from '../../runtime/core/sync/contract';
import { EXECUTION, MACHINE, type MemoryStore, type World } from './fakes';
import { encodePackIndex } from '../../runtime/core/store/pack-index';

const BLOCK = 512 * 1024;

export const hashOf = (label: string): string => createHash('sha256').update(label).digest('hex');

export function steps(world: World) {
  const d = world.deps;
  return {
    begin: beginStep.withDeps(d),
    createSnapshots: createSnapshotsStep.withDeps(d),
    checkSnapshots: checkSnapshotsStep.withDeps(d),
    plan: planStep.withDeps(d),
    spawnZsat: spawnZsatStep.withDeps(d),
    pollZsat: pollZsatStep.withDeps(d),
    commit: commitStep.withDeps(d),
    cleanup: cleanupStep.withDeps(d),
    cleanupFailed: cleanupFailedStep.withDeps(d),
  };
}

/**
 * What an agent's packs leave in the store, without the bytes: the blocks the store lacks go into one pack (its
 * index, and its object as {"size": N}). Returns the pack keys an AgentResult lists.
 */
export async function storeFakePack(store: MemoryStore, vpg: string, refs: readonly string[]): Promise<string[]> {
  const known = new Set([...(await store.packIndexes(vpg)).indexes.values()].flatMap((i) => i.blocks.map((b) => b.hash)));
  const fresh = [...new Set(refs)].filter((h) => h !== ZERO_BLOCK && !known.has(h)).sort();
  if (fresh.length === 0) return [];
  const packId = hashOf(fresh.join('\n'));
  store.objects.set(`vpgs/${vpg}/packs/${packId}.pack`, JSON.stringify({ size: fresh.length * BLOCK }));
  store.objects.set(`vpgs/${vpg}/packs/${packId}.idx.json`, encodePackIndex(fresh.map((hash, i) => ({ hash, offset: i * BLOCK, length: BLOCK }))));
  return [`packs/${packId}.pack`];
}

/** The zSAT's work: every planned block's reference (content hash, or zero where the snapshot has no block). */
export async function runFakeAgent(world: World, jobKey: string, opts: { skipBlock?: number; noPacks?: boolean } = {}): Promise<void> {
  const job = (await world.store.getJson<ReadJob>(jobKey))!;
  const volumes = [];
  for (const v of job.volumes) {
    const plan = (await world.store.getJson<BlockPlan>(v.planKey))!;
    const content = world.ebs.blocks.get(plan.snapshotId) ?? new Map<number, string>();
    const blocks: Record<string, BlockRef> = {};
    for (const b of plan.blocks) if (b !== opts.skipBlock) blocks[String(b)] = content.has(b) ? hashOf(content.get(b)!) : ZERO_BLOCK;
    volumes.push({ sourceVolumeId: v.sourceVolumeId, blocks, blocksRead: plan.blocks.length, bytesRead: plan.blocks.length * 524288, bytesStored: 0 });
  }
  const packs = opts.noPacks
    ? []
    : await storeFakePack(
        world.store,
        job.vpg,
        volumes.flatMap((v) => Object.values(v.blocks)),
      );
  const result: AgentResult = { jobId: job.jobId, volumes, packs };
  await world.store.putJson(job.resultKey, result);
  const total = volumes.reduce((n, v) => n + v.blocksRead, 0);
  const progress: AgentProgress = {
    jobId: job.jobId,
    state: 'done',
    updatedAt: world.clock.now().toISOString(),
    blocksTotal: total,
    blocksDone: total,
    bytesRead: 0,
    bytesStored: 0,
  };
  await world.store.putJson(job.progressKey, progress);
}

/** Snapshot contents for the fake EBS: each new snapshot copies its volume's current blocks. */
export function captureContents(world: World, disks: Map<string, Map<number, string>>): void {
  for (const s of world.ec2.snapshots.values()) {
    if (!world.ebs.blocks.has(s.snapshotId)) world.ebs.blocks.set(s.snapshotId, new Map(disks.get(s.volumeId) ?? []));
  }
}

// The state machine's payload is loosely typed JSON; the driver keeps it that way.

export type State = Record<string, any>;

/** Init..Plan of a sync as the state machine runs them (its execution running); the state so far. */
export async function syncThroughPlan(world: World, vpg: VpgRuntime, disks: Map<string, Map<number, string>>, execution = EXECUTION): Promise<State> {
  const s = steps(world);
  const state: State = { vpg, executionId: execution, stateMachineArn: MACHINE, startedAt: world.clock.now().toISOString() };
  world.executions.running = [{ executionArn: execution, name: execution.split(':').pop()!, startDate: state.startedAt }];
  world.executions.known.add(execution);
  state.begin = await s.begin(state);
  if (state.begin.skipped) return state;
  state.snapshots = await s.createSnapshots(state);
  captureContents(world, disks);
  world.ec2.settleAll();
  state.snapshots = await s.checkSnapshots(state);
  if (!state.snapshots.ready) throw new Error('snapshots should be ready');
  state.plan = await s.plan(state);
  return state;
}

/** Runs one whole sync through the handlers; returns the final state. */
export async function runSync(
  world: World,
  vpg: VpgRuntime,
  disks: Map<string, Map<number, string>>,
  execution = EXECUTION,
  hooks: { beforeCommit?: () => void } = {},
): Promise<State> {
  const s = steps(world);
  const state = await syncThroughPlan(world, vpg, disks, execution);
  if (state.begin.skipped) return state;
  state.zsats = [];
  for (const assignment of state.plan.zsats) {
    // as the Map's ItemSelector builds it
    const item: State = {
      vpg,
      syncId: state.begin.syncId,
      executionId: execution,
      lease: state.begin.lease,
      zsat: assignment,
      volumes: state.begin.volumes,
      snapshots: state.snapshots.snapshots,
    };
    item.zsat = await s.spawnZsat(item);
    world.ec2.settleAll();
    item.zsat = await s.pollZsat(item); // attaches
    await runFakeAgent(world, assignment.jobKey);
    item.zsat = await s.pollZsat(item);
    if (!item.zsat.done) throw new Error('zSAT should be done');
    state.zsats.push(item.zsat);
  }
  hooks.beforeCommit?.();
  state.commit = await s.commit(state);
  state.cleanup = await s.cleanup(state);
  world.executions.running = [];
  return state;
}
