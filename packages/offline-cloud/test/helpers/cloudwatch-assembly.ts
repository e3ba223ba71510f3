/**
 * A hand-written assembly for the offline CloudWatch's tests: an alert topic whose policy lets CloudWatch publish for
 * alarms named svc-* only (as a site's topic policy does), a function that logs one embedded metric format document
 * (App/Lag, dimension Service) from its event, an alarm on that metric notifying the topic, and a role that may only
 * read alarms and put App metrics.
 */
import { role, writeAssembly } from './iam-assembly';

export const TOPIC = 'alerts';
export const FUNCTION = 'reporter';
export const ALARM = 'svc-lag';

/** The function's code: console.log writes the document to stdout, as a Lambda function's log line. */
const REPORTER = [
  'exports.handler = async (event) => {',
  "  const doc = { _aws: { Timestamp: event.at, CloudWatchMetrics: [{ Namespace: 'App', Dimensions: [['Service']], Metrics: [{ Name: 'Lag', Unit: 'Seconds' }] }] }, Service: 'svc', Lag: event.lag };",
  '  console.log(JSON.stringify(doc));',
  '  return { logged: event.lag };',
  '};',
].join('\n');

export function cloudwatchAssembly(account: string, region: string): string {
  return writeAssembly({
    Topic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: TOPIC } },
    TopicPolicy: {
      Type: 'AWS::SNS::TopicPolicy',
      Properties: {
        Topics: [{ Ref: 'Topic' }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: 'sns:Publish',
              Resource: { Ref: 'Topic' },
              Condition: {
                StringEquals: { 'aws:SourceAccount': account },
                ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:${region}:${account}:alarm:svc-*` },
              },
            },
          ],
        },
      },
    },
    ReporterRole: role('ReporterRole', 'lambda.amazonaws.com', [], { ManagedPolicyArns: ['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'] }),
    Reporter: {
      Type: 'AWS::Lambda::Function',
      Properties: { FunctionName: FUNCTION, Role: { 'Fn::GetAtt': ['ReporterRole', 'Arn'] }, Handler: 'index.handler', Code: { ZipFile: REPORTER } },
    },
    Lag: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: ALARM,
        AlarmDescription: 'svc is late',
        Namespace: 'App',
        MetricName: 'Lag',
        Dimensions: [{ Name: 'Service', Value: 'svc' }],
        Statistic: 'Maximum',
        Period: 60,
        EvaluationPeriods: 2,
        DatapointsToAlarm: 2,
        Threshold: 3,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'breaching',
        AlarmActions: [{ Ref: 'Topic' }],
        OKActions: [{ Ref: 'Topic' }],
      },
    },
    Watcher: role('Watcher', 'lambda.amazonaws.com', [
      { Effect: 'Allow', Action: 'cloudwatch:DescribeAlarms', Resource: '*' },
      { Effect: 'Allow', Action: 'cloudwatch:PutMetricData', Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': 'App' } } },
    ]),
  });
}
