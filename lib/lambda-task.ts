/**
 * A Lambda step of a Lifeboat state machine, the one way both the sync and the failback make them: the
 * handler's output, exactly, lands at `resultPath` (payloadResponseOnly: the contract's paths hold the
 * handler's return value, optional fields included — the invoke integration would wrap it in
 * {Payload, StatusCode} and a ResultSelector can only copy named fields), with retries for throttling and
 * crashes (steps are idempotent) and a timeout.
 */
import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';

/**
 * Errors a step may raise that mean "try again later": throttling, not-yet-consistent reads, and a full
 * vCPU quota (QuotaFull: the other workers of the Map end and free their vCPUs; runtime/core/errors.ts).
 */
export const TRANSIENT_ERRORS = ['Lambda.TooManyRequestsException', 'Throttled', 'NotReady', 'QuotaFull'];
/** A step that died or timed out; steps are idempotent, so one more try is safe. */
export const CRASH_ERRORS = ['States.Timeout', 'Lambda.Unknown', 'Runtime.ExitError', 'Sandbox.Timedout'];

export function lambdaTask(scope: Construct, stateName: string, fn: lambda.IFunction, resultPath: string, timeout: Duration): tasks.LambdaInvoke {
  const task = new tasks.LambdaInvoke(scope, stateName, {
    stateName,
    lambdaFunction: fn,
    payloadResponseOnly: true,
    retryOnServiceExceptions: true,
    resultPath,
    taskTimeout: sfn.Timeout.duration(timeout),
  });
  task.addRetry({
    errors: TRANSIENT_ERRORS,
    interval: Duration.seconds(5),
    maxAttempts: 8,
    backoffRate: 2,
    maxDelay: Duration.minutes(2),
    jitterStrategy: sfn.JitterType.FULL,
  });
  task.addRetry({ errors: CRASH_ERRORS, interval: Duration.seconds(10), maxAttempts: 2, backoffRate: 2 });
  return task;
}
