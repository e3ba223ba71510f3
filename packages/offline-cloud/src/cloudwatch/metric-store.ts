/**
 * One account's CloudWatch metrics in one region, as CloudWatch keeps them: a metric is its namespace, name and
 * exact set of dimensions ("each unique combination of dimensions is a separate metric":
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Dimension), each sample a
 * statistic set (sample count, sum, minimum, maximum) at a timestamp with its unit. Samples older than 15 days are
 * dropped (the shortest retention, of one-minute data: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#metrics-retention).
 * Pure state: the API (cloudwatch-api.ts) validates what comes in.
 */
export interface Dimension {
  Name: string;
  Value: string;
}

/** One statistic set at one time (PutMetricData's Value, Values/Counts and StatisticValues all reduce to these). */
export interface Sample {
  /** Epoch ms. */
  t: number;
  sampleCount: number;
  sum: number;
  min: number;
  max: number;
  unit: string;
}

export interface MetricId {
  namespace: string;
  metricName: string;
  dimensions: Dimension[];
}

export interface MetricDatum extends MetricId {
  samples: Sample[];
}

export type Statistic = 'SampleCount' | 'Average' | 'Sum' | 'Minimum' | 'Maximum';
export const STATISTICS: readonly Statistic[] = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'];

/** One period's aggregate, as GetMetricStatistics answers it and an alarm evaluates it. */
export interface PeriodAggregate {
  /** Epoch ms of the period's start. */
  start: number;
  sampleCount: number;
  sum: number;
  min: number;
  max: number;
  unit: string;
}

export interface MetricsState {
  series: Record<string, MetricDatum>;
}

export const RETENTION_MS = 15 * 24 * 3600_000;

/** Dimensions compare as a set: order in a request does not make another metric. */
export function metricKey(id: MetricId): string {
  const dims = [...id.dimensions].sort((a, b) => a.Name.localeCompare(b.Name)).map((d) => `${d.Name}=${d.Value}`);
  return JSON.stringify([id.namespace, id.metricName, dims]);
}

export function statisticOf(a: Omit<PeriodAggregate, 'start' | 'unit'>, statistic: Statistic): number {
  switch (statistic) {
    case 'SampleCount':
      return a.sampleCount;
    case 'Sum':
      return a.sum;
    case 'Minimum':
      return a.min;
    case 'Maximum':
      return a.max;
    case 'Average':
      return a.sum / a.sampleCount;
  }
}

export class MetricStore {
  state: MetricsState = { series: {} };

  put(id: MetricId, samples: Sample[], now: number): void {
    const key = metricKey(id);
    const series = (this.state.series[key] ??= { namespace: id.namespace, metricName: id.metricName, dimensions: [...id.dimensions], samples: [] });
    series.samples.push(...samples);
    series.samples = series.samples.filter((s) => s.t >= now - RETENTION_MS).sort((a, b) => a.t - b.t);
  }

  list(): MetricDatum[] {
    return Object.values(this.state.series);
  }

  /**
   * The metric's samples aggregated in periods [from + k·period, from + (k+1)·period) that end by `to`; a period
   * without samples is left out (it is "missing"). A unit, when given, keeps only samples of that unit.
   */
  aggregate(id: MetricId, from: number, to: number, periodMs: number, unit?: string): PeriodAggregate[] {
    const series = this.state.series[metricKey(id)];
    if (!series) return [];
    const periods = new Map<number, PeriodAggregate>();
    for (const s of series.samples) {
      if (s.t < from || s.t >= to || (unit !== undefined && s.unit !== unit)) continue;
      const start = from + Math.floor((s.t - from) / periodMs) * periodMs;
      if (start + periodMs > to) continue;
      const p = periods.get(start);
      if (!p) periods.set(start, { start, sampleCount: s.sampleCount, sum: s.sum, min: s.min, max: s.max, unit: s.unit });
      else Object.assign(p, { sampleCount: p.sampleCount + s.sampleCount, sum: p.sum + s.sum, min: Math.min(p.min, s.min), max: Math.max(p.max, s.max) });
    }
    return [...periods.values()].sort((a, b) => a.start - b.start);
  }
}
