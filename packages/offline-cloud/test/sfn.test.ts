/**
 * The Step Functions + Lambda emulator running the fixture CDK app's synthesized state machine,
 * driven through the real @aws-sdk/client-sfn over the offline cloud's edge.
 */
import {
  DescribeExecutionCommand,
  DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  HistoryEvent,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  DescribeStateMachineCommand,
  StartExecutionCommand,
  SFNClient,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { createStepFunctionsService } from '../src/sfn/index';
import { FIXTURE } from './fixtures/sfn-app/app';
import { Harness, pollUntil, startHarness } from './fixtures/sfn-app/harness';

const SM_ARN = `arn:aws:states:us-east-1:000000000000:stateMachine:${FIXTURE.stateMachineName}`;
const SCHEDULED_INPUT = JSON.stringify({ rounds: 0, items: [], failTimes: 0 });

let h: Harness;
const invocations: { fn: string; payload: unknown }[] = [];

beforeAll(async () => {
  process.env.LIFEBOAT_PARENT_ONLY_SECRET = 'must-not-leak';
  h = await startHarness();
  await h.sfn.deployAssembly(h.assemblyDir);
  h.sfn.setWaitScale(0.001);
  h.sfn.onInvoke = (fn, payload) => invocations.push({ fn: fn.name, payload });
}, 90_000);

afterAll(async () => {
  delete process.env.LIFEBOAT_PARENT_ONLY_SECRET;
  await h?.close();
});

async function start(name: string, input: object): Promise<string> {
  const out = await h.sfnClient.send(new StartExecutionCommand({ stateMachineArn: SM_ARN, name, input: JSON.stringify(input) }));
  return out.executionArn!;
}

async function finished(executionArn: string): Promise<DescribeExecutionCommandOutput> {
  return pollUntil(async () => {
    const d = await h.sfnClient.send(new DescribeExecutionCommand({ executionArn }));
    return d.status === 'RUNNING' ? undefined : d;
  }, `${executionArn} to finish`);
}

async function history(executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await h.sfnClient.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 25, nextToken }));
    events.push(...page.events!);
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

const countOf = (events: HistoryEvent[], type: string) => events.filter((e) => e.type === type).length;

test('the deployed state machine is listed and described with its resolved definition', async () => {
  const list = await h.sfnClient.send(new ListStateMachinesCommand({}));
  expect(list.stateMachines!.map((m) => m.stateMachineArn)).toContain(SM_ARN);
  const d = await h.sfnClient.send(new DescribeStateMachineCommand({ stateMachineArn: SM_ARN }));
  const asl = JSON.parse(d.definition!);
  expect(asl.States.CallFlaky.Parameters.FunctionName).toBe(`arn:aws:lambda:us-east-1:000000000000:function:${FIXTURE.flakyName}`);
  expect(asl.States.CallFlaky.Resource).toBe('arn:aws:states:::lambda:invoke');
  expect(d.creationDate).toBeInstanceOf(Date);
});

