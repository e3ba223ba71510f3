/**
 * HandOver: a sync whose zSATs are still reading when their share of this execution's history is spent goes on
 * in a new execution of the same state machine, Step Functions' "continue as new" pattern
 * (https://docs.aws.amazon.com/step-functions/latest/dg/tutorial-use-lambda-cont-exec.html), with its state and
 * the VPG's lease; this execution then ends succeeded.
 *
 * Why continue-as-new and not child executions per zSAT group: a child's own history fills up the same way on a
 * read of days, so it would need this hand-over anyway; and here the data-safety rules stay those of one sync:
 * one lease party at a time (the lease names the continuation before it starts, with the next token, so the old
 * execution is fenced out), one cleanup path (the continuation's Catch → CleanupFailed), one Commit (only the
 * execution that holds the lease at the end commits, and Commit is lease-guarded). The zSAT instances never
 * depend on an execution: they read on across the hand-over.
 *
 * Order, so that a crash anywhere leaves one owner: (1) the lease moves to the continuation's ARN (derived from
 * the sync id: continuationName), (2) StartExecution with that name and a deterministic input (a retry starts
 * the same execution, Step Functions' idempotency). Between (1) and (2) the old execution is already fenced; a
 * continuation that never starts lets the lease expire and the sweeper collect.
 */
import type { ContinuationRequest, HandOverInput, HandOverOutput } from './contract';
import { Conflict, SyncFailed } from '../errors';
import { executionArnOf } from '../cleanup/execution-proof';
import { handOverLease } from '../lease/lease-guard';
import { continuationName } from './ids';
import { leaseHorizonSeconds } from '../lease/vpg-lease';
import { maxWaitSeconds } from '../workers/wait-policy';
import { continuationsExhausted, MAX_CONTINUATIONS, noProgressSinceHandOver, zsatPollBudget } from './history-budget';
import type { StepDepsWith } from './deps';

/** What the next execution is handed: the sync, its place in the chain, and each zSAT's state to resume (pure). */
export function continuationRequest(input: HandOverInput, n: number, token: number): ContinuationRequest {
  const states = new Map(input.zsats.map((z) => [z.index, z]));
  const reading = input.zsats.filter((z) => !z.done).length;
  const pollBudget = zsatPollBudget(reading, input.plan.zsats.length);
  const zsats = input.plan.zsats.map((assignment) => {
    const state = states.get(assignment.index);
    if (!state) throw new SyncFailed(`zSAT ${assignment.index} left no state to hand over`);
    const { handOver: _spent, ...kept } = state;
    const resume = state.done ? kept : { ...kept, polls: 0, pollBudget, blocksAtStart: state.blocksDone };
    const { resume: _old, ...plain } = assignment;
    return { ...plain, pollBudget, resume };
  });
  const { resumed: _chain, ...begin } = input.begin;
  return {
    continuationOf: {
      executionArn: input.executionId,
      syncId: input.begin.syncId,
      n,
      begin: { ...begin, lease: { role: input.begin.lease!.role, token } },
      snapshots: input.snapshots,
      plan: { ...input.plan, zsats, zsatsAtOnce: input.plan.zsatsAtOnce ?? input.vpg.maxZsats },
    },
  };
}

/** Refuses a chain that would not end: too many continuations, or a zSAT that read nothing in a whole execution. */
function checkChain(input: HandOverInput, n: number): void {
  const reading = input.zsats.filter((z) => !z.done);
  if (n > MAX_CONTINUATIONS)
    throw new SyncFailed(
      continuationsExhausted(
        reading.map((z) => z.instanceId),
        n - 1,
      ),
    );
  const stuck = reading.find((z) => z.blocksAtStart !== undefined && z.blocksDone <= z.blocksAtStart);
  if (stuck) throw new SyncFailed(noProgressSinceHandOver(stuck.instanceId, stuck.blocksDone, stuck.blocksTotal));
}

export async function handOver(input: HandOverInput, deps: StepDepsWith<'lease' | 'executions'>): Promise<HandOverOutput> {
  const reading = input.zsats.filter((z) => !z.done);
  if (reading.length === 0) return { continued: false };
  const lease = input.begin.lease;
  if (!lease) throw new SyncFailed('this sync holds no lease: it cannot hand one over to a continuation');
  const n = (input.begin.resumed?.n ?? 0) + 1;
  checkChain(input, n);
  const name = continuationName(input.begin.syncId, n);
  const executionArn = executionArnOf(input.stateMachineArn, name);
  const horizon = leaseHorizonSeconds(maxWaitSeconds(input.vpg.pollSeconds));
  const token = await handOverLease(deps, input.vpg.name, input.executionId, lease.token, { executionArn, kind: 'sync' }, horizon);
  try {
    await deps.executions.start(input.stateMachineArn, name, continuationRequest(input, n, token));
  } catch (err) {
    // closed already (a retry after it ran): the lease says who owns the sync now, and it is not this execution
    if (!(err instanceof Conflict)) throw err;
    deps.log.warn('the continuation exists already (a retried hand-over)', { executionArn, error: err.message });
  }
  deps.log.info('sync continues as a new execution', { executionArn, n, zsatsReading: reading.length, leaseToken: token });
  return { continued: true, executionArn, n };
}
