/**
 * The CloudWatch Logs resource policy that vended log delivery keeps per account and region, as a state
 * machine with logging makes Step Functions grow it. Pure.
 *
 * https://docs.aws.amazon.com/step-functions/latest/dg/bp-cwl.html: "CloudWatch Logs resource policies are
 * limited to 5120 characters ... When you create a state machine with logging enabled, Step Functions must
 * update your CloudWatch Logs resource policy with the log group you specify. To avoid reaching the
 * CloudWatch Logs resource policy size limit, prefix your CloudWatch Logs log group names with
 * /aws/vendedlogs/." (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-and-resource-policy.html:
 * one policy, AWSLogDeliveryWrite20150319, whose Resource list gains "log-group:NAME:log-stream:*" per log
 * group, and one "log-group:/aws/vendedlogs/*" entry for every vended log group; an account has at most 10
 * resource policies per region, https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutResourcePolicy.html.)
 * The refusal is Step Functions' InvalidLoggingConfiguration, as CloudFormation reports it.
 */
export const LOGS_RESOURCE_POLICY_MAX_CHARS = 5120;
export const LOG_DELIVERY_POLICY_NAME = 'AWSLogDeliveryWrite20150319';
const VENDED_PREFIX = '/aws/vendedlogs/';

export const POLICY_OVERFLOW_REASON =
  'Resource handler returned message: "Invalid Logging Configuration: The CloudWatch Logs Resource Policy size was exceeded. ' +
  'We suggest prefixing your CloudWatch log group name with /aws/vendedlogs/states/. (Service: AWSStepFunctions; Status Code: 400; ' +
  'Error Code: InvalidLoggingConfiguration; Request ID: offline; Proxy: null)" (RequestToken: offline, HandlerErrorCode: InvalidRequest)';

/** The policy document for the log groups delivery writes to (names), as CloudWatch Logs words it. */
export function logDeliveryPolicy(region: string, account: string, logGroupNames: Iterable<string>): string {
  const resources = new Set<string>();
  for (const name of logGroupNames) {
    resources.add(`arn:aws:logs:${region}:${account}:log-group:${name.startsWith(VENDED_PREFIX) ? `${VENDED_PREFIX}*` : `${name}:log-stream:*`}`);
  }
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AWSLogDeliveryWrite',
        Effect: 'Allow',
        Principal: { Service: 'delivery.logs.amazonaws.com' },
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: [...resources],
        Condition: { StringEquals: { 'aws:SourceAccount': account }, ArnLike: { 'aws:SourceArn': `arn:aws:logs:${region}:${account}:*` } },
      },
    ],
  });
}

/** The log group names a state machine's LoggingConfiguration delivers to (from their ARNs). */
export function loggingDestinations(props: Record<string, unknown>): string[] {
  const config = props.LoggingConfiguration as { Level?: string; Destinations?: { CloudWatchLogsLogGroup?: { LogGroupArn?: unknown } }[] } | undefined;
  if (!config || config.Level === 'OFF') return [];
  const names: string[] = [];
  for (const d of config.Destinations ?? []) {
    const arn = d.CloudWatchLogsLogGroup?.LogGroupArn;
    const m = typeof arn === 'string' ? /:log-group:(.+?)(:\*)?$/.exec(arn) : null;
    if (m) names.push(m[1]);
  }
  return names;
}

/** Undefined when delivering to `adding` as well keeps the policy within its size; else the refusal. */
export function policyOverflow(region: string, account: string, existing: Iterable<string>, adding: string[]): string | undefined {
  if (adding.length === 0) return undefined;
  const doc = logDeliveryPolicy(region, account, [...existing, ...adding]);
  return doc.length > LOGS_RESOURCE_POLICY_MAX_CHARS ? POLICY_OVERFLOW_REASON : undefined;
}
