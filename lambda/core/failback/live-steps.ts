/**
 * Live mode (a planned migration with no data loss): stop the protected instances, then run one more sync of
 * the VPG (started here, polled through Wait loops: no `.sync` integration) and recover from its checkpoint.
 */
import { Conflict } from '../errors';
import type { FinalSyncOutput, ResolveOutput, StopOutput } from '../failback-contract';
import { selectProtectedInstances } from '../protected-resources';
import { MIN_WAIT_SECONDS } from '../wait-policy';
import type { FailbackInitInput } from './failback-schemas';
import { FailbackFailed } from './failback-request';
import type { FailbackDeps } from './recovery-ports';

/** A sync that ends "skipped" lost the VPG's lock to another sync: wait for that one and start again, a few times at most. */
export const MAX_FINAL_SYNC_ATTEMPTS = 5;

export interface StopSourcesInput extends FailbackInitInput {
  readonly resolve: ResolveOutput;
  readonly stop?: StopOutput;
}

/** Stops every protected instance of the VPG (idempotent); `stopped` once all are. */
export async function stopSources(input: StopSourcesInput, deps: FailbackDeps): Promise<StopOutput> {
  const { vpg } = input;
  const states = ['pending', 'running', 'stopping', 'stopped'] as const;
  const found = [
    ...(vpg.instanceIds.length ? await deps.ec2.describeInstances({ ids: vpg.instanceIds, states }) : []),
    ...(Object.keys(vpg.instanceTags).length ? await deps.ec2.describeInstances({ tags: vpg.instanceTags, states }) : []),
  ];
  const instances = selectProtectedInstances(found, vpg);
  if (instances.length === 0) throw new FailbackFailed(`VPG ${vpg.name} selects no instance to stop; nothing to migrate`);
  const running = instances.filter((i) => i.state === 'running').map((i) => i.instanceId);
  if (running.length > 0) {
    try {
      await deps.recovery.stopInstances(running);
      deps.log.info('stopping the protected instances', { instanceIds: running });
    } catch (err) {
      // one of them changed state in between: the next look tries again
      if (!(err instanceof Conflict)) throw err;
      deps.log.warn('stop deferred', { error: err.message });
    }
  }
  const stopped = instances.every((i) => i.state === 'stopped');
  return { instanceIds: instances.map((i) => i.instanceId), stopped, waitSeconds: MIN_WAIT_SECONDS };
}

export interface FinalSyncInput extends FailbackInitInput {
  readonly resolve: ResolveOutput;
  readonly finalSync?: FinalSyncOutput;
}

function finalSyncName(importId: string, attempt: number): string {
  return `${importId.slice(0, 64)}-final-${attempt}`;
}

/** Starts the final sync once no other sync of the VPG runs, then follows it; `done` with its checkpoint. */
export async function runFinalSync(input: FinalSyncInput, deps: FailbackDeps): Promise<FinalSyncOutput> {
  const previous = input.finalSync;
  const attempts = previous?.attempts ?? 0;
  const waitSeconds = Math.max(MIN_WAIT_SECONDS, Math.min(input.vpg.pollSeconds, 60));
  if (previous?.executionArn) {
    const run = await deps.syncRuns.describe(previous.executionArn);
    if (run.status === 'RUNNING') return { ...previous, done: false, waitSeconds };
    if (run.status !== 'SUCCEEDED') throw new FailbackFailed(`the final sync ${previous.executionArn} ended ${run.status}: ${run.cause ?? 'no cause given'}`);
    const out = JSON.parse(run.output ?? '{}') as { begin?: { skipped?: boolean; reason?: string }; commit?: { checkpointId?: string } };
    if (out.commit?.checkpointId) {
      deps.log.info('final sync committed', { executionArn: previous.executionArn, checkpointId: out.commit.checkpointId });
      return { executionArn: previous.executionArn, done: true, waitSeconds: MIN_WAIT_SECONDS, checkpointId: out.commit.checkpointId, attempts };
    }
    if (attempts >= MAX_FINAL_SYNC_ATTEMPTS) {
      throw new FailbackFailed(`the final sync could not take the VPG's lock in ${attempts} attempts: ${out.begin?.reason ?? 'skipped'}`);
    }
    // skipped: another sync held the lock; fall through to wait for it and start again
  }
  const others = (await deps.executions.listRunning(input.syncStateMachineArn)).filter((e) => e.executionArn !== previous?.executionArn);
  if (others.length > 0) {
    deps.log.info('waiting for a running sync before the final one', { running: others.map((e) => e.executionArn) });
    return { executionArn: null, done: false, waitSeconds, checkpointId: null, attempts };
  }
  const executionArn = await deps.syncRuns.start(input.syncStateMachineArn, finalSyncName(input.resolve.importId, attempts + 1));
  deps.log.info('final sync started', { executionArn });
  return { executionArn, done: false, waitSeconds: MIN_WAIT_SECONDS, checkpointId: null, attempts: attempts + 1 };
}
