/**
 * The failback's Lambda steps: one function per FAILBACK_STEPS entry, shared by every VPG of the site. They
 * run with the sync steps' role (the same EC2 statements cover ZImporter and recovered-VM creates and the
 * guarded deletes); each VPG stack adds what only its failback needs (its sync machine, its instances' stop).
 */
import { ArnFormat, type Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { FAILBACK_STEPS, type FailbackStep } from '../lambda/core/failback-contract';
import { addStepFunctions, stepEnvironment } from './step-functions';
import type { WorkerLaunchTemplate } from './worker-launch-template';

export interface FailbackStepsProps {
  readonly siteId: string;
  /** The role the functions run with (the sync steps' role). */
  readonly role: iam.IRole;
  readonly bucket: s3.IBucket;
  /** @default the stack's region */
  readonly bucketRegion?: string;
  readonly zsatTemplate: WorkerLaunchTemplate;
  readonly importerTemplate: WorkerLaunchTemplate;
  /** @default lambda/steps of this project */
  readonly handlersDir?: string;
}

/** `lifeboat-<site>-<step>`, e.g. lifeboat-site-a-failback-launch. */
export function failbackFunctionName(siteId: string, step: FailbackStep): string {
  return `lifeboat-${siteId}-${step}`;
}

export class FailbackSteps extends Construct {
  readonly functions: Readonly<Record<FailbackStep, lambda.IFunction>>;

  constructor(scope: Construct, id: string, props: FailbackStepsProps) {
    super(scope, id);
    this.functions = addStepFunctions(this, {
      steps: FAILBACK_STEPS,
      functionName: (step) => failbackFunctionName(props.siteId, step),
      kind: 'failback step',
      siteId: props.siteId,
      role: props.role,
      environment: stepEnvironment(props),
      handlersDir: props.handlersDir,
    });
  }
}

export interface FailbackVpgGrantProps {
  /** Name of the VPG's sync state machine (live mode starts and follows it). */
  readonly syncStateMachineName: string;
  readonly syncStateMachineArn: string;
  /** The VPG's instance selector: live mode stops exactly these. */
  readonly instanceIds: readonly string[];
  readonly instanceTags: Readonly<Record<string, string>>;
}

/**
 * What one VPG's failback adds to the step role: start and follow its sync, and stop its protected instances.
 * Those carry no Owner tag (they are the customer's), so the stop is bounded by the VPG's own selector:
 * the instance ARNs it names, or the selector tags as aws:ResourceTag conditions.
 */
export function failbackVpgStatements(stack: Stack, props: FailbackVpgGrantProps): iam.PolicyStatement[] {
  const statements = [
    new iam.PolicyStatement({ sid: 'FinalSyncStart', actions: ['states:StartExecution'], resources: [props.syncStateMachineArn] }),
    new iam.PolicyStatement({
      sid: 'FinalSyncFollow',
      actions: ['states:DescribeExecution'],
      resources: [stack.formatArn({ service: 'states', resource: 'execution', resourceName: `${props.syncStateMachineName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
    }),
  ];
  if (props.instanceIds.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'LiveStopSelectedIds',
        actions: ['ec2:StopInstances'],
        resources: props.instanceIds.map((id) => stack.formatArn({ service: 'ec2', resource: 'instance', resourceName: id })),
      }),
    );
  }
  const tags = Object.entries(props.instanceTags);
  if (tags.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'LiveStopSelectedTags',
        actions: ['ec2:StopInstances'],
        resources: [stack.formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' })],
        conditions: { StringEquals: Object.fromEntries(tags.map(([k, v]) => [`aws:ResourceTag/${k}`, v])) },
      }),
    );
  }
  return statements;
}
