/**
 * Step Functions Standard workflow quotas the offline cloud enforces on every execution, with AWS's
 * figures and texts. Pure: the execution and the history call these.
 *
 * Quotas page (https://docs.aws.amazon.com/step-functions/latest/dg/limits-overview.html, "Quotas related
 * to state machine executions" / "task executions"):
 * - Maximum execution history size: 25,000 events; "If the execution history reaches this quota, the
 *   execution will fail."
 * - Maximum execution time: 1 year; past it the execution "will fail with a States.Timeout error".
 * - Maximum input or output size for a task, state, or execution: 262,144 bytes of data as a UTF-8 encoded
 *   string (task results, state and execution output, input when scheduling a task, entering a state, or
 *   starting an execution).
 */

export const HISTORY_EVENT_LIMIT = 25_000;
export const PAYLOAD_LIMIT_BYTES = 262_144;
export const MAX_EXECUTION_MS = 365 * 24 * 3600 * 1000;

/**
 * https://docs.aws.amazon.com/step-functions/latest/dg/bp-history-limit.html: "When an execution reaches
 * 24,999 events, it waits for the next event to happen. If the event number 25,000 is ExecutionSucceeded,
 * the execution finishes successfully. If [it] isn't ExecutionSucceeded, the ExecutionFailed event is
 * logged". The error and cause are what AWS reports in that event and in DescribeExecution (seen in real
 * executions, e.g. https://github.com/loads/ardere/issues/86).
 */
export const HISTORY_LIMIT_ERROR = 'States.Runtime';
export const HISTORY_LIMIT_CAUSE = `The execution reached the maximum number of history events (${HISTORY_EVENT_LIMIT}).`;

/**
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html: States.DataLimitExceeded
 * is reported when a connector's output, a state's output, or a state's input after Parameters is larger
 * than the payload quota; "This is a terminal error that can't be caught by the States.ALL error type"
 * (and AWS documents no Retry for it either). The cause is AWS's text for an oversized result
 * (e.g. https://github.com/jogold/cloudstructs/issues/163).
 */
export const DATA_LIMIT_ERROR = 'States.DataLimitExceeded';
export const dataLimitCause = (stateName: string, what: 'result' | 'input' = 'result'): string =>
  what === 'result'
    ? `The state/task '${stateName}' returned a result with a size exceeding the maximum number of bytes service limit.`
    : `The state/task '${stateName}' received an input with a size exceeding the maximum number of bytes service limit.`;

/** UTF-8 size of a JSON value as Step Functions measures it (the serialized string). */
export function payloadBytes(value: unknown): number {
  return Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value ?? null), 'utf8');
}

export const overPayloadLimit = (value: unknown): boolean => payloadBytes(value) > PAYLOAD_LIMIT_BYTES;

/** Execution time limit: States.Timeout, status TIMED_OUT (the quotas page above). */
export const EXECUTION_TIMEOUT_ERROR = 'States.Timeout';
export const EXECUTION_TIMEOUT_CAUSE = 'The execution reached the maximum execution time of one year.';
