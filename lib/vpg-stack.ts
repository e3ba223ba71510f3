/**
 * `Lifeboat-<siteId>-<vpg>`: one VPG — its agents' role, its sync state machine and the schedule that starts it.
 * Composition only; it depends on the site stack, never the other way round.
 */
import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { vpgRuntime, type SiteConfig, type VpgConfig } from './config';
import type { LifeboatSiteStack } from './site-stack';
import { SyncStateMachine } from './sync-state-machine';
import { FailbackStateMachine, recoveryRuntime } from './failback-state-machine';
import { failbackFunctionName, failbackVpgStatements } from './failback-steps';
import { pascalCase, stepFunctionName } from './sync-steps';
import { FAILBACK_STEPS, type FailbackStep } from '../lambda/core/failback-contract';
import { replicaBucketName } from './replica-bucket';
import { SYNC_STEPS, syncStateMachineName, type SyncStep } from '../lambda/core/sync-contract';
import { VpgAgentRole } from './vpg-agent-role';
import { VpgAlarms } from './monitoring';

export interface LifeboatVpgStackProps extends StackProps {
  /** The parsed site config (defaults applied). */
  readonly config: SiteConfig;
  /** The VPG this stack serves (one of config.vpgs). */
  readonly vpg: VpgConfig;
  /** The site's shared resources. */
  readonly site: LifeboatSiteStack;
}

export function vpgStackName(siteId: string, vpg: string): string {
  return `Lifeboat-${siteId}-${vpg}`;
}

/** One imported function per step, by its fixed name. */
function byName<S extends string>(scope: Construct, idPrefix: string, steps: readonly S[], name: (step: S) => string): Record<S, lambda.IFunction> {
  const functions = {} as Record<S, lambda.IFunction>;
  for (const step of steps) functions[step] = lambda.Function.fromFunctionName(scope, `${idPrefix}${pascalCase(step)}`, name(step));
  return functions;
}

export class LifeboatVpgStack extends Stack {
  readonly agentRole: VpgAgentRole;
  readonly sync: SyncStateMachine;
  readonly failback: FailbackStateMachine;
  readonly schedule: events.Rule;
  readonly alarms: VpgAlarms;
  /** The site's replica bucket, by name. */
  readonly replicaBucket: s3.IBucket;
  /** The site's sync and failback step functions, by name. */
  readonly stepFunctions: Readonly<Record<SyncStep, lambda.IFunction>>;
  readonly failbackFunctions: Readonly<Record<FailbackStep, lambda.IFunction>>;

  constructor(scope: Construct, id: string, props: LifeboatVpgStackProps) {
    super(scope, id, { description: `Lifeboat VPG ${props.vpg.name} of site ${props.config.siteId}`, ...props });
    const { config, vpg, site } = props;
    const siteId = config.siteId;
    this.addStackDependency(site);
    // The site's bucket and step functions by their fixed names, built from this stack's own account and region
    // (the site's): no cross-stack imports, so IAM resources read as names (lib/nag.ts acknowledges them so).
    const bucket = s3.Bucket.fromBucketName(this, 'ReplicaStore', replicaBucketName(this, siteId, config.store));
    const stepFunctions = byName(this, 'SyncStep', SYNC_STEPS, (step) => stepFunctionName(siteId, step));
    const failbackFunctions = byName(this, 'FailbackStep', FAILBACK_STEPS, (step) => failbackFunctionName(siteId, step));
    this.replicaBucket = bucket;
    this.stepFunctions = stepFunctions;
    this.failbackFunctions = failbackFunctions;

    this.agentRole = new VpgAgentRole(this, 'Agents', {
      siteId,
      vpgName: vpg.name,
      bucket,
      bucketKey: site.store.key,
      agentBundle: site.agent.asset,
    });
    this.sync = new SyncStateMachine(this, 'Sync', {
      siteId,
      vpg: vpgRuntime(config, vpg, {
        agentInstanceProfileArn: this.agentRole.instanceProfile.instanceProfileArn,
        storeBucket: bucket.bucketName,
      }),
      functions: stepFunctions,
    });
    this.failback = new FailbackStateMachine(this, 'Failback', {
      siteId,
      vpg: vpgRuntime(config, vpg, {
        agentInstanceProfileArn: this.agentRole.instanceProfile.instanceProfileArn,
        storeBucket: bucket.bucketName,
      }),
      recovery: recoveryRuntime(config, vpg),
      syncStateMachineArn: this.sync.stateMachine.stateMachineArn,
      functions: failbackFunctions,
    });

    // The shared step role gets this VPG's grants here, so the site stack never references a VPG stack.
    new iam.Policy(this, 'StepGrants', {
      roles: [site.steps.role],
      statements: [
        new iam.PolicyStatement({ sid: 'SyncLock', actions: ['states:ListExecutions'], resources: [this.sync.stateMachine.stateMachineArn] }),
        new iam.PolicyStatement({
          sid: 'PassAgentRole',
          actions: ['iam:PassRole'],
          resources: [this.agentRole.role.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
        }),
        ...failbackVpgStatements(this, {
          syncStateMachineName: syncStateMachineName(siteId, vpg.name),
          syncStateMachineArn: this.sync.stateMachine.stateMachineArn,
          instanceIds: vpg.instances.ids ?? [],
          instanceTags: vpg.instances.tags ?? {},
        }),
      ],
    });

    this.schedule = new events.Rule(this, 'Schedule', {
      description: `Sync VPG ${vpg.name} every ${vpg.syncIntervalMinutes} minutes`,
      schedule: events.Schedule.rate(Duration.minutes(vpg.syncIntervalMinutes)),
      targets: [
        new targets.SfnStateMachine(this.sync.stateMachine, {
          input: events.RuleTargetInput.fromObject({}),
          retryAttempts: 2,
          maxEventAge: Duration.hours(1),
        }),
      ],
    });
    // RPO and failed-sync alarms, notifying the site's alert topic (docs/operations.md).
    this.alarms = new VpgAlarms(this, 'Alarms', { siteId, vpg, config, stateMachine: this.sync.stateMachine, topic: site.alerts.topic });
  }
}
