/**
 * Runs one Step Functions execution with aws-local-stepfunctions: binds every Task to the Lambda
 * runtime, stands in for Wait states so they follow the cloud's time scale, and keeps the record and
 * history in AWS's shape.
 */
import './polyfill';
import { setMaxListeners } from 'node:events';
import type { CloudClock } from '../clock';
import { StateMachine } from 'aws-local-stepfunctions';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { LambdaInvokeError } from '../lambda/runtime';
import { functionNameFromParameters, PreparedDefinition, TaskBinding, waitMilliseconds, WaitSpec } from './definition';
import { ExecutionHistory, LibraryEvent } from './history';
import { DATA_LIMIT_ERROR, dataLimitCause, EXECUTION_TIMEOUT_CAUSE, EXECUTION_TIMEOUT_ERROR, MAX_EXECUTION_MS, overPayloadLimit } from './quotas';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  /** Epoch milliseconds. */
  startDate: number;
  stopDate?: number;
}

export interface RunDeps {
  region: string;
  roleArn: string;
  stateMachineName: string;
  invoke(functionNameOrArn: string, payload: unknown): Promise<unknown>;
  /** Factor applied to Wait durations and retry intervals right now (1 = real time). */
  waitFactor(): number;
  /** The cloud clock: history timestamps, start and stop dates, Wait until a Timestamp. */
  clock: CloudClock;
  onFinished(record: ExecutionRecord): void;
}

export class RunningExecution {
  readonly history: ExecutionHistory;
  private readonly stop = new AbortController();
  private abortRun?: () => void;
  private timeLimit?: NodeJS.Timeout;
  readonly done: Promise<void>;

  constructor(
    readonly record: ExecutionRecord,
    prepared: PreparedDefinition,
    private readonly deps: RunDeps,
  ) {
    this.history = new ExecutionHistory(deps.roleArn, (error, cause) => this.failTerminal(error, cause), deps.clock);
    // Every Wait in flight listens for a stop: a Map runs up to its MaxConcurrency of them at once.
    setMaxListeners(0, this.stop.signal);
    // The state machine's own TimeoutSeconds, when shorter than the one-year quota (quotas.ts): "If it runs longer
    // than the specified time, the execution fails with a States.Timeout Error Name"
    // (https://docs.aws.amazon.com/step-functions/latest/dg/statemachine-structure.html).
    const own = prepared.executionTimeoutSeconds;
    if (own !== undefined && own * 1000 < MAX_EXECUTION_MS) this.armTimeLimit(own * 1000, undefined);
    else this.armTimeLimit(MAX_EXECUTION_MS, EXECUTION_TIMEOUT_CAUSE);
    this.done = this.run(prepared);
  }

  /**
   * An error no Catch or Retry may handle (quotas.ts: the history quota, States.DataLimitExceeded): the
   * execution fails at once with it, and the library's run is aborted so no further state runs.
   */
  private failTerminal(error: string, cause: string): void {
    if (this.record.status !== 'RUNNING') return;
    if (!this.history.exhausted) this.history.add('ExecutionFailed', { executionFailedEventDetails: { error, cause } });
    Object.assign(this.record, { status: 'FAILED', error, cause, stopDate: this.deps.clock.now() });
    this.end();
  }

  private end(): void {
    clearTimeout(this.timeLimit);
    this.stop.abort();
    this.abortRun?.();
  }

  /**
   * One year of the cloud's clock (Waits' time scale), or the state machine's TimeoutSeconds, re-armed in chunks
   * setTimeout can hold. Past it: TIMED_OUT with States.Timeout and no Catch runs. AWS documents no cause text for
   * a state machine's own TimeoutSeconds, so none is given then.
   */
  private armTimeLimit(remainingCloudMs: number, cause: string | undefined): void {
    const factor = this.deps.waitFactor();
    if (factor <= 0) return; // waits take no time at all: the clock does not move for the limit either
    const realMs = Math.min(remainingCloudMs * factor, 2 ** 31 - 1);
    this.timeLimit = setTimeout(() => {
      const left = remainingCloudMs - realMs / factor;
      if (left > 0) return this.armTimeLimit(left, cause);
      if (this.record.status !== 'RUNNING') return;
      this.history.add('ExecutionTimedOut', { executionTimedOutEventDetails: { error: EXECUTION_TIMEOUT_ERROR, ...(cause ? { cause } : {}) } });
      Object.assign(this.record, { status: 'TIMED_OUT', error: EXECUTION_TIMEOUT_ERROR, cause, stopDate: this.deps.clock.now() });
      this.end();
    }, realMs);
    this.timeLimit.unref();
  }

  /** StopExecution: the run stops at its next step; in-flight Lambda calls finish on their own, as in AWS. */
  abort(error?: string, cause?: string): void {
    if (this.record.status !== 'RUNNING') return;
    Object.assign(this.record, { status: 'ABORTED', stopDate: this.deps.clock.now(), error, cause });
    this.end();
  }