test("another region's Step Functions is another store: it lists none of this region's machines", async () => {
  const west = new SFNClient({ endpoint: h.endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  try {
    expect((await west.send(new ListStateMachinesCommand({}))).stateMachines).toEqual([]);
    await expect(west.send(new DescribeStateMachineCommand({ stateMachineArn: SM_ARN }))).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
  } finally {
    west.destroy();
  }
});

test('a function sees only its own environment and the Lambda runtime variables', async () => {
  const { env } = (await h.sfn.invokeFunction(FIXTURE.workerName, { action: 'env' })) as { env: Record<string, string> };
  expect(Object.keys(env).sort()).toEqual(
    [
      'AWS_ACCESS_KEY_ID',
      'AWS_DEFAULT_REGION',
      'AWS_ENDPOINT_URL',
      'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
      'AWS_LAMBDA_FUNCTION_NAME',
      'AWS_LAMBDA_INITIALIZATION_TYPE',
      'AWS_REGION',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SESSION_TOKEN',
      'BUCKET_NAME',
      'PATH',
      'STAGE',
    ].sort(),
  );
  expect(env.AWS_ENDPOINT_URL).toBe(h.endpoint);
  expect(env.AWS_LAMBDA_FUNCTION_NAME).toBe(FIXTURE.workerName);
  expect(env.AWS_LAMBDA_INITIALIZATION_TYPE).toBe('on-demand');
  expect(env.STAGE).toBe('fixture');
  const shared = h.sfn.deployedStacks().find((s) => s.stackName === 'FixtureShared')!;
  expect(env.BUCKET_NAME).toBe(shared.resources.Store1D2A845B.physicalId);
});

test('a custom Lambda error is retried, then the run goes through the Choice loop, Waits and the Map', async () => {
  const arn = await start('retry-1', { rounds: 2, items: [1, 2, 3], failTimes: 2 });
  const d = await finished(arn);
  expect(d.status).toBe('SUCCEEDED');
  const output = JSON.parse(d.output!);
  expect(output.flaky).toEqual({ attempts: 3 });
  expect(output.round).toBe(2);
  expect(output.processed).toEqual([1, 2, 3].map((item) => ({ item, doubled: item * 2 })));
  expect(invocations.filter((i) => i.fn === FIXTURE.flakyName && (i.payload as { key: string }).key === 'retry-1')).toHaveLength(3);

  const events = await history(arn);
  expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
  expect(events.every((e, i) => e.previousEventId === i && e.timestamp instanceof Date)).toBe(true);
  expect(events[0].type).toBe('ExecutionStarted');
  expect(JSON.parse(events[0].executionStartedEventDetails!.input!)).toEqual({ rounds: 2, items: [1, 2, 3], failTimes: 2 });
  expect(events[events.length - 1].type).toBe('ExecutionSucceeded');
  // 3 flaky attempts + 2 ticks + 3 map items, each a lambda:invoke integration task
  expect(countOf(events, 'TaskScheduled')).toBe(8);
  expect(countOf(events, 'TaskStarted')).toBe(8);
  expect(countOf(events, 'TaskSucceeded')).toBe(6);
  expect(events.filter((e) => e.type === 'TaskFailed').map((e) => e.taskFailedEventDetails!.error)).toEqual(['FlakyError', 'FlakyError']);
  expect(countOf(events, 'TaskStateEntered')).toBe(6); // a retry schedules the task again without re-entering the state, as in AWS
  expect(countOf(events, 'WaitStateEntered')).toBe(2);
  expect(countOf(events, 'WaitStateExited')).toBe(2);
  expect(countOf(events, 'ChoiceStateEntered')).toBe(3);
  expect(countOf(events, 'PassStateEntered')).toBe(1);
  expect(countOf(events, 'MapStateEntered')).toBe(1);
  expect(countOf(events, 'MapIterationStarted')).toBe(3);
  expect(countOf(events, 'MapIterationSucceeded')).toBe(3);
  expect(countOf(events, 'MapStateExited')).toBe(1);
  // each task's events come in AWS order: entered, scheduled, started, succeeded, exited
  const firstTick = events.findIndex((e) => e.stateEnteredEventDetails?.name === 'Tick');
  expect(events.slice(firstTick, firstTick + 5).map((e) => e.type)).toEqual([
    'TaskStateEntered',
    'TaskScheduled',
    'TaskStarted',
    'TaskSucceeded',
    'TaskStateExited',
  ]);
  const reversed = await h.sfnClient.send(new GetExecutionHistoryCommand({ executionArn: arn, reverseOrder: true, maxResults: 1 }));
  expect(reversed.events![0].type).toBe('ExecutionSucceeded');
  expect(reversed.nextToken).toBeDefined();
});

test('the inline Map runs at most MaxConcurrency iterations at once', async () => {
  // a sandbox runs one invocation at a time, so the sandboxes started from none are the peak of iterations at once
  h.sfn.killFunctionWorker(FIXTURE.workerName);
  expect(h.sfn.functionSandboxCount(FIXTURE.workerName)).toBe(0);
  const arn = await start('map-1', { rounds: 0, items: [1, 2, 3, 4, 5, 6], failTimes: 0 });
  expect((await finished(arn)).status).toBe('SUCCEEDED');
  expect(h.sfn.functionSandboxCount(FIXTURE.workerName)).toBe(2);
});

test('exhausted retries are caught into a Fail state with the AWS-shaped error and cause', async () => {
  const arn = await start('fail-1', { rounds: 0, items: [], failTimes: 10 });
  const d = await finished(arn);
  expect(d.status).toBe('FAILED');
  expect(d.error).toBe('FlakyError');
  const cause = JSON.parse(d.cause!);
  expect(cause).toEqual({ errorType: 'FlakyError', errorMessage: 'attempt 3 of fail-1 failed on purpose', trace: expect.any(Array) });
  expect(cause.trace[0]).toContain('FlakyError');
  const events = await history(arn);
  expect(countOf(events, 'TaskFailed')).toBe(3);
  expect(countOf(events, 'FailStateEntered')).toBe(1);
  const last = events[events.length - 1];
  expect(last.type).toBe('ExecutionFailed');
  expect(last.executionFailedEventDetails).toEqual({ error: 'FlakyError', cause: d.cause });
});

test('StopExecution aborts a running execution at its next step', async () => {
  const arn = await start('stop-1', { rounds: 1_000_000, items: [], failTimes: 0 });
  await pollUntil(async () => ((await history(arn)).some((e) => e.type === 'WaitStateExited') ? true : undefined), 'the loop to run');
  const stop = await h.sfnClient.send(new StopExecutionCommand({ executionArn: arn, error: 'Operator', cause: 'test stops it' }));
  expect(stop.stopDate).toBeInstanceOf(Date);
  const d = await h.sfnClient.send(new DescribeExecutionCommand({ executionArn: arn }));
  expect(d.status).toBe('ABORTED');
  expect(d.error).toBe('Operator');
  const events = await pollUntil(async () => {
    const ev = await history(arn);
    return ev[ev.length - 1].type === 'ExecutionAborted' ? ev : undefined;
  }, 'ExecutionAborted in the history');
  expect(countOf(events, 'ExecutionAborted')).toBe(1);
});

test('StartExecution is idempotent for the same name and input while running, and conflicts otherwise', async () => {
  const input = { rounds: 1_000_000, items: [], failTimes: 0 };
  const first = await h.sfnClient.send(new StartExecutionCommand({ stateMachineArn: SM_ARN, name: 'idem-1', input: JSON.stringify(input) }));
  const again = await h.sfnClient.send(new StartExecutionCommand({ stateMachineArn: SM_ARN, name: 'idem-1', input: JSON.stringify(input) }));
  expect(again.executionArn).toBe(first.executionArn);
  expect(again.startDate).toEqual(first.startDate);
  await expect(
    h.sfnClient.send(new StartExecutionCommand({ stateMachineArn: SM_ARN, name: 'idem-1', input: JSON.stringify({ ...input, rounds: 1 }) })),
  ).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
  await h.sfnClient.send(new StopExecutionCommand({ executionArn: first.executionArn }));
  await expect(h.sfnClient.send(new StartExecutionCommand({ stateMachineArn: SM_ARN, name: 'idem-1', input: JSON.stringify(input) }))).rejects.toMatchObject({
    name: 'ExecutionAlreadyExists',
  });
  await expect(h.sfnClient.send(new DescribeExecutionCommand({ executionArn: `${SM_ARN.replace('stateMachine', 'execution')}:nope` }))).rejects.toMatchObject({
    name: 'ExecutionDoesNotExist',
  });
});

test('ListExecutions filters by status and paginates', async () => {
  const names = async (statusFilter?: 'SUCCEEDED' | 'FAILED' | 'ABORTED') =>
    (await h.sfnClient.send(new ListExecutionsCommand({ stateMachineArn: SM_ARN, statusFilter }))).executions!.map((e) => e.name);
  expect(await names('SUCCEEDED')).toEqual(expect.arrayContaining(['retry-1', 'map-1']));
  expect(await names('SUCCEEDED')).not.toContain('fail-1');
  expect(await names('FAILED')).toEqual(['fail-1']);
  expect((await names('ABORTED')).sort()).toEqual(['idem-1', 'stop-1']);
  const page = await h.sfnClient.send(new ListExecutionsCommand({ stateMachineArn: SM_ARN, maxResults: 2 }));
  expect(page.executions).toHaveLength(2);
  const rest = await h.sfnClient.send(new ListExecutionsCommand({ stateMachineArn: SM_ARN, maxResults: 100, nextToken: page.nextToken }));
  expect(page.executions!.length + rest.executions!.length).toBe((await names()).length);
});

test('the rate(1 minute) rule starts executions only once schedules are on, every cloud minute', async () => {
  // scheduled runs get generated (uuid) names; every run this file starts by hand has a word name
  const scheduled = async () =>
    (await h.sfnClient.send(new ListExecutionsCommand({ stateMachineArn: SM_ARN }))).executions!.filter((e) => /^[0-9a-f-]{36}$/.test(e.name!));
  expect(await scheduled()).toHaveLength(0); // the rule has existed since deploy; schedules are off by default
  h.ctx.clock.setScale(600); // one minute of cloud time = 100 ms
  h.sfn.setSchedules(true);
  try {
    const fired = await pollUntil(async () => {
      const s = await scheduled();
      return s.length >= 2 ? s : undefined;
    }, 'two scheduled executions');
    expect(fired.length).toBeGreaterThanOrEqual(2);
    const d = await h.sfnClient.send(new DescribeExecutionCommand({ executionArn: fired[0].executionArn }));
    expect(d.input).toBe(SCHEDULED_INPUT);
  } finally {
    h.sfn.setSchedules(false);
    h.ctx.clock.setScale(1);
  }
});

test('while its region is down a schedule does not fire (nor catch up); once back it fires again', async () => {
  const scheduled = async () =>
    (await h.sfnClient.send(new ListExecutionsCommand({ stateMachineArn: SM_ARN }))).executions!.filter((e) => /^[0-9a-f-]{36}$/.test(e.name!)).length;
  const before = await scheduled();
  h.outages.set('us-east-1', true);
  h.ctx.clock.setScale(600);
  h.sfn.setSchedules(true);
  try {
    await pollUntil(async () => h.logs.some((l) => l.includes('did not fire: region us-east-1 is down')) || undefined, 'a skipped firing');
    expect(await scheduled()).toBe(before);
    h.outages.set('us-east-1', false);
    await pollUntil(async () => ((await scheduled()) > before ? true : undefined), 'a firing after the region is back');
  } finally {
    h.outages.set('us-east-1', false);
    h.sfn.setSchedules(false);
    h.ctx.clock.setScale(1);
  }
});

test('on the cloud clock a Wait spans its AWS time in the history, and a Lambda function keeps cloud time (Date and timers)', async () => {
  h.sfn.setWaitScale(1);
  // ten cloud seconds per real second: the function's 1 s Timeout is 100 real ms, the fixture's 5 s Pause 500
  h.ctx.clock.setScale(10);
  try {
    h.sfn.killFunctionWorker(FIXTURE.workerName); // a fresh sandbox reads the new anchor at start
    const before = h.ctx.clock.now();
    const seen = (await h.sfn.invokeFunction(FIXTURE.workerName, { action: 'clock', ms: 500 })) as { now: number; slept: number };
    expect(seen.now).toBeGreaterThanOrEqual(before);
    expect(seen.now).toBeLessThanOrEqual(h.ctx.clock.now());
    expect(seen.slept).toBeGreaterThanOrEqual(500); // half a cloud second (50 real ms)

    const arn = await start('cloud-clock', { rounds: 1, items: [1], failTimes: 0 });
    expect((await finished(arn)).status).toBe('SUCCEEDED');
    const events = await history(arn);
    const entered = events.find((e) => e.type === 'WaitStateEntered')!.timestamp!.getTime();
    const exited = events.find((e) => e.type === 'WaitStateExited')!.timestamp!.getTime();
    expect(exited - entered).toBeGreaterThanOrEqual(5000); // the fixture's 5 s Pause
  } finally {
    h.ctx.clock.setScale(1);
    h.sfn.setWaitScale(0.001);
  }
});

test('a worker that exits fails the invocation with Runtime.ExitError and the next invoke gets a fresh worker', async () => {
  await expect(h.sfn.invokeFunction(FIXTURE.workerName, { action: 'crash' })).rejects.toMatchObject({
    name: 'Runtime.ExitError',
    message: expect.stringContaining('exit status 3'),
  });
  await expect(h.sfn.invokeFunction(FIXTURE.workerName, { action: 'tick', round: 1 })).resolves.toMatchObject({ round: 2 });
});

test('the function Timeout is enforced as Sandbox.Timedout', async () => {
  await expect(h.sfn.invokeFunction(FIXTURE.workerName, { action: 'slow', ms: 10_000 })).rejects.toMatchObject({
    name: 'Sandbox.Timedout',
    message: expect.stringContaining('Task timed out after 1.00 seconds'),
  });
  await expect(h.sfn.invokeFunction(FIXTURE.workerName, { action: 'tick', round: 5 })).resolves.toMatchObject({ round: 6 });
});

test('concurrent invocations run in sandboxes of their own: one that times out fails only itself', async () => {
  const timedOut = h.sfn.invokeFunction(FIXTURE.workerName, { action: 'slow', ms: 10_000 });
  const beside = h.sfn.invokeFunction(FIXTURE.workerName, { action: 'slow', ms: 300 });
  await expect(timedOut).rejects.toMatchObject({ name: 'Sandbox.Timedout' });
  await expect(beside).resolves.toEqual({ slept: 300 });
});

test('state survives a restart; executions running at shutdown come back FAILED', async () => {
  const arn = await start('restart-1', { rounds: 1_000_000, items: [], failTimes: 0 });
  const saved = JSON.parse(JSON.stringify(h.sfn.toJSON()));
  await h.sfnClient.send(new StopExecutionCommand({ executionArn: arn }));
  const restored = createStepFunctionsService(h.ctx);
  try {
    restored.restore(saved);
    const state = restored.default.toJSON();
    expect(state.stateMachines.map((m) => m.arn)).toEqual([SM_ARN]);
    expect(state.functions.map((f) => f.name).sort()).toEqual([FIXTURE.flakyName, FIXTURE.workerName].sort());
    expect(state.schedules).toHaveLength(1);
    const byName = new Map(state.executions.map((e) => [e.record.name, e]));
    expect(byName.get('restart-1')!.record).toMatchObject({ status: 'FAILED', cause: 'offline cloud restarted' });
    expect(byName.get('retry-1')!.record.status).toBe('SUCCEEDED');
    expect(byName.get('retry-1')!.events.length).toBeGreaterThan(20);
    await expect(restored.invokeFunction(FIXTURE.workerName, { action: 'tick', round: 0 })).resolves.toMatchObject({ round: 1 });
  } finally {
    await restored.close();
  }
});

test('a Task whose Resource is a Lambda ARN gets the state input and logs LambdaFunction* events; SecondsPath waits work', async () => {
  const arn = 'arn:aws:states:us-east-1:000000000000:stateMachine:direct-lambda';
  h.sfn.putStateMachine({
    name: 'direct-lambda',
    arn,
    tags: [],
    definition: JSON.stringify({
      StartAt: 'Hold',
      States: {
        Hold: { Type: 'Wait', SecondsPath: '$.hold', Next: 'Call' },
        Call: { Type: 'Task', Resource: `arn:aws:lambda:us-east-1:000000000000:function:${FIXTURE.workerName}`, End: true },
      },
    }),
  });
  const { executionArn } = await h.sfnClient.send(
    new StartExecutionCommand({ stateMachineArn: arn, input: JSON.stringify({ hold: 30, action: 'tick', round: 3 }) }),
  );
  const d = await finished(executionArn!);
  expect(d.status).toBe('SUCCEEDED');
  expect(JSON.parse(d.output!)).toEqual({ hold: 30, round: 4 });
  const events = await history(executionArn!);
  expect(events.map((e) => e.type)).toEqual([
    'ExecutionStarted',
    'WaitStateEntered',
    'WaitStateExited',
    'TaskStateEntered',
    'LambdaFunctionScheduled',
    'LambdaFunctionStarted',
    'LambdaFunctionSucceeded',
    'TaskStateExited',
    'ExecutionSucceeded',
  ]);
  expect(events[4].lambdaFunctionScheduledEventDetails!.resource).toBe(`arn:aws:lambda:us-east-1:000000000000:function:${FIXTURE.workerName}`);
});

test('a definition the runner cannot run is refused as InvalidDefinition', () => {
  const bad = { name: 'bad', arn: 'arn:aws:states:us-east-1:000000000000:stateMachine:bad', tags: [] };
  expect(() => h.sfn.putStateMachine({ ...bad, definition: '{"StartAt":"Nowhere","States":{}}' })).toThrow(
    expect.objectContaining({ name: 'InvalidDefinition' }),
  );
  expect(() => h.sfn.putStateMachine({ ...bad, definition: 'not json' })).toThrow(expect.objectContaining({ name: 'InvalidDefinition' }));
});

describe('eventual consistency (the consistency=MS fault)', () => {
  const LONG = { rounds: 1_000_000, items: [], failTimes: 0 };
  const listed = async (statusFilter?: 'RUNNING' | 'ABORTED') =>
    new Map((await h.sfnClient.send(new ListExecutionsCommand({ stateMachineArn: SM_ARN, statusFilter }))).executions!.map((e) => [e.name!, e]));
  const describe = (executionArn: string) => h.sfnClient.send(new DescribeExecutionCommand({ executionArn }));
  afterEach(() => {
    h.ctx.faults.consistencyMs = 0;
  });

  test('ListExecutions hides a just-started execution and lists a just-stopped one as RUNNING; DescribeExecution lags its status only', async () => {
    const old = await start('lag-old', LONG);
    const startedAt = (await describe(old)).startDate!.getTime();
    await pollUntil(async () => (h.ctx.clock.now() - startedAt >= 1500 ? true : undefined), 'lag-old to be 1.5 s old');
    await h.sfnClient.send(new StopExecutionCommand({ executionArn: old }));
    const stoppedAt = (await describe(old)).stopDate!.getTime();
    // Each read lags back to the middle of lag-old's run (after its start, before its stop), however slowly this
    // machine runs: the lag is set from the clock right before the read, not assumed from elapsed time.
    const viewpoint = (startedAt + stoppedAt) / 2;
    const lagged = async <T>(read: () => Promise<T>): Promise<T> => {
      h.ctx.faults.consistencyMs = h.ctx.clock.now() - viewpoint;
      return read();
    };
    const counted = h.ctx.faultCounts.consistency ?? 0;
    const fresh = await start('lag-new', LONG);
    try {
      const seen = await lagged(() => listed());
      expect(seen.has('lag-new')).toBe(false);
      expect(seen.get('lag-old')?.status).toBe('RUNNING');
      expect(seen.get('lag-old')?.stopDate).toBeUndefined();
      expect((await lagged(() => listed('RUNNING'))).has('lag-old')).toBe(true);
      expect((await lagged(() => listed('ABORTED'))).has('lag-old')).toBe(false);
      // DescribeExecution is eventually consistent too: a stale status, but the execution is found
      const stale = await lagged(() => describe(old));
      expect([stale.status, stale.stopDate]).toEqual(['RUNNING', undefined]);
      expect((await lagged(() => describe(fresh))).status).toBe('RUNNING');
      expect(h.ctx.faultCounts.consistency ?? 0).toBeGreaterThan(counted);
      // the reads catch up once the lag has passed
      h.ctx.faults.consistencyMs = 1000;
      await pollUntil(async () => {
        const now = await listed();
        return now.get('lag-old')?.status === 'ABORTED' && now.has('lag-new') ? true : undefined;
      }, 'ListExecutions to catch up');
      expect((await describe(old)).status).toBe('ABORTED');
    } finally {
      await h.sfnClient.send(new StopExecutionCommand({ executionArn: fresh }));
    }
  });

  test('with consistency 0 every read is current: a just-started execution is listed, a just-stopped one is ABORTED', async () => {
    const arn = await start('lag-zero', LONG);
    expect((await listed()).get('lag-zero')?.status).toBe('RUNNING');
    await h.sfnClient.send(new StopExecutionCommand({ executionArn: arn }));
    expect((await listed()).get('lag-zero')).toMatchObject({ status: 'ABORTED', stopDate: expect.any(Date) });
    expect((await describe(arn)).status).toBe('ABORTED');
  });
});
