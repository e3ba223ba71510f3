/**
 * The site sweeper: a scheduled Lambda that deletes leaked Lifeboat resources (zSAT / ZImporter instances and
 * volumes, sync snapshots no checkpoint references, expired test-failback VMs) past a grace period. Its role
 * can destroy only what carries this site's Owner; it can create nothing.
 */
import { resolve } from 'node:path';
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { failbackStateMachineName, STEP_ENV, syncStateMachineName } from '../lambda/core/sync-contract';
import type { SweeperInput } from '../lambda/core/sweeper-run';
import { TAG } from '../lambda/core/tags';
import { LifeboatFunction } from './lifeboat-function';
import { EC2_DESCRIBE_ACTIONS, EC2_DESTRUCTIVE_ACTIONS, ec2Arn } from './step-permissions';

export interface SweeperSettings {
  /** Minutes a resource must have existed before the sweeper may take it. */
  readonly graceMinutes: number;
  /** Log what would be deleted, delete nothing. */
  readonly dryRun: boolean;
  /** Minutes between sweeps. */
  readonly scheduleMinutes: number;
}

export const DEFAULT_SWEEPER: SweeperSettings = { graceMinutes: 120, dryRun: false, scheduleMinutes: 60 };

export interface SweeperProps {
  readonly siteId: string;
  /** Every VPG of the site: their state machines' running executions own what they made, their checkpoints keep their snapshots. */
  readonly vpgNames: readonly string[];
  readonly bucket: s3.IBucket;
  readonly bucketKey?: kms.IKey;
  readonly bucketRegion?: string;
  /** The zSAT launch template name (the step environment requires it). */
  readonly zsatLaunchTemplateName: string;
  readonly settings?: Partial<SweeperSettings>;
  /**
   * Folder holding `sweeper-handler.ts`.
   * @default lambda/steps of this project
   */
  readonly handlersDir?: string;
}

export function sweeperFunctionName(siteId: string): string {
  return `lifeboat-${siteId}-sweeper`;
}

export class Sweeper extends Construct {
  readonly fn: LifeboatFunction;
  readonly role: iam.Role;
  readonly schedule: events.Rule;
  /** The event the schedule sends (the handler's defaults apply to what it leaves out). */
  readonly event: SweeperInput;

  constructor(scope: Construct, id: string, props: SweeperProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const settings = { ...DEFAULT_SWEEPER, ...props.settings };
    const stateMachineArns = props.vpgNames.flatMap((vpg) =>
      [syncStateMachineName(props.siteId, vpg), failbackStateMachineName(props.siteId, vpg)].map((name) =>
        stack.formatArn({ service: 'states', resource: 'stateMachine', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
      ),
    );
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Lifeboat sweeper of site ${props.siteId}: deletes leaked resources of this site only`,
    });
    const ours = { StringEquals: { [`aws:ResourceTag/${TAG.owner}`]: props.siteId } };
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'Ec2Describe', actions: EC2_DESCRIBE_ACTIONS, resources: ['*'] }));
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'Ec2DestroyOnlyOurs',
        actions: EC2_DESTRUCTIVE_ACTIONS,
        resources: [ec2Arn(stack, 'instance'), ec2Arn(stack, 'volume'), ec2Arn(stack, 'snapshot', false)],
        conditions: ours,
      }),
    );
    // Checkpoint manifests only: the sweeper reads which snapshots are bases, it writes nothing.
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ReadCheckpoints', actions: ['s3:GetObject'], resources: [props.bucket.arnForObjects('vpgs/*')] }));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ListStore', actions: ['s3:ListBucket'], resources: [props.bucket.bucketArn] }));
    if (stateMachineArns.length > 0) {
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ListRunningExecutions', actions: ['states:ListExecutions'], resources: stateMachineArns }));
    }
    props.bucketKey?.grantDecrypt(this.role);

    this.fn = new LifeboatFunction(this, 'Function', {
      entry: resolve(props.handlersDir ?? resolve(__dirname, '..', 'lambda', 'steps'), 'sweeper-handler.ts'),
      handler: 'handler',
      functionName: sweeperFunctionName(props.siteId),
      description: `Lifeboat sweeper of site ${props.siteId}`,
      role: this.role,
      timeout: Duration.minutes(10),
      environment: {
        [STEP_ENV.siteId]: props.siteId,
        [STEP_ENV.bucket]: props.bucket.bucketName,
        [STEP_ENV.bucketRegion]: props.bucketRegion ?? stack.region,
        [STEP_ENV.zsatLaunchTemplate]: props.zsatLaunchTemplateName,
      },
    });
    this.fn.logGroup.grantWrite(this.role);
    this.event = { graceMinutes: settings.graceMinutes, dryRun: settings.dryRun, stateMachineArns, vpgs: [...props.vpgNames] };
    this.schedule = new events.Rule(this, 'Schedule', {
      description: `Lifeboat sweeper of site ${props.siteId}, every ${settings.scheduleMinutes} minutes`,
      schedule: events.Schedule.rate(Duration.minutes(settings.scheduleMinutes)),
      targets: [new targets.LambdaFunction(this.fn.fn, { event: events.RuleTargetInput.fromObject(this.event), retryAttempts: 0 })],
    });
  }
}
