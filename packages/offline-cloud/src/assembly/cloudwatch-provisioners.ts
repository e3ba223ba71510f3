/**
 * An assembly's AWS::CloudWatch::Alarm, created through the offline CloudWatch's PutMetricAlarm as CloudFormation
 * creates it (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudwatch-alarm.html):
 * the properties are PutMetricAlarm's; without AlarmName CloudFormation generates one; Ref is the alarm's name,
 * GetAtt Arn its ARN. A refusal fails the resource with the service's message, as CloudFormation reports it.
 */
import { type CloudWatchClient, PutMetricAlarmCommand, type PutMetricAlarmCommandInput } from '@aws-sdk/client-cloudwatch';
import { generatedName, ResourceFailure } from './provisioners';

const NUMBERS = ['EvaluationPeriods', 'DatapointsToAlarm', 'Period', 'Threshold'] as const;

export async function provisionAlarm(
  logicalId: string,
  stackName: string,
  props: Record<string, unknown>,
  at: { region: string; accountId: string },
  cloudwatch: CloudWatchClient,
): Promise<{ physicalId: string; attributes: Record<string, unknown> }> {
  const name = (props.AlarmName as string) ?? generatedName(stackName, logicalId, 255);
  // a template may carry numbers as strings ("5"), which CloudFormation converts
  const numbers = Object.fromEntries(NUMBERS.filter((k) => props[k] !== undefined).map((k) => [k, Number(props[k])]));
  const input = { ...props, ...numbers, AlarmName: name } as PutMetricAlarmCommandInput;
  try {
    await cloudwatch.send(new PutMetricAlarmCommand(input));
  } catch (err) {
    const e = err as Error & { Code?: string };
    throw new ResourceFailure(
      logicalId,
      'AWS::CloudWatch::Alarm',
      `Resource handler returned message: "${e.message} (Service: CloudWatch; Status Code: 400; Error Code: ${e.Code ?? e.name}; Request ID: offline; Proxy: null)" (RequestToken: offline, HandlerErrorCode: InvalidRequest)`,
    );
  }
  return { physicalId: name, attributes: { Arn: `arn:aws:cloudwatch:${at.region}:${at.accountId}:alarm:${name}` } };
}
