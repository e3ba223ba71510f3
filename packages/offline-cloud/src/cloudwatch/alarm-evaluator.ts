/**
 * When and on what one account's alarms in one region are evaluated. CloudWatch evaluates a metric alarm every minute,
 * over periods that end at the evaluation ("a five-minute window shifted by one minute each time: for the evaluation at
 * 12:15:00, CloudWatch expects data points with timestamps 12:00:00, 12:05:00, 12:10:00":
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-limits.html); a high-resolution alarm (a period
 * of 10, 20 or 30 s) every 10 seconds (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html,
 * "High-resolution alarms"). The evaluator runs each of those instants of the cloud clock up to now, in order (after
 * a jump of the clock's scale too), so every transition happens at its own time and runs its actions once; it looks
 * back at most a day. A state set by SetAlarmState lasts until the next evaluation, as AWS documents.
 */
import type { StoreKey } from '../account-regions';
import { type AlarmState, EXTRA_RANGE_PERIODS, evaluateAlarm, type RangeDatapoint } from './alarm-evaluation';
import type { Transition } from './alarm-actions';
import { stateReason, stateReasonData } from './alarm-reason';
import { type AlarmRecord, type AlarmsState, MetricAlarms } from './alarms';
import { type MetricStore, statisticOf } from './metric-store';

const MINUTE = 60_000;
const HIGH_RESOLUTION_STEP = 10_000;
const MAX_CATCH_UP_MS = 86_400_000;

export interface EvaluatorState extends AlarmsState {
  /** The last evaluation instant run (epoch ms). */
  evaluatedUpTo: number;
}

const isHighResolution = (a: AlarmRecord) => a.Period < 60;

export class AlarmEvaluator {
  readonly alarms: MetricAlarms;
  private evaluatedUpTo: number;

  constructor(
    private readonly key: StoreKey,
    private readonly metrics: () => MetricStore,
    now: number,
  ) {
    this.alarms = new MetricAlarms(key.account, key.region);
    this.evaluatedUpTo = Math.floor(now / HIGH_RESOLUTION_STEP) * HIGH_RESOLUTION_STEP;
  }

  /** The next instant this store must evaluate at (none: no alarm). */
  nextDue(): number | undefined {
    const alarms = this.alarms.list();
    if (alarms.length === 0) return undefined;
    const step = alarms.some(isHighResolution) ? HIGH_RESOLUTION_STEP : MINUTE;
    return (Math.floor(this.evaluatedUpTo / step) + 1) * step;
  }

  /** Runs every evaluation instant after the last one up to `now`; answers the transitions, in time order. */
  catchUp(now: number): Transition[] {
    const transitions: Transition[] = [];
    let t = Math.max(this.evaluatedUpTo, now - MAX_CATCH_UP_MS);
    for (;;) {
      this.evaluatedUpTo = t;
      const next = this.nextDue();
      if (next === undefined || next > now) break;
      t = next;
      for (const alarm of this.alarms.list()) {
        if (next % MINUTE !== 0 && !isHighResolution(alarm)) continue;
        const moved = this.evaluate(alarm, next);
        if (moved) transitions.push(moved);
      }
    }
    this.evaluatedUpTo = Math.max(this.evaluatedUpTo, Math.floor(now / HIGH_RESOLUTION_STEP) * HIGH_RESOLUTION_STEP);
    return transitions;
  }

  /** A region that is down evaluates nothing; when it is back it goes on from then, not from before. */
  skipTo(now: number): void {
    this.evaluatedUpTo = Math.max(this.evaluatedUpTo, Math.floor(now / HIGH_RESOLUTION_STEP) * HIGH_RESOLUTION_STEP);
  }

  /** SetAlarmState: the state until the next evaluation; a change runs the new state's actions. */
  setState(alarm: AlarmRecord, state: AlarmState, reason: string, reasonData: string | undefined, now: number): Transition | undefined {
    const from = alarm.StateValue;
    Object.assign(alarm, { StateValue: state, StateReason: reason, StateReasonData: reasonData, StateUpdatedTimestamp: now });
    if (from === state) return undefined;
    alarm.StateTransitionedTimestamp = now;
    return { alarm, from, ...this.key };
  }

  toJSON(): EvaluatorState {
    return { ...this.alarms.state, evaluatedUpTo: this.evaluatedUpTo };
  }

  restore(saved: EvaluatorState): void {
    this.alarms.state = { alarms: saved.alarms ?? {} };
    if (Number.isFinite(saved.evaluatedUpTo)) this.evaluatedUpTo = Math.max(this.evaluatedUpTo, saved.evaluatedUpTo);
  }

  private evaluate(alarm: AlarmRecord, at: number): Transition | undefined {
    const periodMs = alarm.Period * 1000;
    const periods = alarm.EvaluationPeriods + EXTRA_RANGE_PERIODS;
    const from = at - periods * periodMs;
    const id = { namespace: alarm.Namespace, metricName: alarm.MetricName, dimensions: alarm.Dimensions };
    const byStart = new Map(
      this.metrics()
        .aggregate(id, from, at, periodMs, alarm.Unit)
        .map((a) => [a.start, a]),
    );
    const range: Array<RangeDatapoint | undefined> = [];
    for (let i = 0; i < periods; i++) {
      const a = byStart.get(from + i * periodMs);
      range.push(a && { start: a.start, value: statisticOf(a, alarm.Statistic), sampleCount: a.sampleCount });
    }
    const condition = {
      evaluationPeriods: alarm.EvaluationPeriods,
      datapointsToAlarm: alarm.DatapointsToAlarm,
      threshold: alarm.Threshold,
      comparison: alarm.ComparisonOperator,
      treatMissingData: alarm.TreatMissingData,
    };
    const result = evaluateAlarm(range, condition, alarm.StateValue);
    if (result.state === alarm.StateValue) return undefined;
    const reason = stateReason(result, condition, alarm.StateValue);
    const data = stateReasonData(result, condition, { now: at, startDate: from, statistic: alarm.Statistic, periodSeconds: alarm.Period });
    return this.setState(alarm, result.state, reason, data, at);
  }
}
