/**
 * One account's metric alarms in one region, and PutMetricAlarm's rules
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html):
 * - AlarmName 1-255 characters, unique in the region; AlarmDescription ≤ 1024; ≤ 5 actions of each kind;
 * - a single-metric alarm: MetricName and Namespace (1-255; ≤ 30 Dimensions, names 1-255, values 1-1024), exactly one
 *   of Statistic / ExtendedStatistic, a Period of 10, 20, 30 or a multiple of 60 seconds; EvaluationPeriods ≥ 1 and
 *   DatapointsToAlarm in 1..EvaluationPeriods (default: EvaluationPeriods); Period × EvaluationPeriods ≤ 7 days, and
 *   ≤ 1 day for periods under an hour; TreatMissingData breaching | notBreaching | ignore | missing (default missing);
 * - a new alarm starts INSUFFICIENT_DATA and is then evaluated; an update overwrites the whole configuration and
 *   leaves the state as it is.
 * Metric math alarms (Metrics), percentiles (ExtendedStatistic) and anomaly detection are refused with a message that
 * says the offline cloud does not evaluate them, rather than accepted and never evaluated. Pure state.
 */
import { AwsError } from '../service';
import { type AlarmState, COMPARISON_OPERATORS, type ComparisonOperator, TREAT_MISSING_DATA, type TreatMissingData } from './alarm-evaluation';
import { METRIC_UNITS } from './emf';
import { type Dimension, STATISTICS, type Statistic } from './metric-store';

export interface AlarmRecord {
  AlarmName: string;
  AlarmArn: string;
  AlarmDescription?: string;
  ActionsEnabled: boolean;
  OKActions: string[];
  AlarmActions: string[];
  InsufficientDataActions: string[];
  Namespace: string;
  MetricName: string;
  Dimensions: Dimension[];
  Statistic: Statistic;
  Period: number;
  Unit?: string;
  EvaluationPeriods: number;
  DatapointsToAlarm: number;
  Threshold: number;
  ComparisonOperator: ComparisonOperator;
  TreatMissingData: TreatMissingData;
  StateValue: AlarmState;
  StateReason: string;
  StateReasonData?: string;
  /** Epoch ms. */
  StateUpdatedTimestamp: number;
  StateTransitionedTimestamp: number;
  AlarmConfigurationUpdatedTimestamp: number;
  Tags: Array<{ Key: string; Value: string }>;
}

export interface AlarmsState {
  alarms: Record<string, AlarmRecord>;
}

const invalid = (message: string) => new AwsError('InvalidParameterValue', message);
const required = (name: string) => new AwsError('MissingParameter', `The parameter ${name} is required.`);
const notEmulated = (what: string) =>
  new AwsError('InvalidParameterCombination', `${what}: the offline cloud does not evaluate these alarms (packages/offline-cloud/README.md).`);

function text(input: Record<string, unknown>, name: string, max: number, min = 1): string | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length < min || v.length > max) throw invalid(`The parameter ${name} must be a string of ${min} to ${max} characters.`);
  return v;
}

function integer(input: Record<string, unknown>, name: string, min: number): number | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    throw invalid(`The value ${String(v)} for parameter ${name} is invalid: it must be an integer of at least ${min}.`);
  return v;
}

function actions(input: Record<string, unknown>, name: string): string[] {
  const v = (input[name] as unknown[] | undefined) ?? [];
  if (!Array.isArray(v) || v.length > 5) throw invalid(`The parameter ${name} may hold at most 5 actions.`);
  for (const a of v) if (typeof a !== 'string' || !/^arn:aws[a-z-]*:[a-z0-9-]+:/.test(a)) throw invalid(`Invalid arn syntax: ${String(a)}`);
  return v as string[];
}

function dimensions(input: Record<string, unknown>): Dimension[] {
  const v = (input.Dimensions as unknown[] | undefined) ?? [];
  if (!Array.isArray(v) || v.length > 30) throw invalid('The parameter Dimensions may hold at most 30 dimensions.');
  return v.map((d, i) => {
    const dim = d as Partial<Dimension>;
    if (typeof dim.Name !== 'string' || dim.Name.length < 1 || dim.Name.length > 255)
      throw invalid(`The parameter Dimensions.member.${i + 1}.Name must be 1 to 255 characters.`);
    if (typeof dim.Value !== 'string' || dim.Value.length < 1 || dim.Value.length > 1024)
      throw invalid(`The parameter Dimensions.member.${i + 1}.Value must be 1 to 1024 characters.`);
    return { Name: dim.Name, Value: dim.Value };
  });
}

/** A Period of 10, 20 or 30 seconds (high resolution) or any multiple of 60. */
export const validPeriod = (p: number) => p === 10 || p === 20 || p === 30 || (p >= 60 && p % 60 === 0);

/** The alarm PutMetricAlarm describes (its configuration only: the caller keeps or starts the state). */
export function alarmConfiguration(
  input: Record<string, unknown>,
  arnOf: (name: string) => string,
): Omit<
  AlarmRecord,
  'StateValue' | 'StateReason' | 'StateReasonData' | 'StateUpdatedTimestamp' | 'StateTransitionedTimestamp' | 'AlarmConfigurationUpdatedTimestamp'
