/**
 * Step Functions' own CloudWatch metrics of a state machine's executions, namespace AWS/States, dimension
 * StateMachineArn (https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html, "Execution
 * metrics"): ExecutionsStarted when one starts; ExecutionsSucceeded, ExecutionsFailed, ExecutionsTimedOut or
 * ExecutionsAborted (Count, 1) and ExecutionTime (Milliseconds, start to stop) when it ends, at the cloud clock's time.
 */
import type { CloudContext } from '../context';
import type { ExecutionRecord, ExecutionStatus } from './execution';

const ENDED: Partial<Record<ExecutionStatus, string>> = {
  SUCCEEDED: 'ExecutionsSucceeded',
  FAILED: 'ExecutionsFailed',
  TIMED_OUT: 'ExecutionsTimedOut',
  ABORTED: 'ExecutionsAborted',
};

function publish(ctx: CloudContext, r: ExecutionRecord, metricName: string, value: number, unit: string, t: number): void {
  const id = { namespace: 'AWS/States', metricName, dimensions: [{ Name: 'StateMachineArn', Value: r.stateMachineArn }] };
  ctx.metrics?.put({ account: ctx.accountId, region: ctx.region }, id, [{ t, sampleCount: 1, sum: value, min: value, max: value, unit }]);
}

export function executionStarted(ctx: CloudContext, r: ExecutionRecord): void {
  publish(ctx, r, 'ExecutionsStarted', 1, 'Count', r.startDate);
}

export function executionEnded(ctx: CloudContext, r: ExecutionRecord): void {
  const name = ENDED[r.status];
  const stop = r.stopDate ?? ctx.clock.now();
  if (name) publish(ctx, r, name, 1, 'Count', stop);
  publish(ctx, r, 'ExecutionTime', stop - r.startDate, 'Milliseconds', stop);
}
