/**
 * Metrics from a Lambda function's log lines in the CloudWatch embedded metric format (EMF), as CloudWatch Logs
 * extracts them: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 * - a line is a document when it is a JSON object with an `_aws` member (on Lambda, writing it to stdout is enough,
 *   and the runtime's tab-separated metadata before it is allowed);
 * - `_aws.Timestamp` (epoch ms) and `_aws.CloudWatchMetrics` (MetricDirectives) are required; a directive has a
 *   Namespace, a Dimensions array of DimensionSets (each ≤ 30 keys, each key a root member with a string value) and
 *   ≤ 100 Metrics (each Name a root member holding a number or an array of ≤ 100 numbers; Unit a CloudWatch unit);
 * - every DimensionSet makes its own metric of each metric definition;
 * - a document over 1 MB, or with a timestamp more than 14 days in the past or 2 hours in the future (the
 *   PutLogEvents limits every log event is held to: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html),
 *   gives no metric.
 * A document that breaks a rule gives no metric at all (CloudWatch counts it as an EMF validation error). Pure.
 */
import type { Dimension, MetricId, Sample } from './metric-store';

export const METRIC_UNITS = new Set([
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
]);

const MAX_DOCUMENT_BYTES = 1024 * 1024;
const MAX_DIMENSION_KEYS = 30;
const MAX_METRICS = 100;
const MAX_VALUES = 100;
const MAX_NAME = 1024;
export const PAST_LIMIT_MS = 14 * 24 * 3600_000;
export const FUTURE_LIMIT_MS = 2 * 3600_000;

export interface ExtractedMetric {
  id: MetricId;
  sample: Sample;
}

export type EmfResult = { kind: 'metrics'; metrics: ExtractedMetric[] } | { kind: 'invalid'; reason: string } | { kind: 'not-emf' };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isName = (v: unknown): v is string => typeof v === 'string' && v.length >= 1 && v.length <= MAX_NAME;

/** The JSON text of a log line: the line itself, or what follows the Lambda runtime's tab-separated metadata. */
function documentText(line: string): string | undefined {
  const text = line.trim();
  if (text.startsWith('{')) return text;
  const at = text.indexOf('{');
  return at > 0 && text[at - 1] === '\t' ? text.slice(at) : undefined;
}

export function parseEmf(line: string, now: number): EmfResult {
  const text = documentText(line);
  if (text === undefined || !text.includes('"_aws"')) return { kind: 'not-emf' };
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    return { kind: 'not-emf' };
  }
  if (!isObject(root) || !('_aws' in root)) return { kind: 'not-emf' };
  const invalid = (reason: string): EmfResult => ({ kind: 'invalid', reason });
  if (Buffer.byteLength(text) > MAX_DOCUMENT_BYTES) return invalid('the document is over 1 MB');
  const meta = root._aws;
  if (!isObject(meta)) return invalid('_aws must be an object');
  const t = meta.Timestamp;
  if (typeof t !== 'number' || !Number.isInteger(t)) return invalid('_aws.Timestamp must be an integer of epoch milliseconds');
  if (t < now - PAST_LIMIT_MS || t > now + FUTURE_LIMIT_MS) return invalid('_aws.Timestamp is more than 14 days in the past or 2 hours in the future');
  if (!Array.isArray(meta.CloudWatchMetrics)) return invalid('_aws.CloudWatchMetrics must be an array of MetricDirectives');
  const metrics: ExtractedMetric[] = [];
  for (const directive of meta.CloudWatchMetrics as unknown[]) {
    if (!isObject(directive)) return invalid('a MetricDirective must be an object');
    const { Namespace, Dimensions, Metrics } = directive;
    if (!isName(Namespace)) return invalid('a MetricDirective needs a Namespace of 1-1024 characters');
    // the specification's JSON schema: Dimensions holds at least one DimensionSet (which may itself be empty)
    if (!Array.isArray(Dimensions) || Dimensions.length === 0 || !Array.isArray(Metrics))
      return invalid(`${Namespace}: Dimensions must be a non-empty array of DimensionSets and Metrics an array`);
    if (Metrics.length > MAX_METRICS) return invalid(`${Namespace}: more than ${MAX_METRICS} MetricDefinitions`);
    const dimensionSets: Dimension[][] = [];
    for (const set of Dimensions as unknown[]) {
      if (!Array.isArray(set) || set.length > MAX_DIMENSION_KEYS)
        return invalid(`${Namespace}: a DimensionSet must be an array of at most ${MAX_DIMENSION_KEYS} keys`);
      const dims: Dimension[] = [];
      for (const key of set as unknown[]) {
        const value = typeof key === 'string' ? root[key] : undefined;
        if (!isName(key) || typeof value !== 'string') return invalid(`${Namespace}: dimension ${String(key)} must be a root member with a string value`);
        dims.push({ Name: key, Value: value });
      }
      dimensionSets.push(dims);
    }
    for (const definition of Metrics as unknown[]) {
      if (!isObject(definition) || !isName(definition.Name)) return invalid(`${Namespace}: a MetricDefinition needs a Name`);
      const unit = definition.Unit ?? 'None';
      if (typeof unit !== 'string' || !METRIC_UNITS.has(unit)) return invalid(`${Namespace}/${definition.Name}: ${String(unit)} is not a CloudWatch unit`);
      const target = root[definition.Name];
      const values = Array.isArray(target) ? (target as unknown[]) : [target];
      if (values.length > MAX_VALUES || values.some((v) => typeof v !== 'number' || !Number.isFinite(v)))
        return invalid(`${Namespace}/${definition.Name}: the root member must be a number or an array of at most ${MAX_VALUES} numbers`);
      const numbers = values as number[];
      if (numbers.length === 0) continue;
      const sample: Sample = {
        t,
        sampleCount: numbers.length,
        sum: numbers.reduce((a, b) => a + b, 0),
        min: Math.min(...numbers),
        max: Math.max(...numbers),
        unit,
      };
      for (const dimensions of dimensionSets) metrics.push({ id: { namespace: Namespace, metricName: definition.Name, dimensions }, sample });
    }
  }
  return { kind: 'metrics', metrics };
}