> {
  const name = text(input, 'AlarmName', 255);
  if (name === undefined) throw required('AlarmName');
  // eslint-disable-next-line no-control-regex -- control characters are what alarm names may not hold
  if (/[\u0000-\u001f\u007f]/.test(name)) throw invalid('The parameter AlarmName must not contain control characters.');
  if (input.Metrics !== undefined) throw notEmulated('Metrics (metric math and multi-metric alarms)');
  if (input.ExtendedStatistic !== undefined) {
    if (input.Statistic !== undefined) throw new AwsError('InvalidParameterCombination', 'Exactly one of Statistic or ExtendedStatistic must be specified.');
    throw notEmulated('ExtendedStatistic (percentile alarms)');
  }
  if (input.ThresholdMetricId !== undefined) throw notEmulated('ThresholdMetricId (anomaly detection)');
  const namespace = text(input, 'Namespace', 255);
  const metricName = text(input, 'MetricName', 255);
  if (namespace === undefined) throw required('Namespace');
  if (metricName === undefined) throw required('MetricName');
  const statistic = input.Statistic;
  if (statistic === undefined) throw new AwsError('InvalidParameterCombination', 'Exactly one of Statistic or ExtendedStatistic must be specified.');
  if (!STATISTICS.includes(statistic as Statistic))
    throw invalid(`The value ${String(statistic)} for parameter Statistic is not one of ${STATISTICS.join(', ')}.`);
  const period = integer(input, 'Period', 1);
  if (period === undefined) throw required('Period');
  if (!validPeriod(period)) throw invalid(`The value ${period} for parameter Period is not a valid period: use 10, 20, 30 or a multiple of 60.`);
  const evaluationPeriods = integer(input, 'EvaluationPeriods', 1);
  if (evaluationPeriods === undefined) throw required('EvaluationPeriods');
  const total = period * evaluationPeriods;
  if (total > 7 * 86_400 || (period < 3600 && total > 86_400))
    throw invalid('Period * EvaluationPeriods must be at most 7 days, and at most 1 day for periods under an hour.');
  const datapointsToAlarm = integer(input, 'DatapointsToAlarm', 1) ?? evaluationPeriods;
  if (datapointsToAlarm > evaluationPeriods) throw invalid('DatapointsToAlarm must be less than or equal to EvaluationPeriods.');
  const comparison = input.ComparisonOperator;
  if (comparison === undefined) throw required('ComparisonOperator');
  if (!COMPARISON_OPERATORS.includes(comparison as ComparisonOperator)) {
    if (typeof comparison === 'string' && /Lower|Upper/.test(comparison)) throw notEmulated(`ComparisonOperator ${comparison} (anomaly detection)`);
    throw invalid(`The value ${String(comparison)} for parameter ComparisonOperator is not one of ${COMPARISON_OPERATORS.join(', ')}.`);
  }
  const threshold = input.Threshold;
  if (typeof threshold !== 'number' || !Number.isFinite(threshold)) throw required('Threshold');
  const treatMissingData = (input.TreatMissingData ?? 'missing') as TreatMissingData;
  if (!TREAT_MISSING_DATA.includes(treatMissingData))
    throw invalid(`The value ${String(input.TreatMissingData)} for parameter TreatMissingData is not one of ${TREAT_MISSING_DATA.join(', ')}.`);
  const unit = text(input, 'Unit', 64);
  if (unit !== undefined && !METRIC_UNITS.has(unit)) throw invalid(`The value ${unit} for parameter Unit is not a CloudWatch unit.`);
  const description = text(input, 'AlarmDescription', 1024, 0);
  return {
    AlarmName: name,
    AlarmArn: arnOf(name),
    AlarmDescription: description,
    ActionsEnabled: input.ActionsEnabled !== false,
    OKActions: actions(input, 'OKActions'),
    AlarmActions: actions(input, 'AlarmActions'),
    InsufficientDataActions: actions(input, 'InsufficientDataActions'),
    Namespace: namespace,
    MetricName: metricName,
    Dimensions: dimensions(input),
    Statistic: statistic as Statistic,
    Period: period,
    Unit: unit,
    EvaluationPeriods: evaluationPeriods,
    DatapointsToAlarm: datapointsToAlarm,
    Threshold: threshold,
    ComparisonOperator: comparison as ComparisonOperator,
    TreatMissingData: treatMissingData,
    Tags: Array.isArray(input.Tags) ? (input.Tags as AlarmRecord['Tags']) : [],
  };
}

export class MetricAlarms {
  state: AlarmsState = { alarms: {} };

  constructor(
    private readonly account: string,
    private readonly region: string,
  ) {}

  arnOf(name: string): string {
    return `arn:aws:cloudwatch:${this.region}:${this.account}:alarm:${name}`;
  }

  get(name: string): AlarmRecord | undefined {
    return this.state.alarms[name];
  }

  /** By name, as DescribeAlarms lists them. */
  list(): AlarmRecord[] {
    return Object.values(this.state.alarms).sort((a, b) => (a.AlarmName < b.AlarmName ? -1 : a.AlarmName > b.AlarmName ? 1 : 0));
  }

  put(input: Record<string, unknown>, now: number): AlarmRecord {
    const config = alarmConfiguration(input, (n) => this.arnOf(n));
    const existing = this.state.alarms[config.AlarmName];
    const alarm: AlarmRecord = existing
      ? { ...existing, ...config, Tags: existing.Tags, AlarmConfigurationUpdatedTimestamp: now }
      : {
          ...config,
          StateValue: 'INSUFFICIENT_DATA',
          StateReason: 'Unchecked: Initial alarm creation',
          StateUpdatedTimestamp: now,
          StateTransitionedTimestamp: now,
          AlarmConfigurationUpdatedTimestamp: now,
        };
    this.state.alarms[alarm.AlarmName] = alarm;
    return alarm;
  }

  /** DeleteAlarms: every name must exist, else nothing is deleted. */
  delete(names: string[]): void {
    const unknown = names.filter((n) => !this.state.alarms[n]);
    if (unknown.length) throw new AwsError('ResourceNotFound', `Alarms not found: [${unknown.join(', ')}]`, 404);
    for (const n of names) delete this.state.alarms[n];
  }
}
