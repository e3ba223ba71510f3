/** Runs one sync of a VPG through its deployed state machine and gathers the figures the demo prints. */
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { SyncExecutionOutput } from '../../runtime/core/sync/contract';
import { executionMs, readableCause, startExecution, waitForSync } from '../commands/executions';
import { executionHistory, stateTransitions } from './inventory';

export interface SyncFigures {
  readonly executionArn: string;
  readonly checkpointId: string;
  readonly blocksPlanned: number;
  readonly blocksRead: number;
  readonly bytesRead: number;
  readonly bytesStored: number;
  /** StartExecution to its end on the cloud clock: AWS milliseconds (the offline cloud's clock runs at AWS's times, scaled). */
  readonly durationMs: number;
  readonly transitions: number;
  readonly lambdaInvocations: number;
  /** The longest history of the sync's executions (Step Functions fails an execution at 25,000 events). */
  readonly historyEvents: number;
  /** The sync's executions in order: more than one when it continued as new (sync/continue.ts). */
  readonly executions: readonly string[];
}

export async function runSync(sfn: SFNClient, stateMachineArn: string, label: string): Promise<SyncFigures> {
  const executionArn = await startExecution(sfn, stateMachineArn, {}, 'demo');
  const { last: exec, chain } = await waitForSync(sfn, executionArn, { label, pollMs: 500 });
  const first = chain.length > 1 ? await sfn.send(new DescribeExecutionCommand({ executionArn })) : exec;
  const durationMs = exec.stopDate && first.startDate ? exec.stopDate.getTime() - first.startDate.getTime() : executionMs(exec);
  if (exec.status !== 'SUCCEEDED') throw new Error(`${label} ${exec.status}: ${readableCause(exec)}`);
  const out = JSON.parse(exec.output ?? '{}') as SyncExecutionOutput;
  if (out.begin?.skipped || !out.commit) throw new Error(`${label} committed nothing: ${out.begin?.reason ?? 'no commit output'}`);
  const histories = await Promise.all(chain.map((arn) => executionHistory(sfn, arn)));
  const events = histories.flat();
  return {
    executionArn,
    executions: chain,
    checkpointId: out.commit.checkpointId,
    blocksPlanned: out.commit.blocksPlanned,
    blocksRead: out.commit.blocksRead,
    bytesRead: out.commit.bytesRead,
    bytesStored: out.commit.bytesStored,
    durationMs,
    transitions: stateTransitions(events),
    lambdaInvocations: events.filter((e) => e.type === 'LambdaFunctionScheduled' || e.type === 'TaskScheduled').length,
    historyEvents: Math.max(...histories.map((h) => h.length)),
  };
}
