/**
 * Step Functions Standard quotas on the offline cloud, through @aws-sdk/client-sfn: the 25,000-event
 * history (event 25,000 may only be ExecutionSucceeded; otherwise the execution fails with States.Runtime
 * and no Catch runs), the 256 KiB payload (StartExecution refuses it; a state's input or output over it is
 * States.DataLimitExceeded, which States.ALL does not catch) and the one-year execution time.
 */
import { DescribeExecutionCommand, DescribeExecutionCommandOutput, GetExecutionHistoryCommand, HistoryEvent, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { FIXTURE } from './fixtures/sfn-app/app';
import { Harness, pollUntil, startHarness } from './fixtures/sfn-app/harness';
import { HISTORY_LIMIT_CAUSE } from '../src/sfn/quotas';

let h: Harness;
const invoked: unknown[] = [];
const WORKER_ARN = `arn:aws:lambda:us-east-1:000000000000:function:${FIXTURE.workerName}`;

beforeAll(async () => {
  h = await startHarness();
  await h.sfn.deployAssembly(h.assemblyDir);
  h.sfn.setWaitScale(0.001);
  h.sfn.onInvoke = (_fn, payload) => invoked.push(payload);
}, 90_000);

afterAll(async () => {
  await h?.close();
});

function machine(name: string, definition: object): string {
  const arn = `arn:aws:states:us-east-1:000000000000:stateMachine:${name}`;
  h.sfn.putStateMachine({ name, arn, definition: JSON.stringify(definition), tags: [] });
  return arn;
}

async function run(stateMachineArn: string, input: unknown): Promise<{ d: DescribeExecutionCommandOutput; events: HistoryEvent[] }> {
  const { executionArn } = await h.sfnClient.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input) }));
  const d = await pollUntil(
    async () => {
      const out = await h.sfnClient.send(new DescribeExecutionCommand({ executionArn }));
      return out.status === 'RUNNING' ? undefined : out;
    },
    `${executionArn} to end`,
    120_000,
  );
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await h.sfnClient.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }));
    events.push(...page.events!);
    nextToken = page.nextToken;
  } while (nextToken);
  return { d, events };
}

const entered = (events: HistoryEvent[], state: string) => events.some((e) => e.stateEnteredEventDetails?.name === state);
const caught = { Caught: { Type: 'Pass', End: true } };
const catchAll = [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }];

/** An inline Map of `items` Pass iterations (4 events each), then `passes` Pass states (2 each). */
function mapThenPasses(passes: number): object {
  const states: Record<string, object> = {
    Fan: {
      Type: 'Map',
      ItemsPath: '$.items',
      ResultPath: null,
      Iterator: { StartAt: 'One', States: { One: { Type: 'Pass', End: true } } },
      Catch: catchAll,
      Next: 'P0',
    },
    ...caught,
  };
  for (let i = 0; i < passes; i++) states[`P${i}`] = { Type: 'Pass', ...(i + 1 < passes ? { Next: `P${i + 1}` } : { End: true }) };
  return { StartAt: 'Fan', States: states };
}
// ExecutionStarted + MapStateEntered/Started + 4 per item + MapStateSucceeded/Exited + 2 per Pass + ExecutionSucceeded
const ITEMS = Array.from({ length: 6248 }, (_, i) => i); // 1 + 2 + 24,992 + 2 + 2 + 1 = 25,000 with one Pass

describe('the 25,000-event history quota', () => {
  test('an execution whose event 25,000 is ExecutionSucceeded succeeds', async () => {
    const { d, events } = await run(machine('quota-exact', mapThenPasses(1)), { items: ITEMS });
    expect(d.status).toBe('SUCCEEDED');
    expect(events).toHaveLength(25_000);
    expect(events[events.length - 1].type).toBe('ExecutionSucceeded');
    expect(events.filter((e) => e.type === 'MapStateStarted')).toHaveLength(1);
  }, 180_000);

  test('one state more fails it at event 25,000 with States.Runtime, and no Catch runs', async () => {
    const { d, events } = await run(machine('quota-over', mapThenPasses(2)), { items: ITEMS });
    expect([d.status, d.error, d.cause]).toEqual(['FAILED', 'States.Runtime', HISTORY_LIMIT_CAUSE]);
    expect(HISTORY_LIMIT_CAUSE).toBe('The execution reached the maximum number of history events (25000).');
    expect(events).toHaveLength(25_000);
    const last = events[events.length - 1];
    expect([last.id, last.previousEventId, last.type]).toEqual([25_000, 24_999, 'ExecutionFailed']);
    expect(last.executionFailedEventDetails).toEqual({ error: 'States.Runtime', cause: HISTORY_LIMIT_CAUSE });
    expect(entered(events, 'Caught')).toBe(false);
  }, 180_000);

  test('a loop that never ends inside a Map with a Catch on States.ALL fails at the quota; the Catch does not run', async () => {
    const loop = {
      StartAt: 'Wrap',
      States: {
        Wrap: {
          Type: 'Map',
          ItemsPath: '$.items',
          Iterator: {
            StartAt: 'Spin',
            States: {
              Spin: { Type: 'Pass', Next: 'Again' },
              Again: { Type: 'Choice', Choices: [{ Variable: '$.stop', BooleanEquals: true, Next: 'Out' }], Default: 'Spin' },
              Out: { Type: 'Succeed' },
            },
          },
          Catch: catchAll,
          End: true,
        },
        ...caught,
      },
    };
    const { d, events } = await run(machine('quota-loop', loop), { items: [{ stop: false }] });
    expect([d.status, d.error]).toEqual(['FAILED', 'States.Runtime']);
    expect(events.map((e) => e.id).slice(-2)).toEqual([24_999, 25_000]);
    expect(entered(events, 'Caught')).toBe(false);
  }, 180_000);
});

