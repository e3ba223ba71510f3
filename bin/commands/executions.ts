/** Starting a state machine execution and following it to its end, with progress. */
import type { SyncExecutionOutput } from '../../runtime/core/sync/contract';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  StartExecutionCommand,
  type DescribeExecutionCommandOutput,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { createProgress } from './progress';

export async function startExecution(sfn: SFNClient, stateMachineArn: string, input: unknown, namePrefix: string): Promise<string> {
  const name = `${namePrefix}-${new Date()
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 14)}-${Math.random().toString(36).slice(2, 8)}`;
  const out = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
  if (!out.executionArn) throw new Error('StartExecution returned no execution ARN');
  return out.executionArn;
}

/** The state the execution is in now (the last state entered), for progress display. */
async function currentState(sfn: SFNClient, executionArn: string): Promise<string | undefined> {
  const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 25 }));
  const entered = history.events?.find((e) => e.stateEnteredEventDetails?.name);
  return entered?.stateEnteredEventDetails?.name;
}

export interface WaitOptions {
  readonly label: string;
  readonly pollMs?: number;
  /** Extra progress (e.g. blocks copied) read on each poll. */
  readonly detail?: () => Promise<{ done: number; total: number } | undefined>;
}

export async function waitForExecution(sfn: SFNClient, executionArn: string, opts: WaitOptions): Promise<DescribeExecutionCommandOutput> {
  const progress = createProgress(opts.label);
  try {
    for (;;) {
      const exec = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (exec.status !== 'RUNNING') return exec;
      const state = await currentState(sfn, executionArn).catch(() => undefined);
      if (state) progress.phase(state);
      const detail = await opts.detail?.().catch(() => undefined);
      if (detail) progress.update(detail.done, detail.total);
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 1000));
    }
  } finally {
    progress.stop();
  }
}

/**
 * A sync to its end: a long sync continues as new executions (runtime/core/sync/continue.ts), each ending
 * SUCCEEDED with `handover.continued`; this follows the chain. The last execution, and every one in order.
 */
export async function waitForSync(sfn: SFNClient, executionArn: string, opts: WaitOptions): Promise<{ last: DescribeExecutionCommandOutput; chain: string[] }> {
  const chain = [executionArn];
  for (;;) {
    const exec = await waitForExecution(sfn, chain[chain.length - 1], opts);
    const next = exec.status === 'SUCCEEDED' ? (JSON.parse(exec.output ?? '{}') as SyncExecutionOutput).handover : undefined;
    if (!next?.continued || !next.executionArn) return { last: exec, chain };
    chain.push(next.executionArn);
  }
}

/** A failed execution's cause, readable: Lambda causes are JSON with errorMessage; Fail states carry text. */
export function readableCause(exec: DescribeExecutionCommandOutput): string {
  const cause = exec.cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string; errorType?: string };
    if (parsed.errorMessage) return `${parsed.errorType ?? exec.error ?? 'Error'}: ${parsed.errorMessage}`;
  } catch {
    // not JSON: a plain cause
  }
  return [exec.error, cause].filter(Boolean).join(': ') || `execution ${exec.status}`;
}

/** An ended execution's duration as Step Functions reports it (startDate to stopDate), in milliseconds. */
export function executionMs(exec: DescribeExecutionCommandOutput): number {
  if (!exec.startDate || !exec.stopDate) throw new Error(`execution ${exec.executionArn} has not ended: no stopDate`);
  return exec.stopDate.getTime() - exec.startDate.getTime();
}
