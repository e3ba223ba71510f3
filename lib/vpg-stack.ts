/**
 * `Lifeboat-<siteId>-<vpg>`: one VPG — its agents' role, its sync state machine and the schedule that starts it.
 * Composition only; it depends on the site stack, never the other way round.
 */
import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { vpgRuntime, type SiteConfig, type VpgConfig } from './config';
import type { LifeboatSiteStack } from './site-stack';
import { SyncStateMachine } from './sync-state-machine';
import { FailbackStateMachine, recoveryRuntime } from './failback-state-machine';
import { failbackVpgStatements } from './failback-steps';
import { syncStateMachineName } from '../lambda/core/sync-contract';
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

export class LifeboatVpgStack extends Stack {
  readonly agentRole: VpgAgentRole;
  readonly sync: SyncStateMachine;
  readonly failback: FailbackStateMachine;
  readonly schedule: events.Rule;
  readonly alarms: VpgAlarms;

  constructor(scope: Construct, id: string, props: LifeboatVpgStackProps) {
    super(scope, id, { description: `Lifeboat VPG ${props.vpg.name} of site ${props.config.siteId}`, ...props });
    const { config, vpg, site } = props;
    const siteId = config.siteId;
    this.addStackDependency(site);

    this.agentRole = new VpgAgentRole(this, 'Agents', {
      siteId,
      vpgName: vpg.name,
      bucket: site.store.bucket,
      bucketKey: site.store.key,
      agentBundle: site.agent.asset,
    });
    this.sync = new SyncStateMachine(this, 'Sync', {
      siteId,
      vpg: vpgRuntime(config, vpg, {
        agentInstanceProfileArn: this.agentRole.instanceProfile.instanceProfileArn,
        storeBucket: site.store.bucket.bucketName,
      }),
      functions: site.steps.functions,
    });
    this.failback = new FailbackStateMachine(this, 'Failback', {
      siteId,
      vpg: vpgRuntime(config, vpg, {
        agentInstanceProfileArn: this.agentRole.instanceProfile.instanceProfileArn,
        storeBucket: site.store.bucket.bucketName,
      }),
      recovery: recoveryRuntime(config, vpg),
      syncStateMachineArn: this.sync.stateMachine.stateMachineArn,
      functions: site.failbackSteps.functions,
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
