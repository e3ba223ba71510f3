/**
 * The offline cloud's Step Functions service: state machines and Lambda functions deployed from a
 * synthesized CDK assembly, executions run by aws-local-stepfunctions with each Lambda task bound to
 * its bundled handler, schedules on an accelerated clock, and the SFN API over AWS JSON 1.0.
 *
 * Time: everything runs on the cloud clock (ctx.clock, src/clock.ts): at time scale n, Waits, retry
 * intervals, the execution time limit and Lambda timeouts take 1/n of their real time, history
 * timestamps are cloud times, and schedules (once `setSchedules(true)`) fire on it. `setWaitScale(f)`
 * multiplies Wait durations and retry intervals by f on top (a shortcut some tests take: a run with
 * f ≠ 1 measures no AWS figure).
 */
import { randomUUID } from 'node:crypto';
import type { CloudContext } from '../context';
import type { CloudRequest, CloudResponse, Service } from '../service';
import { AwsError } from '../service';
import type { DeployedStack, DeployTarget } from '../assembly/deploy';
import type { DeployHost, Tag } from '../assembly/provisioners';
import { FunctionConfig, LambdaRuntime } from '../lambda/runtime';
import * as api from './api';
import { describedView, listedView } from './consistency';
import { AslMachine, prepareDefinition, PreparedDefinition } from './definition';
import { createLocalStateMachine, ExecutionRecord, RunningExecution } from './execution';
import type { HistoryEventRecord } from './history';
import { payloadBytes, PAYLOAD_LIMIT_BYTES } from './quotas';
import { Scheduler, ScheduleSpec } from './schedule';
import { authorizeTaskInvoke } from '../iam/task-invoke';
import { executionEnded, executionStarted } from './metrics';

export interface StateMachineRecord {
  name: string;
  arn: string;
  definition: string;
  roleArn: string;
  tags: Tag[];
  /** Epoch milliseconds. */
  creationDate: number;
}

interface StoredExecution {
  record: ExecutionRecord;
  events: HistoryEventRecord[];
}

export interface StepFunctionsState {
  stateMachines: StateMachineRecord[];
  functions: FunctionConfig[];
  schedules: ScheduleSpec[];
  stacks: DeployedStack[];
  executions: StoredExecution[];
  waitScale: number;
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what this pattern looks for
const NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;

/** One account's Step Functions (and Lambda) in one region; regional.ts composes them. */
export class StepFunctionsStore implements Service {
  readonly names = ['states'];
  readonly throttleCode = 'ThrottlingException';
  private readonly lambda: LambdaRuntime;
  private readonly scheduler: Scheduler;
  private readonly machines = new Map<string, StateMachineRecord & { prepared: PreparedDefinition }>();
  private readonly executions = new Map<string, StoredExecution>();
  private readonly running = new Map<string, RunningExecution>();
  private readonly stacks = new Map<string, DeployedStack>();
  private waitScale = 1;
  private readonly operations: Record<string, api.Operation>;

  constructor(private readonly ctx: CloudContext) {
    const iam = ctx.iam;
    const credentials =
      iam &&
      ((roleArn: string) => {
        const role = iam.roleByArn(roleArn);
        return role && iam.credentialsFor(role);
      });
    const here = { account: ctx.accountId, region: ctx.region };
    this.lambda = new LambdaRuntime({
      endpoint: ctx.endpoint,
      region: ctx.region,
      log: (m) => ctx.log(m),
      credentials,
      clock: ctx.clock,
      // what a function logs reaches CloudWatch Logs, where embedded metric format lines become metrics
      onLogLine: (fn, line) => ctx.metrics?.logLine(here, `function ${fn.name}`, line),
    });
    this.scheduler = new Scheduler(ctx.clock, (spec) => this.fireSchedule(spec));
    this.operations = {
      StartExecution: (i) => this.startExecution(i),
      DescribeExecution: (i) => this.describeExecution(i),
      ListExecutions: (i) => this.listExecutions(i),
      StopExecution: (i) => this.stopExecution(i),
      GetExecutionHistory: (i) => this.getExecutionHistory(i),
      ListStateMachines: (i) => this.listStateMachines(i),
      DescribeStateMachine: (i) => this.describeStateMachine(api.requireString(i, 'stateMachineArn')),
      ListTagsForResource: (i) => ({ tags: this.machine(api.requireString(i, 'resourceArn')).tags.map((t) => ({ key: t.Key, value: t.Value })) }),
    };
  }