  private async run(prepared: PreparedDefinition): Promise<void> {
    try {
      await this.execute(prepared);
    } catch (err) {
      // The library refused to start the run (e.g. an invalid definition): fail it the way AWS would.
      this.settle({ ok: false, err: namedError('States.Runtime', err instanceof Error ? err.message : String(err)) });
    }
    clearTimeout(this.timeLimit);
    this.deps.onFinished(this.record);
  }

  private async execute(prepared: PreparedDefinition): Promise<void> {
    const machine = createLocalStateMachine(prepared);
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [name, binding] of prepared.tasks) handlers[name] = (input) => this.runTask(name, binding, input);
    for (const [name, spec] of prepared.waits) handlers[name] = (input) => this.runWait(spec, input);
    const execution = machine.run(JSON.parse(this.record.input), {
      overrides: { taskResourceLocalHandlers: handlers as never, retryIntervalOverrides: this.retryOverrides(prepared) },
      context: {
        Execution: { Id: this.record.executionArn, Name: this.record.name, RoleArn: this.deps.roleArn },
        StateMachine: { Id: this.record.stateMachineArn, Name: this.deps.stateMachineName },
      },
    });
    this.abortRun = execution.abort;
    if (this.stop.signal.aborted) execution.abort();
    const consumed = (async () => {
      for await (const ev of execution.eventLogs) this.takeLibraryEvent(ev, prepared);
    })();
    const outcome = await execution.result.then(
      (output) => ({ ok: true as const, output }),
      (err: unknown) => ({ ok: false as const, err }),
    );
    await consumed;
    this.settle(outcome);
  }

  /** Adds a library event to the history, unless it carries a payload over the quota (then the run fails). */
  private takeLibraryEvent(ev: LibraryEvent, prepared: PreparedDefinition): void {
    // (after a StopExecution the library's ExecutionAborted still belongs in the history; after a terminal
    // failure the history is closed and drops whatever the library logs on its way out)
    const state = ev.state?.name ?? '';
    if (ev.type === 'StateEntered' && overPayloadLimit(ev.state?.input)) return this.failTerminal(DATA_LIMIT_ERROR, dataLimitCause(state, 'input'));
    if (ev.type === 'StateExited' && overPayloadLimit(ev.state?.output)) return this.failTerminal(DATA_LIMIT_ERROR, dataLimitCause(state));
    if (ev.type === 'ExecutionSucceeded' && overPayloadLimit(ev.output)) return this.failTerminal(DATA_LIMIT_ERROR, dataLimitCause(state));
    this.history.addLibraryEvent(ev, prepared.stateTypes);
  }

  /** A stand-in for a handler once the execution has ended: nothing more may run. */
  private endedError(): Error {
    return namedError('States.Runtime', `execution ${this.record.name} has ended (${this.record.status})`);
  }

  private settle(outcome: { ok: true; output: unknown } | { ok: false; err: unknown }): void {
    if (this.record.status !== 'RUNNING') return;
    const stopDate = this.deps.clock.now();
    if (outcome.ok) {
      Object.assign(this.record, { status: 'SUCCEEDED', output: JSON.stringify(outcome.output ?? null), stopDate });
      return;
    }
    const err = outcome.err as Error & { cause?: unknown };
    if (err?.name === 'ExecutionTimeoutError') {
      Object.assign(this.record, { status: 'TIMED_OUT', error: 'States.Timeout', stopDate });
    } else if (err?.name === 'ExecutionAbortedError') {
      Object.assign(this.record, { status: 'ABORTED', stopDate });
    } else {
      // ExecutionError wraps the state's error in `cause`: its name is the ASL error, its message the Cause.
      const inner = err?.name === 'ExecutionError' && err.cause instanceof Error ? err.cause : err;
      Object.assign(this.record, { status: 'FAILED', error: inner?.name ?? 'States.Runtime', cause: inner?.message ?? String(inner), stopDate });
    }
  }

  /** Scaled retry intervals (base interval only; BackoffRate growth applies at real time only). */
  private retryOverrides(prepared: PreparedDefinition): Record<string, number[]> {
    const deps = this.deps;
    const states = collectRetriers(prepared.definition.States);
    return new Proxy(
      {},
      {
        get(_target, name) {
          const retriers = typeof name === 'string' ? states.get(name) : undefined;
          const factor = deps.waitFactor();
          if (!retriers || factor === 1) return undefined;
          return retriers.map((r) => Math.min(r.IntervalSeconds ?? 1, r.MaxDelaySeconds ?? Infinity) * 1000 * factor);
        },
      },
    );
  }

  private async runWait(spec: WaitSpec, input: unknown): Promise<unknown> {
    await new Promise((resolve) => setImmediate(resolve));
    if (this.record.status !== 'RUNNING') throw this.endedError();
    const ms = waitMilliseconds(spec, input, this.deps.clock.now()) * this.deps.waitFactor();
    await abortableSleep(ms, this.stop.signal);
    return input;
  }

  private async runTask(stateName: string, binding: TaskBinding, input: unknown): Promise<unknown> {
    // Let the library's StateEntered event reach the history first, so events stay in order.
    await new Promise((resolve) => setImmediate(resolve));
    // An execution the history or payload quota has ended runs no more tasks (no side effects after it).
    if (this.record.status !== 'RUNNING') throw this.endedError();
    // The task's input after Parameters, over 256 KiB: States.DataLimitExceeded before anything is called.
    if (overPayloadLimit(input)) {
      this.failTerminal(DATA_LIMIT_ERROR, dataLimitCause(stateName, 'input'));
      throw this.endedError();
    }
    if (binding.kind === 'unsupported') throw namedError('States.Runtime', binding.reason);
    const integration = binding.kind === 'lambda-integration';
    const target = integration ? functionNameFromParameters(input) : binding.functionArn;
    if (!target) throw namedError('States.Runtime', 'lambda:invoke task has no Parameters.FunctionName');
    const payload = integration ? (input as { Payload?: unknown }).Payload : input;
    const task = { resourceType: 'lambda', resource: 'invoke' };
    if (integration) {
      this.history.add('TaskScheduled', { taskScheduledEventDetails: { ...task, region: this.deps.region, parameters: JSON.stringify(input) } });
      this.history.add('TaskStarted', { taskStartedEventDetails: task });
    } else {
      this.history.add('LambdaFunctionScheduled', {
        lambdaFunctionScheduledEventDetails: { resource: target, input: JSON.stringify(payload ?? null), inputDetails: { truncated: false } },
      });
      this.history.add('LambdaFunctionStarted', {});
    }
    let result: unknown;
    try {
      // Re-parse in this realm: IPC-decoded objects fail the library's plain-object checks under jest's vm.
      result = JSON.parse(JSON.stringify((await this.deps.invoke(target, payload ?? {})) ?? null));
    } catch (err) {
      if (this.record.status !== 'RUNNING') throw this.endedError();
      const failure = asTaskError(err);
      if (integration) this.history.add('TaskFailed', { taskFailedEventDetails: { ...task, error: failure.name, cause: failure.message } });
      else this.history.add('LambdaFunctionFailed', { lambdaFunctionFailedEventDetails: { error: failure.name, cause: failure.message } });
      throw failure;
    }
    if (this.record.status !== 'RUNNING') throw this.endedError();
    // A task result over 256 KiB: States.DataLimitExceeded, which no Catch handles (quotas.ts).
    if (overPayloadLimit(result)) {
      this.failTerminal(DATA_LIMIT_ERROR, dataLimitCause(stateName));
      throw this.endedError();
    }
    if (!integration) {
      this.history.add('LambdaFunctionSucceeded', {
        lambdaFunctionSucceededEventDetails: { output: JSON.stringify(result ?? null), outputDetails: { truncated: false } },
      });
      return result ?? null;
    }
    const response = {
      ExecutedVersion: '$LATEST',
      Payload: result ?? null,
      SdkHttpMetadata: { HttpStatusCode: 200 },
      SdkResponseMetadata: { RequestId: this.record.name },
      StatusCode: 200,
    };
    this.history.add('TaskSucceeded', { taskSucceededEventDetails: { ...task, output: JSON.stringify(response), outputDetails: { truncated: false } } });
    return response;
  }
}

