/**
 * CloudWatch's alarm operations: PutMetricAlarm (rules: alarms.ts), DescribeAlarms, DeleteAlarms and SetAlarmState,
 * in the shapes their API references give (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html,
 * API_DeleteAlarms.html, API_SetAlarmState.html, API_MetricAlarm.html):
 * - DescribeAlarms: AlarmNames (≤ 100) or AlarmNamePrefix (not both), StateValue, ActionPrefix; metric alarms only
 *   (there are no composite alarms here), by name, MaxRecords 1-100 (default 50) a page with NextToken;
 * - DeleteAlarms: ≤ 100 names, all of which must exist (ResourceNotFound, and nothing is deleted);
 * - SetAlarmState: StateValue OK | ALARM | INSUFFICIENT_DATA, a StateReason ≤ 1023 characters, StateReasonData JSON
 *   (InvalidFormat otherwise) ≤ 4000; an unknown alarm is ResourceNotFound.
 * Timestamps are epoch seconds (AWS JSON 1.0).
 */
import { AwsError } from '../service';
import type { AlarmState } from './alarm-evaluation';
import type { AlarmRecord, MetricAlarms } from './alarms';

const STATES: readonly AlarmState[] = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];
const invalid = (message: string) => new AwsError('InvalidParameterValue', message);

export function renderAlarm(a: AlarmRecord): Record<string, unknown> {
  return {
    AlarmName: a.AlarmName,
    AlarmArn: a.AlarmArn,
    AlarmDescription: a.AlarmDescription,
    AlarmConfigurationUpdatedTimestamp: a.AlarmConfigurationUpdatedTimestamp / 1000,
    ActionsEnabled: a.ActionsEnabled,
    OKActions: a.OKActions,
    AlarmActions: a.AlarmActions,
    InsufficientDataActions: a.InsufficientDataActions,
    StateValue: a.StateValue,
    StateReason: a.StateReason,
    StateReasonData: a.StateReasonData,
    StateUpdatedTimestamp: a.StateUpdatedTimestamp / 1000,
    StateTransitionedTimestamp: a.StateTransitionedTimestamp / 1000,
    MetricName: a.MetricName,
    Namespace: a.Namespace,
    Statistic: a.Statistic,
    Dimensions: a.Dimensions,
    Period: a.Period,
    Unit: a.Unit,
    EvaluationPeriods: a.EvaluationPeriods,
    DatapointsToAlarm: a.DatapointsToAlarm,
    Threshold: a.Threshold,
    ComparisonOperator: a.ComparisonOperator,
    TreatMissingData: a.TreatMissingData,
  };
}

function names(v: unknown, what: string): string[] {
  const list = (v ?? []) as unknown[];
  if (!Array.isArray(list) || list.length > 100 || list.some((n) => typeof n !== 'string'))
    throw invalid(`The collection ${what} must hold at most 100 alarm names.`);
  return list as string[];
}

export function describeAlarms(input: Record<string, unknown>, alarms: MetricAlarms): Record<string, unknown> {
  const wanted = names(input.AlarmNames, 'AlarmNames');
  const prefix = input.AlarmNamePrefix as string | undefined;
  if (wanted.length && prefix !== undefined) throw new AwsError('InvalidParameterCombination', 'AlarmNames and AlarmNamePrefix cannot be specified together.');
  const state = input.StateValue as AlarmState | undefined;
  if (state !== undefined && !STATES.includes(state)) throw invalid(`The value ${String(state)} for parameter StateValue is not one of ${STATES.join(', ')}.`);
  const types = (input.AlarmTypes as string[] | undefined) ?? ['MetricAlarm'];
  const max = (input.MaxRecords as number | undefined) ?? 50;
  if (!Number.isInteger(max) || max < 1 || max > 100) throw invalid('The parameter MaxRecords must be an integer from 1 to 100.');
  const actionPrefix = input.ActionPrefix as string | undefined;
  const matching = alarms
    .list()
    .filter(() => types.includes('MetricAlarm'))
    .filter((a) => !wanted.length || wanted.includes(a.AlarmName))
    .filter((a) => prefix === undefined || a.AlarmName.startsWith(prefix))
    .filter((a) => state === undefined || a.StateValue === state)
    .filter((a) => actionPrefix === undefined || [...a.OKActions, ...a.AlarmActions, ...a.InsufficientDataActions].some((x) => x.startsWith(actionPrefix)));
  const start = input.NextToken === undefined ? 0 : Number(Buffer.from(String(input.NextToken), 'base64url').toString());
  if (!Number.isInteger(start) || start < 0 || start > matching.length) throw new AwsError('InvalidNextToken', 'The service returned an invalid next token.');
  const page = matching.slice(start, start + max);
  const next = start + max < matching.length ? Buffer.from(String(start + max)).toString('base64url') : undefined;
  return { MetricAlarms: page.map(renderAlarm), CompositeAlarms: [], NextToken: next };
}

export function deleteAlarms(input: Record<string, unknown>, alarms: MetricAlarms): Record<string, unknown> {
  const list = names(input.AlarmNames, 'AlarmNames');
  if (!list.length) throw new AwsError('MissingParameter', 'The parameter AlarmNames is required.');
  alarms.delete(list);
  return {};
}

/** SetAlarmState's checked input (the evaluator applies it). */
export function alarmStateInput(
  input: Record<string, unknown>,
  alarms: MetricAlarms,
): { alarm: AlarmRecord; state: AlarmState; reason: string; data?: string } {
  const name = input.AlarmName;
  if (typeof name !== 'string') throw new AwsError('MissingParameter', 'The parameter AlarmName is required.');
  const alarm = alarms.get(name);
  if (!alarm) throw new AwsError('ResourceNotFound', `Alarm ${name} not found`, 404);
  const state = input.StateValue as AlarmState;
  if (!STATES.includes(state)) throw invalid(`The value ${String(state)} for parameter StateValue is not one of ${STATES.join(', ')}.`);
  const reason = input.StateReason;
  if (typeof reason !== 'string') throw new AwsError('MissingParameter', 'The parameter StateReason is required.');
  if (reason.length > 1023) throw invalid('The parameter StateReason must be at most 1023 characters.');
  const data = input.StateReasonData as string | undefined;
  if (data !== undefined) {
    if (data.length > 4000) throw invalid('The parameter StateReasonData must be at most 4000 characters.');
    try {
      JSON.parse(data);
    } catch {
      throw new AwsError('InvalidFormat', 'The parameter StateReasonData is not valid JSON.');
    }
  }
  return { alarm, state, reason, data };
}