  handle(req: CloudRequest): Promise<CloudResponse> {
    return api.handleJsonRequest(req, this.operations);
  }

  error(status: number, code: string, message: string): CloudResponse {
    return api.jsonError(status, code, message);
  }

  // ---- deployment -------------------------------------------------------------------------------

  /** Where a stack of this account and region deploys (src/assembly/deploy.ts), and the stacks it holds. */
  deployTarget(): DeployTarget {
    const ctx = this.ctx;
    const host: DeployHost = {
      region: ctx.region,
      accountId: ctx.accountId,
      dataDir: ctx.dataDir,
      registerFunction: (config) => this.lambda.register(config),
      putStateMachine: (sm) => this.putStateMachine(sm),
      putSchedule: (spec) => this.scheduler.put(spec),
      log: (m) => ctx.log(m),
      iam: ctx.iam,
      invokeFunction: (arn, payload) => this.lambda.invoke(arn, payload),
      hasFunction: (arn) => this.lambda.get(arn) !== undefined,
      customResources: ctx.customResources ? { responses: ctx.customResources, endpoint: ctx.endpoint } : undefined,
    };
    return { host, stacks: this.stacks };
  }

  /** Whether this store has the function (by name or ARN). */
  hasFunction(nameOrArn: string): boolean {
    return this.lambda.get(nameOrArn) !== undefined;
  }

