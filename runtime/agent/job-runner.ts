/**
 * Runs one AgentJob: a zSAT read or a ZImporter write, with its heartbeat. The result is written before
 * progress says 'done'; any error ends in progress 'failed' carrying a one-line message, then rethrows.
 */
import {
  ZERO_BLOCK,
  type AgentJob,
  type AgentResult,
  type BlockPlan,
  type BlockRef,
  type ImportJob,
  type ReadJob,
  type VolumeReadResult,
} from '../core/workers/agent-job';
import { blockCount, type ImportResult, type ImportVolumeResult } from '../core/store/format';
import { AlreadyExists } from '../aws/s3-errors';
import { devicePathFor, waitForDevice } from './device';
import { HashPool } from './hash-pool';
import { importVolume, planBlockMapWrite, type ImporterStore } from './importer';
import { jobScopeProblems, type JobContext } from './job-scope';
import { jsonLogger, oneLine, type Logger } from './log';
import { ProgressReporter, type ProgressCounts, type ProgressSink } from './progress';
import { ReadSession, type ReaderStore, type ReadTuning } from './reader';

export interface AgentStore extends ReaderStore, ImporterStore, ProgressSink {
  getJson<T>(key: string): Promise<T | null>;
  /** Write once: fails (AlreadyExists) when other content is already at the key. */
  createJson(key: string, value: unknown): Promise<void>;
  resolveVolume(vpg: string, checkpointId: string, sourceVolumeId: string): Promise<Map<number, BlockRef>>;
}

export interface RunOptions {
  readonly store: AgentStore;
  readonly log?: Logger;
  readonly env?: NodeJS.ProcessEnv;
  readonly deviceWaitMs?: number;
  /** How long the final progress write is retried (a store that is briefly down still hears the outcome). */
  readonly finalReportMs?: number;
  readonly tuning?: ReadTuning;
  readonly pool?: HashPool;
  /** Called after every progress step; tests inject faults at a chosen point through it. */
  readonly onStep?: (counts: Readonly<ProgressCounts>) => void;
}

/**
 * The job, checked before anything is written: its shape, and that every key it writes or reads is its own
 * (`context`: where it was fetched from, and the instance's VPG tag when readable). See job-scope.ts.
 */
export function validateJob(value: unknown, context: JobContext = {}): AgentJob {
  const job = value as Partial<AgentJob> | null;
  const problems: string[] = [];
  if (!job || typeof job !== 'object') throw new Error('the job is not a JSON object');
  if (job.kind !== 'read' && job.kind !== 'import') problems.push(`kind ${JSON.stringify(job.kind)} is neither 'read' nor 'import'`);
  for (const field of ['jobId', 'vpg', 'progressKey', 'resultKey'] as const) {
    if (typeof job[field] !== 'string' || !job[field]) problems.push(`${field} is missing`);
  }
  if (!job.store || typeof job.store.bucket !== 'string') problems.push('store.bucket is missing');
  if (!Array.isArray(job.volumes)) problems.push('volumes is not a list');
  if (!(Number(job.heartbeatSeconds) > 0)) problems.push('heartbeatSeconds is not a positive number');
  if (problems.length) throw new Error(`invalid agent job: ${problems.join('; ')}`);
  const outside = jobScopeProblems(job as AgentJob, context);
  if (outside.length) {
    const where = context.location ? ` s3://${context.location.bucket}/${context.location.key}` : '';
    throw new Error(`refusing agent job${where} (nothing was written): ${outside.join('; ')}`);
  }
  return job as AgentJob;
}

/** A job runs once: its result is created, never replaced. */
async function writeResult(job: AgentJob, store: AgentStore, result: AgentResult | ImportResult): Promise<void> {
  try {
    await store.createJson(job.resultKey, result);
  } catch (e) {
    if (!(e instanceof AlreadyExists)) throw e;
    throw new Error(
      `job ${job.jobId} of VPG ${job.vpg} already has a different result at ${job.resultKey}: a job runs once, and its result is never overwritten; start a new sync or failback`,
      { cause: e },
    );
  }
}

