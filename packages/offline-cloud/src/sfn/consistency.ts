/**
 * Step Functions' eventual consistency, as the `consistency=MS` fault emulates it: what ListExecutions and
 * DescribeExecution answer when they lag MS behind. Pure: the service passes the clock.
 *
 * AWS documents both reads as lagging: "This operation is eventually consistent. The results are best
 * effort and may not reflect very recent updates and changes."
 *   https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html
 *   https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html
 * (the same sentence is in @aws-sdk/client-sfn's ListExecutionsCommand and DescribeExecutionCommand docs,
 * generated from the service model). GetExecutionHistory, StartExecution and StopExecution carry no such
 * note, so they stay strongly consistent here.
 *
 * The lag is modelled as "the answer is the state as it was MS ago":
 * - ListExecutions leaves out an execution started less than MS ago, and shows one whose status changed
 *   less than MS ago with its old status (RUNNING: a status changes only once, from RUNNING to the end);
 * - DescribeExecution shows the old status too, but never answers ExecutionDoesNotExist for an ARN that
 *   StartExecution has returned: the page says results may be stale, not that an execution may be missing,
 *   and the offline cloud does not invent an error AWS does not document.
 */
import type { ExecutionRecord } from './execution';

/** The record as a read lagging behind to `asOf` saw it: still RUNNING if it ended after `asOf`. */
function asOf(r: ExecutionRecord, at: number): ExecutionRecord {
  if (r.stopDate === undefined || r.stopDate <= at) return r;
  const { output: _output, error: _error, cause: _cause, stopDate: _stopDate, ...running } = r;
  return { ...running, status: 'RUNNING' };
}

/** What ListExecutions lists of an execution when it lags `lagMs` behind `now`; undefined = not listed yet. */
export function listedView(r: ExecutionRecord, now: number, lagMs: number): ExecutionRecord | undefined {
  if (lagMs <= 0) return r;
  const at = now - lagMs;
  return r.startDate > at ? undefined : asOf(r, at);
}

/** What DescribeExecution answers when it lags `lagMs` behind `now`. */
export function describedView(r: ExecutionRecord, now: number, lagMs: number): ExecutionRecord {
  return lagMs <= 0 ? r : asOf(r, now - lagMs);
}