  /** Creates or updates (same name) a state machine; the definition must be runnable ASL. */
  putStateMachine(sm: { name: string; arn: string; definition: string; roleArn?: string; tags: Tag[] }): void {
    let parsed: AslMachine;
    try {
      parsed = JSON.parse(sm.definition) as AslMachine;
    } catch {
      throw new AwsError('InvalidDefinition', `state machine ${sm.name}: definition is not JSON`);
    }
    const prepared = prepareDefinition(parsed);
    try {
      createLocalStateMachine(prepared);
    } catch (err) {
      throw new AwsError('InvalidDefinition', `state machine ${sm.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const previous = this.machines.get(sm.arn);
    this.machines.set(sm.arn, {
      name: sm.name,
      arn: sm.arn,
      definition: sm.definition,
      roleArn: sm.roleArn ?? `arn:aws:iam::${this.ctx.accountId}:role/${sm.name}-role`,
      tags: sm.tags,
      creationDate: previous?.creationDate ?? this.ctx.clock.now(),
      prepared,
    });
  }

  deployedStacks(): DeployedStack[] {
    return [...this.stacks.values()];
  }

  // ---- time and Lambda --------------------------------------------------------------------------

  /** EventBridge schedules fire (on the cloud clock) or not. */
  setSchedules(on: boolean): void {
    this.scheduler.setEnabled(on);
  }

  setWaitScale(f: number): void {
    if (!(f >= 0)) throw new Error(`wait scale must be >= 0, got ${f}`);
    this.waitScale = f;
  }

  private waitFactor(): number {
    return this.waitScale / this.ctx.clock.scale;
  }

  invokeFunction(nameOrArn: string, payload: unknown): Promise<unknown> {
    return this.lambda.invoke(nameOrArn, payload);
  }

  /** Crashes a function's warm sandbox (fault injection: a step dying right after a side effect). */
  killFunctionWorker(nameOrArn: string): boolean {
    return this.lambda.killWorker(nameOrArn);
  }

  /** How many live sandboxes a function has: each ran at most one invocation at a time. */
  functionSandboxCount(nameOrArn: string): number {
    return this.lambda.sandboxCount(nameOrArn);
  }

  set onInvoke(hook: ((fn: FunctionConfig, payload: unknown) => void) | undefined) {
    this.lambda.onInvoke = hook;
  }

  get onInvoke(): ((fn: FunctionConfig, payload: unknown) => void) | undefined {
    return this.lambda.onInvoke;
  }

  // ---- executions -------------------------------------------------------------------------------

  private startExecution(input: Record<string, unknown>): Record<string, unknown> {
    const sm = this.machine(api.requireString(input, 'stateMachineArn'));
    const name = typeof input.name === 'string' ? input.name : randomUUID();
    if (!NAME.test(name)) throw new AwsError('InvalidName', `Invalid Name: '${name}'`);
    const rawInput = typeof input.input === 'string' ? input.input : '{}';
    // StartExecution's `input`: "Length Constraints: Maximum length of 262144" (UTF-8 bytes), refused as a
    // constraint violation (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
    if (payloadBytes(rawInput) > PAYLOAD_LIMIT_BYTES) {
      throw new AwsError(
        'ValidationException',
        `1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to ${PAYLOAD_LIMIT_BYTES}`,
      );
    }
    try {
      JSON.parse(rawInput);
    } catch {
      throw new AwsError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not valid JSON');
    }
    const executionArn = `arn:aws:states:${this.ctx.region}:${this.ctx.accountId}:execution:${sm.name}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      // AWS: same name and input while still running is the same call; anything else is a conflict.
      if (existing.record.status === 'RUNNING' && existing.record.input === rawInput) {
        return { executionArn, startDate: api.epochSeconds(existing.record.startDate) };
      }
      throw new AwsError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const record: ExecutionRecord = { executionArn, stateMachineArn: sm.arn, name, status: 'RUNNING', input: rawInput, startDate: this.ctx.clock.now() };
    const run = new RunningExecution(record, sm.prepared, {
      region: this.ctx.region,
      roleArn: sm.roleArn,
      stateMachineName: sm.name,
      invoke: async (fn, payload) => {
        // a task of a region that is down waits for it (src/region-outage.ts)
        await this.ctx.outages?.whenUp(this.ctx.region);
        const arn = this.lambda.get(fn)?.arn;
        if (this.ctx.iam && arn) await authorizeTaskInvoke(this.ctx.iam, sm.roleArn, arn, this.ctx.region);
        return this.lambda.invoke(fn, payload);
      },
      waitFactor: () => this.waitFactor(),
      clock: this.ctx.clock,
      onFinished: (ended) => {
        executionEnded(this.ctx, ended);
        this.running.delete(executionArn);
        this.ctx.markDirty();
      },
    });
    executionStarted(this.ctx, record);
    this.executions.set(executionArn, { record, events: run.history.events });
    this.running.set(executionArn, run);
    run.done.catch((err: unknown) => this.ctx.log(`sfn: execution ${executionArn} crashed: ${String(err)}`));
    this.ctx.markDirty();
    return { executionArn, startDate: api.epochSeconds(record.startDate) };
  }

  private stopExecution(input: Record<string, unknown>): Record<string, unknown> {
    const stored = this.execution(api.requireString(input, 'executionArn'));
    this.running.get(stored.record.executionArn)?.abort(input.error as string | undefined, input.cause as string | undefined);
    this.ctx.markDirty();
    return { stopDate: api.epochSeconds(stored.record.stopDate ?? this.ctx.clock.now()) };
  }

  /** The `consistency=MS` fault lags these reads (consistency.ts), whatever the `services` filter says. */
  private lagMs(): number {
    return this.ctx.faults.consistencyMs;
  }

  private countLag(hidden: number): void {
    if (hidden > 0) this.ctx.faultCounts.consistency = (this.ctx.faultCounts.consistency ?? 0) + hidden;
  }

  private describeExecution(input: Record<string, unknown>): Record<string, unknown> {
    const record = this.execution(api.requireString(input, 'executionArn')).record;
    const seen = describedView(record, this.ctx.clock.now(), this.lagMs());
    this.countLag(seen === record ? 0 : 1);
    return api.renderDescribeExecution(seen);
  }

  private listExecutions(input: Record<string, unknown>): Record<string, unknown> {
    const smArn = api.requireString(input, 'stateMachineArn');
    this.machine(smArn);
    const filter = input.statusFilter as string | undefined;
    const now = this.ctx.clock.now();
    const mine = [...this.executions.values()].map((e) => e.record).filter((r) => r.stateMachineArn === smArn);
    const seen = mine.map((r) => listedView(r, now, this.lagMs()));
    this.countLag(seen.filter((v, i) => v !== mine[i]).length);
    // the status filter applies to what the lagging read sees, as it would in AWS
    const all = seen.filter((r): r is ExecutionRecord => r !== undefined && (!filter || r.status === filter)).sort((a, b) => b.startDate - a.startDate);
    const { page, nextToken } = api.paginate(all, input.maxResults, input.nextToken);
    return { executions: page.map(api.renderExecutionItem), nextToken };
  }

  private getExecutionHistory(input: Record<string, unknown>): Record<string, unknown> {
    const stored = this.execution(api.requireString(input, 'executionArn'));
    const ordered = input.reverseOrder === true ? [...stored.events].reverse() : stored.events;
    const { page, nextToken } = api.paginate(ordered, input.maxResults, input.nextToken, 1000);
    return { events: page.map(api.renderHistoryEvent), nextToken };
  }

  private listStateMachines(input: Record<string, unknown>): Record<string, unknown> {
    const all = [...this.machines.values()].sort((a, b) => a.name.localeCompare(b.name));
    const { page, nextToken } = api.paginate(all, input.maxResults, input.nextToken);
    return {
      stateMachines: page.map((m) => ({ stateMachineArn: m.arn, name: m.name, type: 'STANDARD', creationDate: api.epochSeconds(m.creationDate) })),
      nextToken,
    };
  }

  private describeStateMachine(arn: string): Record<string, unknown> {
    const m = this.machine(arn);
    return {
      stateMachineArn: m.arn,
      name: m.name,
      status: 'ACTIVE',
      definition: m.definition,
      roleArn: m.roleArn,
      type: 'STANDARD',
      creationDate: api.epochSeconds(m.creationDate),
      loggingConfiguration: { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: { enabled: false },
    };
  }

  private fireSchedule(spec: ScheduleSpec): void {
    // a down region's rules do not fire, nor catch up later
    if (this.ctx.outages?.isDown(this.ctx.region)) return this.ctx.log(`sfn: schedule ${spec.id} did not fire: region ${this.ctx.region} is down`);
    if (!this.machines.has(spec.stateMachineArn)) return this.ctx.log(`sfn: schedule ${spec.id} targets a missing state machine`);
    try {
      this.startExecution({ stateMachineArn: spec.stateMachineArn, input: spec.input });
    } catch (err) {
      this.ctx.log(`sfn: schedule ${spec.id} could not start an execution: ${String(err)}`);
    }
  }

  private machine(arn: string) {
    const m = this.machines.get(arn);
    if (!m) throw new AwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return m;
  }

  private execution(arn: string): StoredExecution {
    const e = this.executions.get(arn);
    if (!e) throw new AwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return e;
  }

  // ---- persistence ------------------------------------------------------------------------------

  toJSON(): StepFunctionsState {
    return {
      stateMachines: [...this.machines.values()].map(({ prepared: _prepared, ...m }) => m),
      functions: this.lambda.list(),
      schedules: this.scheduler.list(),
      stacks: [...this.stacks.values()],
      executions: [...this.executions.values()].map((e) => ({ record: { ...e.record }, events: [...e.events] })),
      waitScale: this.waitScale,
    };
  }

  /**
   * Restores a saved state. Executions that were running when it was saved cannot resume (their
   * in-memory progress is gone): they come back FAILED with cause 'offline cloud restarted'.
   */
  restore(state: unknown): void {
    const s = state as Partial<StepFunctionsState>;
    for (const m of s.stateMachines ?? []) this.putStateMachine(m);
    for (const f of s.functions ?? []) this.lambda.register(f);
    for (const spec of s.schedules ?? []) this.scheduler.put(spec);
    for (const stack of s.stacks ?? []) this.stacks.set(stack.stackName, stack);
    for (const e of s.executions ?? []) {
      const record = { ...e.record };
      if (record.status === 'RUNNING')
        Object.assign(record, { status: 'FAILED', error: 'States.Runtime', cause: 'offline cloud restarted', stopDate: this.ctx.clock.now() });
      this.executions.set(record.executionArn, { record, events: e.events ?? [] });
    }
    if (typeof s.waitScale === 'number') this.waitScale = s.waitScale;
  }

  /** Stops schedules, aborts running executions and kills the Lambda workers. */
  async close(): Promise<void> {
    this.scheduler.close();
    for (const run of this.running.values()) run.abort('States.Runtime', 'offline cloud shut down');
    this.running.clear();
    await this.lambda.close();
  }
}
