/**
 * One evaluation of a metric alarm, exactly as AWS documents it. Pure: the evaluator (alarm-evaluator.ts) hands it
 * the evaluation range's datapoints and the alarm's current state.
 *
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html ("Evaluating an alarm") and
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html ("Configuring how
 * CloudWatch alarms treat missing data"):
 * - CloudWatch retrieves more datapoints than EvaluationPeriods (N): the evaluation range. The pages' examples retrieve
 *   5 for N = 3; the offline cloud takes N + 2 for every alarm (AWS says the number depends on the period and resolution).
 * - With at least N real datapoints in the range, the N most recent real ones are evaluated and TreatMissingData is
 *   not needed. With none, `missing` gives INSUFFICIENT_DATA, `ignore` keeps the state, `breaching` ALARM and
 *   `notBreaching` OK. With fewer than N, every real datapoint is evaluated and the rest are missing datapoints treated
 *   as the setting says ("CloudWatch uses missing data points only as few times as possible").
 * - ALARM when at least DatapointsToAlarm (M) evaluated datapoints breach, else OK ("M out of N"), except that with
 *   `missing` or `ignore` a range whose real datapoints all breach but are fewer than M is not yet a verdict:
 *   INSUFFICIENT_DATA (missing) or the current state (ignore), as the tables' rows "- - - - X" show; and with `missing`
 *   such an alarm still goes to ALARM when its oldest breaching datapoint is at least M datapoints old and the newer ones
 *   are missing ("Avoiding premature transitions to alarm state", the row "X - - - -").
 */
export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
export type TreatMissingData = 'breaching' | 'notBreaching' | 'ignore' | 'missing';
export type ComparisonOperator = 'GreaterThanOrEqualToThreshold' | 'GreaterThanThreshold' | 'LessThanThreshold' | 'LessThanOrEqualToThreshold';

export const COMPARISON_OPERATORS: readonly ComparisonOperator[] = [
  'GreaterThanOrEqualToThreshold',
  'GreaterThanThreshold',
  'LessThanThreshold',
  'LessThanOrEqualToThreshold',
];
export const TREAT_MISSING_DATA: readonly TreatMissingData[] = ['breaching', 'notBreaching', 'ignore', 'missing'];

/** How many periods CloudWatch looks back beyond EvaluationPeriods (see above). */
export const EXTRA_RANGE_PERIODS = 2;

export interface RangeDatapoint {
  /** Epoch ms of the period's start. */
  start: number;
  value: number;
  sampleCount: number;
}

export interface AlarmCondition {
  evaluationPeriods: number;
  datapointsToAlarm: number;
  threshold: number;
  comparison: ComparisonOperator;
  treatMissingData: TreatMissingData;
}

export interface Evaluation {
  state: AlarmState;
  /** The real datapoints evaluated, most recent first. */
  evaluated: RangeDatapoint[];
  breaching: number;
  /** Missing datapoints filled in with the TreatMissingData setting (breaching / notBreaching only). */
  filled: number;
}

export function breaches(value: number, c: Pick<AlarmCondition, 'threshold' | 'comparison'>): boolean {
  switch (c.comparison) {
    case 'GreaterThanOrEqualToThreshold':
      return value >= c.threshold;
    case 'GreaterThanThreshold':
      return value > c.threshold;
    case 'LessThanThreshold':
      return value < c.threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= c.threshold;
  }
}

/**
 * `range`: one entry per period of the evaluation range (EvaluationPeriods + EXTRA_RANGE_PERIODS), oldest first,
 * undefined where the period has no data.
 */
export function evaluateAlarm(range: ReadonlyArray<RangeDatapoint | undefined>, c: AlarmCondition, current: AlarmState): Evaluation {
  const n = c.evaluationPeriods;
  const m = c.datapointsToAlarm;
  const real = range.filter((d): d is RangeDatapoint => d !== undefined);
  const verdict = (state: AlarmState, evaluated: RangeDatapoint[], breaching: number, filled = 0): Evaluation => ({
    state,
    evaluated: [...evaluated].reverse(),
    breaching,
    filled,
  });
  if (real.length >= n) {
    const evaluated = real.slice(-n);
    const b = evaluated.filter((d) => breaches(d.value, c)).length;
    return verdict(b >= m ? 'ALARM' : 'OK', evaluated, b);
  }
  const missing = n - real.length;
  const realBreaching = real.filter((d) => breaches(d.value, c)).length;
  switch (c.treatMissingData) {
    case 'breaching':
      return verdict(realBreaching + missing >= m ? 'ALARM' : 'OK', real, realBreaching + missing, missing);
    case 'notBreaching':
      return verdict(realBreaching >= m ? 'ALARM' : 'OK', real, realBreaching, missing);
    case 'ignore':
    case 'missing': {
      if (real.length > 0 && realBreaching >= m) return verdict('ALARM', real, realBreaching);
      if (realBreaching < real.length) return verdict('OK', real, realBreaching);
      if (c.treatMissingData === 'missing' && real.length > 0 && oldestBreachingAge(range, n) >= m) return verdict('ALARM', real, realBreaching);
      return verdict(c.treatMissingData === 'missing' ? 'INSUFFICIENT_DATA' : current, real, realBreaching);
    }
  }
}

/**
 * The age, in evaluated datapoints (1 = the most recent), of the oldest real datapoint among the N evaluated: every
 * real one of the range and, to make up N, the most recent missing ones.
 */
function oldestBreachingAge(range: ReadonlyArray<RangeDatapoint | undefined>, n: number): number {
  const realCount = range.filter((d) => d !== undefined).length;
  let missingLeft = n - realCount;
  const evaluated: Array<RangeDatapoint | undefined> = [];
  for (let i = range.length - 1; i >= 0; i--) {
    if (range[i] !== undefined) evaluated.unshift(range[i]);
    else if (missingLeft > 0) {
      evaluated.unshift(undefined);
      missingLeft--;
    }
  }
  const oldest = evaluated.findIndex((d) => d !== undefined);
  return oldest < 0 ? 0 : evaluated.length - oldest;
}
