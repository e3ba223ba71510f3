/**
 * The offline CloudWatch's pure rules: an alarm's evaluation against the example tables of "Configuring how
 * CloudWatch alarms treat missing data" (every row, every TreatMissingData setting), M out of N, the comparison
 * operators; and the embedded metric format documents a Lambda function logs.
 */
import { type AlarmCondition, type AlarmState, evaluateAlarm, type RangeDatapoint, type TreatMissingData } from '../src/cloudwatch/alarm-evaluation';
import { stateReason } from '../src/cloudwatch/alarm-reason';
import { parseEmf } from '../src/cloudwatch/emf';

const PERIOD = 300_000;
const T0 = Date.UTC(2026, 11, 8, 12, 0, 0);
const THRESHOLD = 3;

/** "0 - X - X" as the tables write a range: 0 within the threshold, X breaching, - missing; oldest first. */
function range(picture: string): Array<RangeDatapoint | undefined> {
  return picture
    .split(' ')
    .map((c, i) => (c === '-' ? undefined : { start: T0 + i * PERIOD, value: c === 'X' ? THRESHOLD + 1 : THRESHOLD - 1, sampleCount: 1 }));
}

const condition = (m: number, n: number, treatMissingData: TreatMissingData): AlarmCondition => ({
  evaluationPeriods: n,
  datapointsToAlarm: m,
  threshold: THRESHOLD,
  comparison: 'GreaterThanThreshold',
  treatMissingData,
});

const MODES: TreatMissingData[] = ['missing', 'ignore', 'breaching', 'notBreaching'];
/** RETAIN: the table's "Retain current state" (checked from both OK and ALARM). */
const RETAIN = 'retain';
type Expected = AlarmState | typeof RETAIN;

function expectRow(m: number, n: number, picture: string, expected: Expected[]): void {
  MODES.forEach((mode, i) => {
    for (const current of ['OK', 'ALARM'] as AlarmState[]) {
      const want = expected[i] === RETAIN ? current : expected[i];
      expect({ picture, mode, current, state: evaluateAlarm(range(picture), condition(m, n, mode), current).state }).toEqual({
        picture,
        mode,
        current,
        state: want,
      });
    }
  });
}

describe('alarm evaluation, as the missing-data tables of the CloudWatch user guide give it', () => {
  it('3 out of 3, evaluation range 5 (the first table, every row and column)', () => {
    expectRow(3, 3, '0 - X - X', ['OK', 'OK', 'OK', 'OK']);
    expectRow(3, 3, '0 - - - -', ['OK', 'OK', 'OK', 'OK']);
    expectRow(3, 3, '- - - - -', ['INSUFFICIENT_DATA', RETAIN, 'ALARM', 'OK']);
    expectRow(3, 3, '0 X X - X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']);
    expectRow(3, 3, '- - - - X', ['INSUFFICIENT_DATA', RETAIN, 'ALARM', 'OK']);
    expectRow(3, 3, 'X - - - -', ['ALARM', RETAIN, 'ALARM', 'OK']);
  });

  it('2 out of 3 (the second table, every row and column)', () => {
    expectRow(2, 3, '0 - X - X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']);
    expectRow(2, 3, '0 0 X 0 X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']);
    expectRow(2, 3, '0 - X - -', ['OK', 'OK', 'ALARM', 'OK']);
    expectRow(2, 3, '- - - - 0', ['OK', 'OK', 'ALARM', 'OK']);
    expectRow(2, 3, '- - - - X', ['INSUFFICIENT_DATA', RETAIN, 'ALARM', 'OK']);
  });

  it('evaluates the N most recent real datapoints when the range holds N of them, whatever the setting', () => {
    // 2 of 2 over "X X 0 0": the last two are within the threshold; the older breaching ones do not count
    for (const mode of MODES) expect(evaluateAlarm(range('X X 0 0'), condition(2, 2, mode), 'ALARM').state).toBe('OK');
    // 1 of 2: one breaching datapoint among the two most recent is enough
    for (const mode of MODES) expect(evaluateAlarm(range('0 0 X 0'), condition(1, 2, mode), 'OK').state).toBe('ALARM');
  });

  it('compares with each operator as its name says, the threshold itself included or not', () => {
    const at = (value: number) => [{ start: T0, value, sampleCount: 1 }];
    const state = (comparison: AlarmCondition['comparison'], value: number) =>
      evaluateAlarm(at(value), { ...condition(1, 1, 'missing'), comparison }, 'OK').state;
    expect([state('GreaterThanThreshold', 3), state('GreaterThanOrEqualToThreshold', 3)]).toEqual(['OK', 'ALARM']);
    expect([state('LessThanThreshold', 3), state('LessThanOrEqualToThreshold', 3), state('LessThanThreshold', 2.5)]).toEqual(['OK', 'ALARM', 'ALARM']);
  });

  it('says why, in the shape CloudWatch writes its state reasons', () => {
    const c = condition(2, 2, 'breaching');
    const alarm = evaluateAlarm(range('- - X X'), c, 'OK');
    expect(stateReason(alarm, c, 'OK')).toBe(
      'Threshold Crossed: 2 out of the last 2 datapoints [4.0 (08/12/26 12:15:00), 4.0 (08/12/26 12:10:00)] were greater than the threshold (3.0) (minimum 2 datapoints for OK -> ALARM transition).',
    );
    const silent = evaluateAlarm(range('- - - -'), c, 'OK');
    expect(stateReason(silent, c, 'OK')).toBe(
      'Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were treated as [Breaching].',
    );
  });
});

