/**
 * What each CloudWatch request needs, by the Service Authorization Reference
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html): the alarm actions
 * act on `arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME` (PutMetricAlarm with `cloudwatch:AlarmActions` and the request's
 * tags), PutMetricData on `*` with `cloudwatch:namespace`, GetMetricStatistics and ListMetrics on `*`.
 */
import type { AuthzCheck, ContextValues } from './evaluate';

export function cloudwatchChecks(operation: string, input: Record<string, unknown>, region: string, account: string): AuthzCheck[] {
  const alarm = (name: string) => `arn:aws:cloudwatch:${region}:${account}:alarm:${name}`;
  const action = `cloudwatch:${operation}`;
  const named = (v: unknown) => (Array.isArray(v) ? (v as unknown[]).filter((n): n is string => typeof n === 'string') : []);
  switch (operation) {
    case 'PutMetricAlarm': {
      const actions = ['AlarmActions', 'OKActions', 'InsufficientDataActions'].flatMap((k) => named(input[k]));
      const tags = Array.isArray(input.Tags) ? (input.Tags as Array<{ Key: string; Value: string }>) : [];
      const context: ContextValues = { ...(actions.length ? { 'cloudwatch:AlarmActions': actions } : {}) };
      if (tags.length) context['aws:TagKeys'] = tags.map((t) => t.Key);
      for (const t of tags) context[`aws:RequestTag/${t.Key}`] = t.Value;
      return [{ action, resource: alarm(String(input.AlarmName ?? '')), context }];
    }
    case 'DescribeAlarms': {
      const names = named(input.AlarmNames);
      if (names.length) return names.map((n) => ({ action, resource: alarm(n), context: {} }));
      return [{ action, resource: alarm(`${typeof input.AlarmNamePrefix === 'string' ? input.AlarmNamePrefix : ''}*`), context: {} }];
    }
    case 'DeleteAlarms':
      return named(input.AlarmNames).map((n) => ({ action, resource: alarm(n), context: {} }));
    case 'SetAlarmState':
      return [{ action, resource: alarm(String(input.AlarmName ?? '')), context: {} }];
    case 'PutMetricData':
      return [{ action, resource: '*', context: typeof input.Namespace === 'string' ? { 'cloudwatch:namespace': input.Namespace } : {} }];
    default:
      return [{ action, resource: '*', context: {} }];
  }
}
