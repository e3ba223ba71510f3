/**
 * The chaos suite's races and interruptions around one sync, each through what the offline cloud offers (it
 * knows nothing of Lifeboat) or what a person could do:
 * - two syncs started at once while ListExecutions lags (the cloud's consistency fault);
 * - StopExecution while CompactJournal's Lambda runs (it runs on), then the next sync started at once;
 * - the sweeper invoked by hand with grace 0 while a zSAT reads;
 * - the cloud restarted while a sync runs, between two of its steps;
 * - the journal aged: every committed checkpoint made two hours older (their manifests and summaries rewritten,
 *   as a clock two hours ahead would show them), so the next sync's compaction (1 h journal) drops them.
 */
import { DescribeExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { S3Coordination } from '../../runtime/aws/s3-coordination';
import type { S3ReplicaStore } from '../../runtime/aws/s3-replica-store';
import { currentLease } from '../../runtime/core/lease/lease-guard';
import { checkpointKey, checkpointSummaryKey } from '../../runtime/core/store/format';
import type { CheckpointManifest, CheckpointSummary } from '../../runtime/core/store/port';
import { TAG } from '../../runtime/core/tags';
import { CHAOS_SITE, CHAOS_VPG, type ChaosSite } from './chaos-site';
import { sweeperFunctionName, vpgStepFunctionName } from '../../runtime/core/resource-names';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** True once one of this site's zSATs runs (never a look-alike: the suite seeds one with another Owner). */
export async function ownZsatRunning(site: ChaosSite): Promise<boolean> {
  const found = await site.ec2.send(
    new DescribeInstancesCommand({
      Filters: [
        { Name: `tag:${TAG.role}`, Values: ['zsat'] },
        { Name: `tag:${TAG.owner}`, Values: [CHAOS_SITE] },
        { Name: `tag:${TAG.vpg}`, Values: [CHAOS_VPG] },
        { Name: 'instance-state-name', Values: ['pending', 'running'] },
      ],
    }),
  );
  return (found.Reservations ?? []).some((r) => (r.Instances ?? []).length > 0);
}

async function running(site: ChaosSite, executionArn: string): Promise<boolean> {
  return (await site.sfn.send(new DescribeExecutionCommand({ executionArn }))).status === 'RUNNING';
}

/** Waits until one of the sync's zSATs runs; false if the execution ended first. */
export async function untilZsatRuns(site: ChaosSite, executionArn: string): Promise<boolean> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (await ownZsatRunning(site)) return true;
    if (!(await running(site, executionArn))) return false;
    await sleep(20);
  }
  return false;
}

/** Stops the execution once one of its zSATs runs (resources exist that only the sweeper can now take). */
export async function stopMidRead(site: ChaosSite, executionArn: string): Promise<boolean> {
  if (!(await untilZsatRuns(site, executionArn))) return false;
  await site.sfn.send(new StopExecutionCommand({ executionArn, error: 'Chaos', cause: 'stopped from outside by the chaos suite' }));
  return true;
}

/** Arms a StopExecution for the moment CompactJournal's Lambda of `executionArn` is invoked; resolves true once sent. */
export function stopWhenCompacting(site: ChaosSite, executionArn: () => string | undefined): { stopped: Promise<boolean>; disarm(): void } {
  const fn = vpgStepFunctionName(CHAOS_SITE, CHAOS_VPG, 'compact-journal');
  let resolve!: (v: boolean) => void;
  const stopped = new Promise<boolean>((r) => (resolve = r));
  const previous = site.cloud.sfn.onInvoke;
  site.cloud.sfn.onInvoke = (config, payload) => {
    previous?.(config, payload);
    const arn = executionArn();
    if (config.name !== fn || !arn || (payload as { executionId?: string }).executionId !== arn) return;
    site.cloud.sfn.onInvoke = previous;
    void site.sfn.send(new StopExecutionCommand({ executionArn: arn, error: 'Chaos', cause: 'stopped while compacting the journal' })).then(
      () => resolve(true),
      () => resolve(false),
    );
  };
  return {
    stopped,
    disarm: () => {
      site.cloud.sfn.onInvoke = previous;
      resolve(false);
    },
  };
}

/** The sweeper invoked as a person would (grace 0), once one of the sync's zSATs reads. */
export async function sweepDuringSync(site: ChaosSite, executionArn: string): Promise<boolean> {
  if (!(await untilZsatRuns(site, executionArn))) return false;
  await site.cloud.sfn.invokeFunction(sweeperFunctionName(CHAOS_SITE), { graceMinutes: 0 });
  return true;
}

/**
 * Restarts the cloud while the sync runs, at a moment none of its steps is in a Lambda (its lease lists no
 * step): the execution comes back FAILED with no cleanup run, as a control-plane loss would leave it.
 */
export async function restartMidExecution(site: ChaosSite, executionArn: string): Promise<boolean> {
  if (!(await untilZsatRuns(site, executionArn))) return false;
  const coordination = new S3Coordination((await site.store()).bucket, site.s3);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const lease = await currentLease({ lease: coordination }, CHAOS_VPG);
    if (!(await running(site, executionArn))) return false;
    if (lease?.holder?.executionArn === executionArn && Object.keys(lease.steps).length === 0) {
      await site.restart();
      return true;
    }
    await sleep(5);
  }
  return false;
}

/** Makes every committed checkpoint `hours` older (manifest and summary), as a clock that far ahead would see them. */
export async function ageCheckpoints(store: S3ReplicaStore, hours: number): Promise<string[]> {
  const aged: string[] = [];
  for (const c of await store.listCheckpoints(CHAOS_VPG)) {
    const older = new Date(Date.parse(c.createdAt) - hours * 3600_000).toISOString();
    const manifest = await store.getJson<CheckpointManifest>(checkpointKey(CHAOS_VPG, c.id));
    const summary = await store.getJson<CheckpointSummary>(checkpointSummaryKey(CHAOS_VPG, c.id));
    if (!manifest) continue;
    if (summary) await store.putJson(checkpointSummaryKey(CHAOS_VPG, c.id), { ...summary, createdAt: older });
    await store.putJson(checkpointKey(CHAOS_VPG, c.id), { ...manifest, createdAt: older });
    aged.push(c.id);
  }
  return aged;
}
