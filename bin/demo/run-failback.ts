/** Runs one failback of a VPG through its deployed state machine and gathers the figures the demo prints. */
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { FailbackMode, FailbackOutput } from '../../runtime/core/failback/contract';
import { executionMs, readableCause, startExecution, waitForExecution } from '../commands/executions';
import { executionHistory, stateTransitions } from './inventory';

export interface FailbackFigures extends FailbackOutput {
  readonly executionArn: string;
  readonly durationMs: number;
  readonly transitions: number;
}

export interface FailbackRun {
  readonly checkpoint?: string;
  readonly mode?: FailbackMode;
  readonly target?: Record<string, unknown>;
}

export async function runFailback(sfn: SFNClient, stateMachineArn: string, input: FailbackRun, label = 'failback'): Promise<FailbackFigures> {
  const executionArn = await startExecution(sfn, stateMachineArn, input, 'failback');
  const exec = await waitForExecution(sfn, executionArn, { label, pollMs: 300 });
  if (exec.status !== 'SUCCEEDED') throw new Error(`${label} ${exec.status}: ${readableCause(exec)}`);
  const output = JSON.parse(exec.output ?? '{}') as FailbackOutput;
  const events = await executionHistory(sfn, executionArn);
  return { ...output, executionArn, durationMs: executionMs(exec), transitions: stateTransitions(events) };
}