describe('embedded metric format documents', () => {
  const NOW = T0;
  const doc = (extra: Record<string, unknown> = {}, metrics: unknown = [{ Name: 'RpoSeconds', Unit: 'Seconds' }]) =>
    JSON.stringify({
      _aws: { Timestamp: NOW - 1000, CloudWatchMetrics: [{ Namespace: 'Lifeboat', Dimensions: [['Site', 'Vpg'], []], Metrics: metrics }] },
      Site: 'dr2',
      Vpg: 'app',
      RpoSeconds: 120,
      level: 'INFO',
      ...extra,
    });

  it('makes one metric per DimensionSet of each definition, at the document timestamp, with its unit', () => {
    const result = parseEmf(doc(), NOW);
    expect(result).toEqual({
      kind: 'metrics',
      metrics: [
        {
          id: {
            namespace: 'Lifeboat',
            metricName: 'RpoSeconds',
            dimensions: [
              { Name: 'Site', Value: 'dr2' },
              { Name: 'Vpg', Value: 'app' },
            ],
          },
          sample: { t: NOW - 1000, sampleCount: 1, sum: 120, min: 120, max: 120, unit: 'Seconds' },
        },
        { id: { namespace: 'Lifeboat', metricName: 'RpoSeconds', dimensions: [] }, sample: expect.objectContaining({ sum: 120 }) },
      ],
    });
  });

  it('takes an array of values as that many samples, and the Lambda runtime metadata before the document', () => {
    const result = parseEmf(`2026-12-08T12:00:00.000Z\tabc-123\tINFO\t${doc({ RpoSeconds: [1, 5, 3] })}`, NOW);
    expect(result.kind === 'metrics' && result.metrics[0].sample).toEqual({ t: NOW - 1000, sampleCount: 3, sum: 9, min: 1, max: 5, unit: 'Seconds' });
  });

  it('leaves ordinary lines, JSON without _aws and text before a document that is not Lambda metadata alone', () => {
    expect(parseEmf('START RequestId: 1 Version: $LATEST', NOW)).toEqual({ kind: 'not-emf' });
    expect(parseEmf(JSON.stringify({ message: 'metrics', level: 'INFO' }), NOW)).toEqual({ kind: 'not-emf' });
    expect(parseEmf(`note: ${doc()}`, NOW)).toEqual({ kind: 'not-emf' });
  });

  it.each([
    ['a dimension whose root member is not a string', doc({ Vpg: 7 })],
    ['a metric whose root member is not a number', doc({ RpoSeconds: '120' })],
    ['a unit CloudWatch does not know', doc({}, [{ Name: 'RpoSeconds', Unit: 'Hours' }])],
    ['more than 100 values', doc({ RpoSeconds: Array.from({ length: 101 }, () => 1) })],
    [
      'more than 30 dimension keys',
      JSON.stringify({
        _aws: { Timestamp: NOW, CloudWatchMetrics: [{ Namespace: 'N', Dimensions: [Array.from({ length: 31 }, (_, i) => `d${i}`)], Metrics: [] }] },
      }),
    ],
    ['no Timestamp', JSON.stringify({ _aws: { CloudWatchMetrics: [] } })],
    ['a Timestamp more than 2 hours ahead', JSON.stringify({ _aws: { Timestamp: NOW + 2 * 3600_000 + 1, CloudWatchMetrics: [] } })],
    ['a Timestamp more than 14 days back', JSON.stringify({ _aws: { Timestamp: NOW - 14 * 86_400_000 - 1, CloudWatchMetrics: [] } })],
  ])('gives no metric for a document with %s', (_what, line) => {
    expect(parseEmf(line, NOW).kind).toBe('invalid');
  });
});
