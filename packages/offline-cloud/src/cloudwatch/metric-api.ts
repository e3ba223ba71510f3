/**
 * CloudWatch's metric operations: PutMetricData, GetMetricStatistics and ListMetrics, with the rules their API
 * references give (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html,
 * API_MetricDatum.html, API_GetMetricStatistics.html, API_ListMetrics.html):
 * - PutMetricData: a Namespace of 1-255 characters not starting with "AWS/" (reserved for AWS services); ≤ 1000
 *   MetricData; each a MetricName (1-255), ≤ 30 Dimensions, a Value or Values (≤ 150, with Counts of the same length)
 *   or StatisticValues, never two of them; values in ±2^360 and not NaN or ±Infinity; a CloudWatch Unit; a Timestamp
 *   (default: now) no more than two weeks in the past or two hours in the future.
 * - GetMetricStatistics: StartTime before EndTime; a Period of 1, 5, 10, 20, 30 or a multiple of 60; at least one
 *   statistic; at most 1,440 datapoints per call; the start is rounded down to the whole minute (for periods of a minute
 *   or more); a period without data has no datapoint.
 * Timestamps are epoch seconds (AWS JSON 1.0).
 */
import { AwsError } from '../service';
import { FUTURE_LIMIT_MS, METRIC_UNITS } from './emf';
import { type Dimension, type MetricStore, type Sample, STATISTICS, type Statistic, statisticOf } from './metric-store';

const invalid = (message: string) => new AwsError('InvalidParameterValue', message);
const combination = (message: string) => new AwsError('InvalidParameterCombination', message);
const missing = (name: string) => new AwsError('MissingParameter', `The parameter ${name} is required.`);
const LIMIT = 2 ** 360;
const TWO_WEEKS_MS = 14 * 86_400_000;

function name(v: unknown, what: string, max = 255): string {
  if (v === undefined) throw missing(what);
  if (typeof v !== 'string' || v.length < 1 || v.length > max) throw invalid(`The parameter ${what} must be a string of 1 to ${max} characters.`);
  return v;
}

export function dimensionsOf(v: unknown, what = 'Dimensions'): Dimension[] {
  const list = (v ?? []) as Array<Partial<Dimension>>;
  if (!Array.isArray(list) || list.length > 30) throw invalid(`The collection ${what} must not have a size greater than 30.`);
  return list.map((d, i) => ({ Name: name(d.Name, `${what}.member.${i + 1}.Name`), Value: name(d.Value, `${what}.member.${i + 1}.Value`, 1024) }));
}

function number(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > LIMIT) throw invalid(`The value ${String(v)} for parameter ${what} is invalid.`);
  return v;
}

function samplesOf(d: Record<string, unknown>, at: string, t: number, unit: string): Sample[] {
  const given = ['Value', 'Values', 'StatisticValues'].filter((k) => d[k] !== undefined);
  if (given.length !== 1) throw combination(`The parameters ${at}.Value, ${at}.Values and ${at}.StatisticValues are mutually exclusive and one is required.`);
  if (d.Value !== undefined) {
    const v = number(d.Value, `${at}.Value`);
    return [{ t, sampleCount: 1, sum: v, min: v, max: v, unit }];
  }
  if (d.Values !== undefined) {
    const values = (d.Values as unknown[]).map((v, i) => number(v, `${at}.Values.member.${i + 1}`));
    if (values.length > 150) throw invalid(`The collection ${at}.Values must not have a size greater than 150.`);
    const counts = d.Counts === undefined ? values.map(() => 1) : (d.Counts as unknown[]).map((c, i) => number(c, `${at}.Counts.member.${i + 1}`));
    if (counts.length !== values.length) throw combination(`The parameters ${at}.Values and ${at}.Counts must be of the same size.`);
    return values.map((v, i) => ({ t, sampleCount: counts[i], sum: v * counts[i], min: v, max: v, unit }));
  }
  const s = d.StatisticValues as Record<string, unknown>;
  const [count, sum, min, max] = ['SampleCount', 'Sum', 'Minimum', 'Maximum'].map((k) => number(s[k], `${at}.StatisticValues.${k}`));
  return [{ t, sampleCount: count, sum, min, max, unit }];
}