describe('the 256 KiB payload quota', () => {
  const big = (bytes: number) => 'x'.repeat(bytes);

  test('StartExecution refuses an input over 262,144 bytes and accepts one at it', async () => {
    const arn = machine('payload-start', { StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } });
    const over = JSON.stringify({ s: big(262_144) });
    await expect(h.sfnClient.send(new StartExecutionCommand({ stateMachineArn: arn, input: over }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('Member must have length less than or equal to 262144'),
    });
    const at = JSON.stringify({ s: big(262_144 - 8) }); // {"s":""} is 8 bytes
    expect(Buffer.byteLength(at)).toBe(262_144);
    const { d } = await run(arn, JSON.parse(at));
    expect(d.status).toBe('SUCCEEDED');
  });

  test("a state's output over the quota fails the execution with States.DataLimitExceeded; States.ALL does not catch it", async () => {
    const arn = machine('payload-output', {
      StartAt: 'Echo',
      States: {
        Echo: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: WORKER_ARN, Payload: { action: 'tick', round: 0, 'blob.$': '$.blob' } },
          ResultPath: '$.echo',
          Catch: catchAll,
          Next: 'After',
        },
        After: { Type: 'Pass', End: true },
        ...caught,
      },
    });
    const { d, events } = await run(arn, { blob: big(150_000) }); // input 150 KB, output (input + echo) 300 KB
    expect([d.status, d.error, d.cause]).toEqual([
      'FAILED',
      'States.DataLimitExceeded',
      "The state/task 'Echo' returned a result with a size exceeding the maximum number of bytes service limit.",
    ]);
    expect(events[events.length - 1].executionFailedEventDetails?.error).toBe('States.DataLimitExceeded');
    expect(entered(events, 'Caught')).toBe(false);
    expect(entered(events, 'After')).toBe(false);
  });

  test("a task's input over the quota after Parameters fails before the function is called, uncaught", async () => {
    const arn = machine('payload-input', {
      StartAt: 'Twice',
      States: {
        Twice: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: WORKER_ARN, Payload: { action: 'tick', 'a.$': '$.blob', 'b.$': '$.blob', key: 'payload-input' } },
          Catch: catchAll,
          End: true,
        },
        ...caught,
      },
    });
    const before = invoked.length;
    const { d, events } = await run(arn, { blob: big(150_000) });
    expect([d.status, d.error]).toEqual(['FAILED', 'States.DataLimitExceeded']);
    expect(invoked.slice(before).some((p) => (p as { key?: string }).key === 'payload-input')).toBe(false);
    expect(entered(events, 'Caught')).toBe(false);
  });
});

test('an execution still running after one year of the cloud clock times out with States.Timeout', async () => {
  h.sfn.setWaitScale(1e-9); // one cloud year ≈ 32 ms here
  try {
    const arn = machine('year-long', {
      StartAt: 'TwoYears',
      States: { TwoYears: { Type: 'Wait', Seconds: 2 * 365 * 24 * 3600, Next: 'Done' }, Done: { Type: 'Pass', End: true } },
    });
    const { d, events } = await run(arn, {});
    expect([d.status, d.error]).toEqual(['TIMED_OUT', 'States.Timeout']);
    expect(events[events.length - 1].type).toBe('ExecutionTimedOut');
    expect(entered(events, 'Done')).toBe(false);
  } finally {
    h.sfn.setWaitScale(0.001);
  }
});

test("the state machine's own TimeoutSeconds times an execution out on the cloud clock, with no Catch", async () => {
  // wait scale 0.001: a 3,600 s TimeoutSeconds is 3.6 s here, a 2-hour Wait would be 7.2 s
  const arn = machine('own-timeout', {
    TimeoutSeconds: 3600,
    StartAt: 'TwoHours',
    States: { TwoHours: { Type: 'Wait', Seconds: 7200, Next: 'Done' }, Done: { Type: 'Pass', End: true } },
  });
  const { d, events } = await run(arn, {});
  expect([d.status, d.error]).toEqual(['TIMED_OUT', 'States.Timeout']);
  expect(events[events.length - 1].type).toBe('ExecutionTimedOut');
  // timed as Waits are (the wait scale), not as 3,600 real seconds: it ended long before this test's timeout
  expect(entered(events, 'Done')).toBe(false);
  expect(d.cause).toBeUndefined();
});
