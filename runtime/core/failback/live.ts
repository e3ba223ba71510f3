/**
 * Live mode (a planned migration with no data loss): take the VPG's lease (one live failback at a time, and no
 * scheduled sync in between), stop the protected instances, then run one more sync of the VPG under that lease
 * (started here with the lease's token as its grant, polled through Wait loops: no `.sync` integration) and
 * recover from its checkpoint. The lease is held across stop → final sync → recover, and released at the end.
 */
import type { FinalSyncInput, FinalSyncOutput, StopOutput, StopSourcesInput } from './contract';
import { Conflict } from '../errors';
import { acquireLease } from '../lease/lease-guard';
import { selectProtectedInstances } from '../sync/protected-resources';
import type { FinalSyncRequest, HandOverOutput } from '../sync/contract';
import { leaseHorizonSeconds } from '../lease/vpg-lease';
import { maxWaitSeconds, MIN_WAIT_SECONDS } from '../workers/wait-policy';
import { FailbackFailed } from './failback-request';
import type { FailbackDepsWith } from './recovery-ports';

/** A final sync that ends without a checkpoint is started again this many times at most. */
export const MAX_FINAL_SYNC_ATTEMPTS = 3;

export function oneLiveFailbackCause(vpg: string, running: string): string {
  return `a live failback of VPG ${vpg} is already running (${running}): one live failback at a time; wait for it to end, or stop it first`;
}

/** Takes the VPG's lease, then stops every protected instance of the VPG (idempotent); `stopped` once all are. */
export async function stopSources(input: StopSourcesInput, deps: FailbackDepsWith<'ec2' | 'recovery' | 'lease' | 'executions'>): Promise<StopOutput> {
  const { vpg } = input;
  const lease = await acquireLease(deps, vpg.name, { executionArn: input.executionId, kind: 'failback' }, leaseHorizonSeconds(maxWaitSeconds(vpg.pollSeconds)));
  if (!lease.held) {
    if (lease.holder.kind === 'failback') throw new FailbackFailed(oneLiveFailbackCause(vpg.name, lease.holder.executionArn));
    // a sync (its checkpoint is only more recent data) or a journal run holds it: let it finish, then stop the sources
    deps.log.info('waiting for the VPG lease before stopping anything', { reason: lease.reason });
    return { instanceIds: [], stopped: false, waitSeconds: Math.max(MIN_WAIT_SECONDS, Math.min(vpg.pollSeconds, 60)), waitingFor: lease.reason };
  }
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
      deps.log.info('stopping the protected instances', { instanceIds: running, leaseToken: lease.token });
    } catch (err) {
      // one of them changed state in between: the next look tries again
      if (!(err instanceof Conflict)) throw err;
      deps.log.warn('stop deferred', { error: err.message });
    }
  }
  const stopped = instances.every((i) => i.state === 'stopped');
  return { instanceIds: instances.map((i) => i.instanceId), stopped, waitSeconds: MIN_WAIT_SECONDS, lease: { token: lease.token } };
}

function finalSyncName(importId: string, attempt: number): string {
  return `${importId.slice(0, 64)}-final-${attempt}`;
}

/** Starts the final sync under this failback's lease, then follows it; `done` with its checkpoint. */
export async function runFinalSync(input: FinalSyncInput, deps: FailbackDepsWith<'syncRuns'>): Promise<FinalSyncOutput> {
  const previous = input.finalSync;
  const attempts = previous?.attempts ?? 0;
  const waitSeconds = Math.max(MIN_WAIT_SECONDS, Math.min(input.vpg.pollSeconds, 60));
  const token = input.stop.lease?.token;
  if (token === undefined) throw new FailbackFailed('the final sync cannot start: this failback holds no lease (StopSources did not take it)');
  if (previous?.executionArn) {
    const run = await deps.syncRuns.describe(previous.executionArn);
    if (run.status === 'RUNNING') return { ...previous, done: false, waitSeconds };
    if (run.status !== 'SUCCEEDED') throw new FailbackFailed(`the final sync ${previous.executionArn} ended ${run.status}: ${run.cause ?? 'no cause given'}`);
    const out = JSON.parse(run.output ?? '{}') as {
      begin?: { skipped?: boolean; reason?: string };
      commit?: { checkpointId?: string };
      handover?: HandOverOutput;
    };
    // a long final sync went on in its continuation (sync/continue.ts), which now holds the delegation: follow it
    if (out.handover?.continued && out.handover.executionArn) {
      deps.log.info('final sync continues as a new execution', { from: previous.executionArn, executionArn: out.handover.executionArn });
      return { ...previous, executionArn: out.handover.executionArn, done: false, waitSeconds };
    }
    if (out.commit?.checkpointId) {
      deps.log.info('final sync committed', { executionArn: previous.executionArn, checkpointId: out.commit.checkpointId });
      return { executionArn: previous.executionArn, done: true, waitSeconds: MIN_WAIT_SECONDS, checkpointId: out.commit.checkpointId, attempts };
    }
    if (out.begin?.skipped) throw new FailbackFailed(`the final sync could not act under this failback's lease: ${out.begin.reason ?? 'skipped'}`);
    if (attempts >= MAX_FINAL_SYNC_ATTEMPTS) throw new FailbackFailed(`the final sync committed no checkpoint in ${attempts} attempts`);
  }
  const grant: FinalSyncRequest = { finalSyncOf: { executionArn: input.executionId, leaseToken: token } };
  const executionArn = await deps.syncRuns.start(input.syncStateMachineArn, finalSyncName(input.resolve.importId, attempts + 1), grant);
  deps.log.info("final sync started under this failback's lease", { executionArn, leaseToken: token });
  return { executionArn, done: false, waitSeconds: MIN_WAIT_SECONDS, checkpointId: null, attempts: attempts + 1 };
}