export function putMetricData(input: Record<string, unknown>, store: MetricStore, now: number): void {
  const namespace = name(input.Namespace, 'Namespace');
  if (namespace.startsWith('AWS/'))
    throw invalid(`The value ${namespace} for parameter Namespace is invalid: namespaces starting with AWS/ are reserved for AWS services.`);
  const data = input.MetricData as Array<Record<string, unknown>> | undefined;
  if (!Array.isArray(data) || data.length === 0) throw missing('MetricData');
  if (data.length > 1000) throw invalid('The collection MetricData must not have a size greater than 1000.');
  // every datum is checked before any is stored: a refused request stores nothing
  const parsed = data.map((d, i) => {
    const at = `MetricData.member.${i + 1}`;
    const t = d.Timestamp === undefined ? now : number(d.Timestamp, `${at}.Timestamp`) * 1000;
    if (t < now - TWO_WEEKS_MS || t > now + FUTURE_LIMIT_MS)
      throw invalid(`The parameter ${at}.Timestamp must specify a time no more than two weeks in the past and no more than two hours in the future.`);
    const unit = (d.Unit as string | undefined) ?? 'None';
    if (!METRIC_UNITS.has(unit)) throw invalid(`The value ${unit} for parameter ${at}.Unit is not a CloudWatch unit.`);
    const id = { namespace, metricName: name(d.MetricName, `${at}.MetricName`), dimensions: dimensionsOf(d.Dimensions, `${at}.Dimensions`) };
    return { id, samples: samplesOf(d, at, t, unit) };
  });
  for (const p of parsed) store.put(p.id, p.samples, now);
}

const validStatisticsPeriod = (p: number) => [1, 5, 10, 20, 30].includes(p) || (p >= 60 && p % 60 === 0);

export function getMetricStatistics(input: Record<string, unknown>, store: MetricStore): Record<string, unknown> {
  const namespace = name(input.Namespace, 'Namespace');
  const metricName = name(input.MetricName, 'MetricName');
  const dimensions = dimensionsOf(input.Dimensions);
  if (input.StartTime === undefined) throw missing('StartTime');
  if (input.EndTime === undefined) throw missing('EndTime');
  const period = input.Period;
  if (period === undefined) throw missing('Period');
  if (typeof period !== 'number' || !validStatisticsPeriod(period))
    throw invalid(`The parameter Period must be 1, 5, 10, 20, 30, 60 or a multiple of 60, not ${String(period)}.`);
  if (input.ExtendedStatistics !== undefined)
    throw combination('ExtendedStatistics (percentiles): the offline cloud does not compute them (packages/offline-cloud/README.md).');
  const statistics = (input.Statistics ?? []) as Statistic[];
  if (!Array.isArray(statistics) || statistics.length === 0) throw missing('Statistics');
  for (const s of statistics)
    if (!STATISTICS.includes(s)) throw invalid(`The value ${String(s)} for parameter Statistics is not one of ${STATISTICS.join(', ')}.`);
  const unit = input.Unit as string | undefined;
  const periodMs = period * 1000;
  const endMs = number(input.EndTime, 'EndTime') * 1000;
  let startMs = number(input.StartTime, 'StartTime') * 1000;
  if (startMs >= endMs) throw invalid('The parameter StartTime must be less than the parameter EndTime.');
  if (period >= 60) startMs = Math.floor(startMs / 60_000) * 60_000;
  const periods = Math.ceil((endMs - startMs) / periodMs);
  if (periods > 1440)
    throw combination(
      `You have requested up to ${periods} datapoints, which exceeds the limit of 1,440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.`,
    );
  const end = startMs + periods * periodMs;
  const aggregates = store.aggregate({ namespace, metricName, dimensions }, startMs, end, periodMs, unit).filter((a) => a.start < endMs);
  return {
    Label: metricName,
    Datapoints: aggregates.map((a) => ({
      Timestamp: a.start / 1000,
      Unit: a.unit,
      ...Object.fromEntries(statistics.map((s) => [s, statisticOf(a, s)])),
    })),
  };
}

/** ListMetrics: the metrics of a namespace, a name, or with dimensions (a filter's Value is optional). */
export function listMetrics(input: Record<string, unknown>, store: MetricStore): Record<string, unknown> {
  const filters = ((input.Dimensions ?? []) as Array<{ Name: string; Value?: string }>) ?? [];
  const metrics = store
    .list()
    .filter((m) => input.Namespace === undefined || m.namespace === input.Namespace)
    .filter((m) => input.MetricName === undefined || m.metricName === input.MetricName)
    .filter((m) => filters.every((f) => m.dimensions.some((d) => d.Name === f.Name && (f.Value === undefined || d.Value === f.Value))))
    .map((m) => ({ Namespace: m.namespace, MetricName: m.metricName, Dimensions: m.dimensions }));
  return { Metrics: metrics };
}
