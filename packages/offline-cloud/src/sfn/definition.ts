/**
 * Prepares an ASL definition for aws-local-stepfunctions: finds every Task (including inside Map and
 * Parallel) and what it calls, and swaps each Wait for a local Task so waits can follow the cloud's
 * time scale (the library's own Wait only takes fixed overrides). Pure: no I/O.
 */
export type AslState = Record<string, unknown> & { Type: string };
export interface AslMachine {
  StartAt: string;
  States: Record<string, AslState>;
  TimeoutSeconds?: number;
  [other: string]: unknown;
}

export type TaskBinding =
  /** `arn:aws:states:::lambda:invoke`: function named by Parameters.FunctionName at run time. */
  | { kind: 'lambda-integration'; resource: string }
  /** A Lambda ARN as the Resource: the payload is the state input. */
  | { kind: 'lambda-direct'; resource: string; functionArn: string }
  | { kind: 'unsupported'; resource: string; reason: string };

export interface WaitSpec {
  Seconds?: number;
  SecondsPath?: string;
  Timestamp?: string;
  TimestampPath?: string;
}

export interface PreparedDefinition {
  definition: AslMachine;
  /** Original type of every state by name (names are unique across a state machine). */
  stateTypes: Map<string, string>;
  tasks: Map<string, TaskBinding>;
  waits: Map<string, WaitSpec>;
  /**
   * The state machine's top-level TimeoutSeconds, taken out of the definition: the library would time it on
   * this machine's clock; the execution times it on the cloud's (execution.ts).
   */
  executionTimeoutSeconds?: number;
}

/** Resource of the local Task that stands in for a Wait state. */
export const LOCAL_WAIT_RESOURCE = 'arn:aws:states:::offline-cloud:wait';
/** The library defaults a Task's timeout to 60 s; AWS has none. Largest value setTimeout accepts. */
const NO_TASK_TIMEOUT_SECONDS = 2147483;

const LAMBDA_ARN = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:[^:]+(:.+)?$/;

export function bindTask(resource: string): TaskBinding {
  if (/^arn:[^:]+:states:::lambda:invoke$/.test(resource)) return { kind: 'lambda-integration', resource };
  if (LAMBDA_ARN.test(resource)) return { kind: 'lambda-direct', resource, functionArn: resource };
  const reason = resource.endsWith('.waitForTaskToken')
    ? 'callback tasks (.waitForTaskToken) are not supported by the offline cloud'
    : `task resource ${resource} is not emulated by the offline cloud`;
  return { kind: 'unsupported', resource, reason };
}

export function prepareDefinition(source: AslMachine): PreparedDefinition {
  const prepared: PreparedDefinition = {
    // JSON round trip, not structuredClone: the library's isPlainObj compares prototypes with its own realm.
    definition: JSON.parse(JSON.stringify(source)) as AslMachine,
    stateTypes: new Map(),
    tasks: new Map(),
    waits: new Map(),
  };
  if (typeof prepared.definition.TimeoutSeconds === 'number') prepared.executionTimeoutSeconds = prepared.definition.TimeoutSeconds;
  delete prepared.definition.TimeoutSeconds;
  walk(prepared.definition, prepared);
  return prepared;
}

function walk(machine: { States: Record<string, AslState> }, out: PreparedDefinition): void {
  for (const [name, state] of Object.entries(machine.States)) {
    out.stateTypes.set(name, state.Type);
    if (state.Type === 'Task') {
      out.tasks.set(name, bindTask(String(state.Resource)));
      if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) state.TimeoutSeconds = NO_TASK_TIMEOUT_SECONDS;
    } else if (state.Type === 'Wait') {
      const { Seconds, SecondsPath, Timestamp, TimestampPath } = state as WaitSpec & AslState;
      out.waits.set(name, { Seconds, SecondsPath, Timestamp, TimestampPath });
      machine.States[name] = waitAsLocalTask(state);
    } else if (state.Type === 'Map') {
      const processor = (state.ItemProcessor ?? state.Iterator) as { States: Record<string, AslState> } | undefined;
      if (processor) walk(processor, out);
    } else if (state.Type === 'Parallel') {
      for (const branch of (state.Branches as { States: Record<string, AslState> }[]) ?? []) walk(branch, out);
    }
  }
}

/** A Task with the Wait's InputPath/OutputPath/Next/End; its handler sleeps and returns its input. */
function waitAsLocalTask(wait: AslState): AslState {
  const task: AslState = { Type: 'Task', Resource: LOCAL_WAIT_RESOURCE, TimeoutSeconds: NO_TASK_TIMEOUT_SECONDS };
  for (const key of ['InputPath', 'OutputPath', 'Next', 'End', 'Comment']) if (key in wait) task[key] = wait[key];
  return task;
}

/** Lambda function name or ARN from a lambda:invoke task's resolved Parameters. */
export function functionNameFromParameters(parameters: unknown): string | undefined {
  const fn = (parameters as { FunctionName?: unknown } | null)?.FunctionName;
  return typeof fn === 'string' ? fn : undefined;
}

/** Evaluates the simple JSONPath forms ASL paths use: $, $.a.b, $['a'], $.a[0]. */
export function readPath(path: string, input: unknown): unknown {
  if (!path.startsWith('$')) throw new Error(`invalid path ${path}`);
  const tokens = path.slice(1).match(/\.[^.[\]]+|\[\d+\]|\['[^']*'\]|\["[^"]*"\]/g) ?? [];
  let value: unknown = input;
  for (const token of tokens) {
    if (value === null || value === undefined) return undefined;
    let key: string | number;
    if (token.startsWith('.')) key = token.slice(1);
    else if (/^\[\d+\]$/.test(token)) key = Number(token.slice(1, -1));
    else key = token.slice(2, -2);
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}

/** How long a Wait lasts in real milliseconds before scaling (never negative). */
export function waitMilliseconds(spec: WaitSpec, input: unknown, now: number): number {
  if (spec.Seconds !== undefined) return spec.Seconds * 1000;
  if (spec.SecondsPath !== undefined) {
    const seconds = readPath(spec.SecondsPath, input);
    if (typeof seconds !== 'number' || seconds < 0) throw statesRuntime(`SecondsPath ${spec.SecondsPath} is not a non-negative number`);
    return seconds * 1000;
  }
  const stamp = spec.Timestamp ?? (spec.TimestampPath !== undefined ? readPath(spec.TimestampPath, input) : undefined);
  if (typeof stamp !== 'string' || Number.isNaN(Date.parse(stamp))) throw statesRuntime('Wait timestamp is not an RFC 3339 timestamp');
  return Math.max(0, Date.parse(stamp) - now);
}

function statesRuntime(message: string): Error {
  const err = new Error(message);
  err.name = 'States.Runtime';
  return err;
}