export async function runJob(job: AgentJob, options: RunOptions): Promise<AgentResult | ImportResult> {
  const log = (options.log ?? jsonLogger()).child({
    vpg: job.vpg,
    jobId: job.jobId,
    ...(job.kind === 'read' ? { syncId: job.syncId, executionId: job.executionId } : { executionId: job.executionId }),
  });
  const reporter = new ProgressReporter(options.store, job.progressKey, job.jobId, job.heartbeatSeconds, log);
  const pool = options.pool ?? new HashPool();
  try {
    log.info('job started', { kind: job.kind, volumes: job.volumes.length });
    await reporter.start();
    const result = job.kind === 'read' ? await runRead(job, options, reporter, pool, log) : await runImport(job, options, reporter, pool, log);
    await writeResult(job, options.store, result);
    await reporter.finish('done', undefined, options.finalReportMs);
    log.info('job done', { ...reporter.counts });
    return result;
  } catch (e) {
    const message = oneLine(e);
    log.error('job failed', { error: message });
    await reporter.finish('failed', message, options.finalReportMs).catch((w) => log.error('could not record the failure', { error: oneLine(w) }));
    throw e;
  } finally {
    if (!options.pool) await pool.close();
  }
}

async function runRead(job: ReadJob, options: RunOptions, reporter: ProgressReporter, pool: HashPool, log: Logger): Promise<AgentResult> {
  const plans: BlockPlan[] = [];
  for (const v of job.volumes) {
    const plan = await options.store.getJson<BlockPlan>(v.planKey);
    if (!plan) throw new Error(`block plan ${v.planKey} of volume ${v.sourceVolumeId} is missing from the store`);
    if (plan.sourceVolumeId !== v.sourceVolumeId) throw new Error(`block plan ${v.planKey} is for ${plan.sourceVolumeId}, not ${v.sourceVolumeId}`);
    plans.push(plan);
  }
  reporter.add({ blocksTotal: plans.reduce((n, p) => n + p.blocks.length, 0) });
  const session = await ReadSession.open({ store: options.store, vpg: job.vpg, pool, ...options.tuning });
  const volumes: VolumeReadResult[] = [];
  try {
    for (const [i, v] of job.volumes.entries()) {
      const device = await waitForDevice(devicePathFor(v.volumeId, options.env), v.volumeId, options.deviceWaitMs);
      log.info('reading volume', { volumeId: v.volumeId, sourceVolumeId: v.sourceVolumeId, device, blocks: plans[i].blocks.length });
      volumes.push(
        await session.readVolume(device, plans[i], (p) => {
          reporter.add({ blocksDone: p.blocks, bytesRead: p.bytesRead, bytesStored: p.bytesStored });
          options.onStep?.(reporter.counts);
        }),
      );
    }
  } catch (e) {
    await session.abort();
    throw e;
  }
  const packs = await session.finish();
  return { jobId: job.jobId, volumes, packs };
}

async function runImport(job: ImportJob, options: RunOptions, reporter: ProgressReporter, pool: HashPool, log: Logger): Promise<ImportResult> {
  // Every volume's map is resolved (manifests validated on read) and checked against the store before any
  // device is written: a corrupt or incomplete checkpoint leaves every target untouched.
  const maps: Array<Map<number, BlockRef>> = [];
  for (const v of job.volumes) maps.push(await options.store.resolveVolume(job.vpg, v.checkpointId, v.sourceVolumeId));
  const locations = await options.store.knownHashes(job.vpg);
  for (const [i, v] of job.volumes.entries()) {
    planBlockMapWrite({ blockMap: maps[i], sizeBytes: v.sizeBytes, vpg: job.vpg, checkpointId: v.checkpointId, store: options.store }, locations);
    const stored = [...maps[i].values()].filter((ref) => ref !== ZERO_BLOCK).length;
    reporter.add({ blocksTotal: (v.blank ?? true) ? stored : blockCount(v.sizeBytes) });
  }
  const volumes: ImportVolumeResult[] = [];
  for (const [i, v] of job.volumes.entries()) {
    const device = await waitForDevice(devicePathFor(v.volumeId, options.env), v.volumeId, options.deviceWaitMs);
    log.info('writing volume', { volumeId: v.volumeId, sourceVolumeId: v.sourceVolumeId, checkpointId: v.checkpointId, device });
    const stats = await importVolume({
      devicePath: device,
      blockMap: maps[i],
      sizeBytes: v.sizeBytes,
      store: options.store,
      vpg: job.vpg,
      blank: v.blank ?? true,
      checkpointId: v.checkpointId,
      pool,
      locations,
      onProgress: (p) => {
        reporter.add({ blocksDone: p.blocks, bytesRead: p.bytesWritten });
        options.onStep?.(reporter.counts);
      },
    });
    log.info('volume written', { volumeId: v.volumeId, ...stats });
    volumes.push({ volumeId: v.volumeId, sourceVolumeId: v.sourceVolumeId, checkpointId: v.checkpointId, ...stats });
  }
  return { jobId: job.jobId, volumes };
}
