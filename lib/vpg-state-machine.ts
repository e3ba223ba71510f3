/**
 * What the sync and the failback state machines of a VPG share around their definitions: a retained log
 * group (errors only) and the Standard state machine logging to it. Construct ids are the caller's ('Logs',
 * 'StateMachine'), so logical ids stay put. Their failed-execution alarms are the VPG's (monitoring.ts VpgAlarms),
 * one of each kind, notifying the alert topic.
 */
import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { ack, resourceId } from './nag-acks';
import { stateMachineLogGroupName } from '../runtime/core/resource-names';

export interface VpgStateMachineProps {
  readonly stateMachineName: string;
  readonly definition: sfn.IChainable;
  readonly comment: string;
  readonly logRetention?: logs.RetentionDays;
  /** TimeoutSeconds of every execution: the longest one may run before Step Functions times it out (no Catch runs). */
  readonly timeout: Duration;
  /** The step functions its tasks invoke (their invoke grants are acknowledged here). */
  readonly functions: readonly lambda.IFunction[];
}

export interface VpgStateMachine {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
}

export function vpgStateMachine(scope: Construct, props: VpgStateMachineProps): VpgStateMachine {
  const logGroup = new logs.LogGroup(scope, 'Logs', {
    // Under /aws/vendedlogs/: Step Functions' log delivery adds every other log group to the account's
    // CloudWatch Logs resource policy, which overflows at 5,120 characters after a few dozen state machines
    // (https://docs.aws.amazon.com/step-functions/latest/dg/bp-cwl.html).
    logGroupName: stateMachineLogGroupName(props.stateMachineName),
    retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const stateMachine = new sfn.StateMachine(scope, 'StateMachine', {
    stateMachineName: props.stateMachineName,
    stateMachineType: sfn.StateMachineType.STANDARD,
    definitionBody: sfn.DefinitionBody.fromChainable(props.definition),
    comment: props.comment,
    tracingEnabled: false,
    timeout: props.timeout,
    // Errors only: full execution data would copy every payload into the logs.
    logs: { destination: logGroup, level: sfn.LogLevel.ERROR, includeExecutionData: false },
  });
  ack(stateMachine.role, [
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'CloudWatch Logs delivery actions (logs:CreateLogDelivery, ...) support no resource-level permissions; Step Functions needs them to log executions',
    },
    ...props.functions.map((fn) => ({
      id: resourceId(scope, `${fn.functionArn}:*`),
      reason: 'invoke any version or alias of our own step function (CDK LambdaInvoke grant); the function itself is named',
    })),
  ]);
  ack(stateMachine, [
    {
      id: 'AwsSolutions-SF1',
      reason: 'logs ERROR events only: ALL would copy every payload (volume ids, plans) into CloudWatch; execution history keeps every event for 90 days',
    },
    {
      id: 'AwsSolutions-SF2',
      reason: 'X-Ray adds cost and nothing the execution history, the JSON step logs and the failed-executions alarm do not already show',
    },
  ]);
  return { stateMachine, logGroup };
}
