/**
 * A job may touch only its own job's keys. The agent obeys its job file, so a hand-made job (or a bug) naming
 * `resultKey: vpgs/web/checkpoints/cp-….json` would overwrite a committed manifest; IAM refuses that too
 * (create-only writes under the job's prefix), and the agent refuses it first, before it writes anything.
 * Every key a job names must be exactly the one runtime/core/store/format.ts derives from the job's own ids.
 */
import type { AgentJob } from '../core/workers/agent-job';
import { importJobKey, importProgressKey, importResultKey, planKey, syncJobKey, syncProgressKey, syncResultKey, vpgPrefix } from '../core/store/format';

export interface JobContext {
  /** Where the job file was read from: it must be the job's own job key in the job's own store. */
  readonly location?: { readonly bucket: string; readonly key: string };
  /** The instance's `lifeboat:vpg` tag; null or absent when the instance has none or its tags are unreadable. */
  readonly instanceVpg?: string | null;
}

/** The key `derive` gives, or the reason it cannot be derived (an id that is no key segment). */
function derived(derive: () => string): { key: string } | { error: string } {
  try {
    return { key: derive() };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** What in the job lies outside its own job's keys; empty when all is its own. */
export function jobScopeProblems(job: AgentJob, context: JobContext): string[] {
  const problems: string[] = [];
  const expectKey = (field: string, actual: unknown, derive: () => string) => {
    const want = derived(derive);
    if ('error' in want) problems.push(`${field} cannot be checked: ${want.error}`);
    else if (actual !== want.key) problems.push(`${field} ${JSON.stringify(actual)} is not this job's own key (want ${want.key})`);
  };
  expectKey('store.prefix', job.store.prefix, () => vpgPrefix(job.vpg));
  if (job.kind === 'read') {
    expectKey('progressKey', job.progressKey, () => syncProgressKey(job.vpg, job.syncId, job.jobId));
    expectKey('resultKey', job.resultKey, () => syncResultKey(job.vpg, job.syncId, job.jobId));
    job.volumes.forEach((v, i) => expectKey(`volumes[${i}].planKey`, v?.planKey, () => planKey(job.vpg, job.syncId, v.sourceVolumeId)));
    if (context.location) expectKey('the job location', context.location.key, () => syncJobKey(job.vpg, job.syncId, job.jobId));
  } else {
    expectKey('progressKey', job.progressKey, () => importProgressKey(job.vpg, job.executionId, job.jobId));
    expectKey('resultKey', job.resultKey, () => importResultKey(job.vpg, job.executionId, job.jobId));
    if (context.location) expectKey('the job location', context.location.key, () => importJobKey(job.vpg, job.executionId, job.jobId));
  }
  if (context.location && context.location.bucket !== job.store.bucket) {
    problems.push(`store.bucket ${JSON.stringify(job.store.bucket)} is not the bucket the job was read from (${context.location.bucket})`);
  }
  if (context.instanceVpg && context.instanceVpg !== job.vpg) {
    problems.push(`the job is for VPG ${JSON.stringify(job.vpg)}, but this instance is tagged lifeboat:vpg=${context.instanceVpg}`);
  }
  return problems;
}