/** The library's state machine for a prepared definition; throws when the definition is not valid ASL. */
export function createLocalStateMachine(prepared: PreparedDefinition): StateMachine {
  return new StateMachine(prepared.definition as unknown as StateMachineDefinition, {
    validationOptions: { checkArn: false, checkPaths: false },
  });
}

/** AWS's shape: Error = the Lambda errorType, Cause = JSON {errorMessage, errorType, trace}. */
function asTaskError(err: unknown): Error {
  if (err instanceof LambdaInvokeError) return namedError(err.name, err.toCause());
  if (err instanceof Error) return namedError(err.name === 'Error' ? 'States.TaskFailed' : err.name, err.message);
  return namedError('States.TaskFailed', String(err));
}

function namedError(name: string, message: string): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

interface Retrier {
  IntervalSeconds?: number;
  MaxDelaySeconds?: number;
}

function collectRetriers(states: Record<string, Record<string, unknown>>, out = new Map<string, Retrier[]>()): Map<string, Retrier[]> {
  for (const [name, state] of Object.entries(states)) {
    if (Array.isArray(state.Retry)) out.set(name, state.Retry as Retrier[]);
    const processor = (state.ItemProcessor ?? state.Iterator) as { States: Record<string, Record<string, unknown>> } | undefined;
    if (processor) collectRetriers(processor.States, out);
    for (const branch of (state.Branches as { States: Record<string, Record<string, unknown>> }[] | undefined) ?? []) collectRetriers(branch.States, out);
  }
  return out;
}
