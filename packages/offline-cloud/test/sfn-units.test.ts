/** Pure parts of the Step Functions emulator: definition preparation, paths, waits, schedules. */
import { bindTask, LOCAL_WAIT_RESOURCE, prepareDefinition, readPath, waitMilliseconds } from '../src/sfn/definition';
import { describedView, listedView } from '../src/sfn/consistency';
import { nextCronMatch, parseCron, parseScheduleExpression } from '../src/sfn/schedule';

describe('prepareDefinition', () => {
  const source = {
    StartAt: 'Wait1',
    States: {
      Wait1: { Type: 'Wait', SecondsPath: '$.delay', InputPath: '$.in', Next: 'Each' },
      Each: {
        Type: 'Map',
        ItemProcessor: { StartAt: 'Inner', States: { Inner: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', End: true } } },
        Next: 'Both',
      },
      Both: {
        Type: 'Parallel',
        Branches: [
          { StartAt: 'Direct', States: { Direct: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:1:function:f', TimeoutSeconds: 9, End: true } } },
        ],
        End: true,
      },
    },
  };

  test('finds tasks inside Map and Parallel, replaces Waits, and leaves the source untouched', () => {
    const p = prepareDefinition(source);
    expect([...p.tasks.keys()].sort()).toEqual(['Direct', 'Inner']);
    expect(p.tasks.get('Inner')!.kind).toBe('lambda-integration');
    expect(p.tasks.get('Direct')).toMatchObject({ kind: 'lambda-direct', functionArn: 'arn:aws:lambda:us-east-1:1:function:f' });
    expect(p.stateTypes.get('Wait1')).toBe('Wait');
    expect(p.waits.get('Wait1')).toEqual({ SecondsPath: '$.delay' });
    expect(p.definition.States.Wait1).toEqual({ Type: 'Task', Resource: LOCAL_WAIT_RESOURCE, TimeoutSeconds: 2147483, InputPath: '$.in', Next: 'Each' });
    const inner = (p.definition.States.Each as unknown as { ItemProcessor: { States: Record<string, { TimeoutSeconds?: number }> } }).ItemProcessor.States
      .Inner;
    expect(inner.TimeoutSeconds).toBe(2147483); // the library's 60 s default would cut long tasks short
    const direct = (p.definition.States.Both as unknown as { Branches: { States: Record<string, { TimeoutSeconds?: number }> }[] }).Branches[0].States.Direct;
    expect(direct.TimeoutSeconds).toBe(9);
    expect(source.States.Wait1.Type).toBe('Wait');
  });

  test('unsupported resources are named, not silently run', () => {
    expect(bindTask('arn:aws:states:::lambda:invoke.waitForTaskToken')).toMatchObject({
      kind: 'unsupported',
      reason: expect.stringContaining('waitForTaskToken'),
    });
    expect(bindTask('arn:aws:states:::sns:publish')).toMatchObject({ kind: 'unsupported' });
  });
});

test('readPath and waitMilliseconds follow ASL paths and wait forms', () => {
  const input = { a: { b: [10, { c: 'x' }] }, 'odd key': 3, at: '2030-01-01T00:00:10Z' };
  expect(readPath('$', input)).toBe(input);
  expect(readPath('$.a.b[0]', input)).toBe(10);
  expect(readPath('$.a.b[1].c', input)).toBe('x');
  expect(readPath("$['odd key']", input)).toBe(3);
  expect(readPath('$.missing.deeper', input)).toBeUndefined();
  expect(waitMilliseconds({ Seconds: 5 }, input, 0)).toBe(5000);
  expect(waitMilliseconds({ SecondsPath: '$.a.b[0]' }, input, 0)).toBe(10_000);
  expect(waitMilliseconds({ TimestampPath: '$.at' }, input, Date.parse('2030-01-01T00:00:00Z'))).toBe(10_000);
  expect(waitMilliseconds({ Timestamp: '2020-01-01T00:00:00Z' }, input, Date.parse('2030-01-01T00:00:00Z'))).toBe(0);
  expect(() => waitMilliseconds({ SecondsPath: '$.a' }, input, 0)).toThrow(expect.objectContaining({ name: 'States.Runtime' }));
});

describe('schedule expressions', () => {
  test('rate() in minutes, hours and days', () => {
    expect(parseScheduleExpression('rate(1 minute)')).toEqual({ kind: 'rate', periodMs: 60_000 });
    expect(parseScheduleExpression('rate(15 minutes)')).toEqual({ kind: 'rate', periodMs: 900_000 });
    expect(parseScheduleExpression('rate(2 hours)')).toEqual({ kind: 'rate', periodMs: 7_200_000 });
    expect(parseScheduleExpression('rate(1 day)')).toEqual({ kind: 'rate', periodMs: 86_400_000 });
    expect(() => parseScheduleExpression('every minute')).toThrow();
  });

  test('cron() finds the next UTC match', () => {
    const at = (iso: string) => Date.parse(iso);
    const every15 = parseCron('0/15 * * * ? *');
    expect(new Date(nextCronMatch(every15, at('2026-03-01T10:07:30Z'))!).toISOString()).toBe('2026-03-01T10:15:00.000Z');
    const weekdays2am = parseCron('0 2 ? * MON-FRI *');
    // 2026-03-07 is a Saturday: next match is Monday 2026-03-09 02:00
    expect(new Date(nextCronMatch(weekdays2am, at('2026-03-07T12:00:00Z'))!).toISOString()).toBe('2026-03-09T02:00:00.000Z');
    const firstOfMonth = parseCron('30 6 1 * ? *');
    expect(new Date(nextCronMatch(firstOfMonth, at('2026-03-01T06:30:00Z'))!).toISOString()).toBe('2026-04-01T06:30:00.000Z');
    expect(nextCronMatch(parseCron('0 0 1 1 ? 2020'), at('2026-01-01T00:00:00Z'))).toBeUndefined();
    expect(() => parseCron('0 25 * * ? *')).toThrow();
  });
});

describe('eventual consistency views', () => {
  const base = { executionArn: 'arn:e', stateMachineArn: 'arn:sm', name: 'e', input: '{}' };
  const running = { ...base, status: 'RUNNING' as const, startDate: 10_000 };
  const done = { ...base, status: 'SUCCEEDED' as const, startDate: 10_000, stopDate: 20_000, output: '{"ok":true}' };

  test('ListExecutions leaves out what started within the lag and shows what ended within it as RUNNING', () => {
    expect(listedView(running, 14_000, 5_000)).toBeUndefined();
    expect(listedView(running, 15_000, 5_000)).toBe(running);
    expect(listedView(done, 24_000, 5_000)).toEqual({ ...base, status: 'RUNNING', startDate: 10_000 });
    expect(listedView(done, 25_000, 5_000)).toBe(done);
    expect(listedView(done, 10_001, 0)).toBe(done);
  });

  test('DescribeExecution finds a just-started execution and lags only its status', () => {
    expect(describedView(running, 10_001, 5_000)).toBe(running);
    expect(describedView(done, 24_000, 5_000)).toEqual({ ...base, status: 'RUNNING', startDate: 10_000 });
    expect(describedView(done, 20_001, 0)).toBe(done);
  });
});
