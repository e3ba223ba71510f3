/**
 * What the sync and the failback state machines of a VPG share around their definitions: a retained log
 * group (errors only), the Standard state machine logging to it, and an alarm on any failed execution.
 * Construct ids are the caller's ('Logs', 'StateMachine', 'FailedAlarm'), so logical ids stay put.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';

export interface VpgStateMachineProps {
  readonly stateMachineName: string;
  readonly definition: sfn.IChainable;
  readonly comment: string;
  readonly logRetention?: logs.RetentionDays;
  readonly failedAlarmDescription: string;
}

export interface VpgStateMachine {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
  readonly failedAlarm: cloudwatch.Alarm;
}

export function vpgStateMachine(scope: Construct, props: VpgStateMachineProps): VpgStateMachine {
  const logGroup = new logs.LogGroup(scope, 'Logs', {
    // Under /aws/vendedlogs/: Step Functions' log delivery adds every other log group to the account's
    // CloudWatch Logs resource policy, which overflows at 5,120 characters after a few dozen state machines
    // (https://docs.aws.amazon.com/step-functions/latest/dg/bp-cwl.html).
    logGroupName: `/aws/vendedlogs/states/${props.stateMachineName}`,
    retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const stateMachine = new sfn.StateMachine(scope, 'StateMachine', {
    stateMachineName: props.stateMachineName,
    stateMachineType: sfn.StateMachineType.STANDARD,
    definitionBody: sfn.DefinitionBody.fromChainable(props.definition),
    comment: props.comment,
    tracingEnabled: false,
    // Errors only: full execution data would copy every payload into the logs.
    logs: { destination: logGroup, level: sfn.LogLevel.ERROR, includeExecutionData: false },
  });
  const failedAlarm = new cloudwatch.Alarm(scope, 'FailedAlarm', {
    alarmDescription: props.failedAlarmDescription,
    metric: stateMachine.metricFailed({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  return { stateMachine, logGroup, failedAlarm };
}
