/**
 * The site sweeper: a scheduled Lambda that deletes leaked Lifeboat resources (zSAT / ZImporter instances and
 * volumes, sync snapshots no checkpoint references, expired test-failback VMs) past a grace period, and the
 * working files of executions that are gone. Its role destroys only what carries this site's Owner, a ZERTO_TAG,
 * a VPG tag and one of Lifeboat's worker or snapshot roles; it can create nothing and never touches a checkpoint
 * or a pack. What it watches (the state machines whose running executions own what they made, the VPGs, the
 * least grace) is in its environment, so a hand-run invoke can only narrow a sweep, never widen it.
 */
import { resolve } from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { lambdaEnvironment, STEP_ENV, stepEnvSchema, sweeperEnvSchema } from '../runtime/core/step-env';
import type { SweeperInput } from '../runtime/core/cleanup/sweeper-run';
import { LifeboatFunction } from './lifeboat-function';
import {
  EC2_DESTROY_ACTIONS,
  StoreStatements,
  ec2DescribeStatement,
  executionsArn,
  ownedResourceStatements,
  stateMachineArn,
  stateMachineArnPrefix,
} from './step-permissions';
import { sweeperWatchGroups, watchedMachineNames } from './sweeper-watch';
import { ack, DESCRIBE, DESTROY_OURS, EXECUTIONS, RUNTIME_IDS, storeAcks } from './nag-acks';
import { sweeperFunctionName, workerLaunchTemplateName } from '../runtime/core/resource-names';
import { ALL_HERE, type Peers } from './site-placement';

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
  /**
   * Where the VPGs' sync and failback state machines are (lib/site-placement.ts).
   * @default both in this stack's account and region
   */
  readonly peers?: Peers;
  readonly settings?: Partial<SweeperSettings>;
  /**
   * Folder holding `sweeper-handler.ts`.
   * @default runtime/handlers of this project
   */
  readonly handlersDir?: string;
}

export class Sweeper extends Construct {
  readonly fn: LifeboatFunction;
  readonly role: iam.Role;
  /** The site's VPGs in the groups whose executions each watch policy grants (lib/sweeper-watch.ts). */
  readonly watchGroups: readonly (readonly string[])[];
  /** One managed policy per group, attached to the role. */
  readonly watchPolicies: readonly iam.ManagedPolicy[];
  readonly schedule: events.Rule;
  /** The event the schedule sends (the handler's defaults apply to what it leaves out). */
  readonly event: SweeperInput;

  constructor(scope: Construct, id: string, props: SweeperProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const settings = { ...DEFAULT_SWEEPER, ...props.settings };
    const peers = props.peers ?? ALL_HERE;
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Lifeboat sweeper of site ${props.siteId}: deletes leaked workers, snapshots and working files of this site only`,
    });
    const store = new StoreStatements(props.bucket);
    const statements: iam.PolicyStatement[] = [
      ec2DescribeStatement(),
      // Any VPG of the site (a VPG tag must be present), only Lifeboat's workers, sync snapshots and recovered VMs.
      ...ownedResourceStatements(stack, {
        sid: 'Destroy',
        actions: EC2_DESTROY_ACTIONS,
        siteId: props.siteId,
        roles: ['zsat', 'zimporter', 'sync-snapshot', 'recovered-vm'],
      }),
      // It reads which snapshots checkpoints keep, and removes the working files of executions that are gone;
      // checkpoints, packs and the lease are never its to delete.
      ...store.read('Store', 'vpgs/'),
      store.delete('GoneExecutionsFiles', ['vpgs/*/syncs/*', 'vpgs/*/imports/*', 'vpgs/*/readers/*']),
      // a sync whose working files it removes may have left packs: a create-only note for the next compaction
      store.put('GcNotes', ['vpgs/*/gc/*'], 'if-none-match'),
    ];
    for (const s of statements) this.role.addToPrincipalPolicy(s);
    props.bucketKey?.grantDecrypt(this.role);
    ack(this.role, [
      DESCRIBE,
      ...DESTROY_OURS(['instance', 'volume', 'snapshot']),
      ...storeAcks(this, props.bucket, {
        'vpgs/*': 'the sweeper reads (GetObject only) every VPG of the site: the checkpoints keep their snapshots',
        'vpgs/*/syncs/*': `it deletes the working files of syncs that are gone, never a checkpoint or a pack; ${RUNTIME_IDS}`,
        'vpgs/*/imports/*': `it deletes the working files of imports that are gone, never a checkpoint or a pack; ${RUNTIME_IDS}`,
        'vpgs/*/readers/*': `it deletes reader registrations of executions that are gone, never a checkpoint or a pack; ${RUNTIME_IDS}`,
        'vpgs/*/gc/*': `it creates (If-None-Match only) a note that a sync it found gone may have left packs, for that VPG's next compaction; ${RUNTIME_IDS}`,
      }),
    ]);
    // The per-VPG grants (which executions run, whether one has ended: read-only, each state machine named) in managed
    // policies of their own, so the inline policy above does not grow with the VPGs (lib/sweeper-watch.ts).
    this.watchGroups = sweeperWatchGroups(props.siteId, props.vpgNames);
    this.watchPolicies = this.watchGroups.map((vpgs, i) => {
      // each VPG's sync and failback, where each runs (the other half of a split site is named by its account and region)
      const machines = vpgs
        .flatMap((vpg) => watchedMachineNames(props.siteId, vpg))
        .map((name, j) => ({ name, at: j % 2 === 0 ? peers.sync : peers.failback }));
      const policy = new iam.ManagedPolicy(this, `Watch${i}`, {
        description: `Lifeboat sweeper of site ${props.siteId}: the executions of VPGs ${vpgs[0]} to ${vpgs[vpgs.length - 1]}`,
        roles: [this.role],
        statements: [
          new iam.PolicyStatement({
            sid: 'ListRunningExecutions',
            actions: ['states:ListExecutions'],
            resources: machines.map((m) => stateMachineArn(stack, m.name, m.at)),
          }),
          new iam.PolicyStatement({
            sid: 'ExecutionState',
            actions: ['states:DescribeExecution'],
            resources: machines.map((m) => executionsArn(stack, m.name, m.at)),
          }),
        ],
      });
      ack(
        policy,
        machines.map((m) => EXECUTIONS(this, m.name, 'the sweeper asks whether an execution still runs (DescribeExecution, read-only)', m.at)),
      );
      return policy;
    });

    this.fn = new LifeboatFunction(this, 'Function', {
      entry: resolve(props.handlersDir ?? resolve(__dirname, '..', 'runtime', 'handlers'), 'sweeper-handler.ts'),
      handler: 'handler',
      functionName: sweeperFunctionName(props.siteId),
      description: `Lifeboat sweeper of site ${props.siteId}`,
      role: this.role,
      timeout: Duration.minutes(10),
      // the sweeper builds a step's ports (store, EC2) and reads its own watch list: both schemas' variables
      environment: {
        ...lambdaEnvironment(stepEnvSchema, {
          [STEP_ENV.siteId]: props.siteId,
          [STEP_ENV.bucket]: props.bucket.bucketName,
          [STEP_ENV.bucketRegion]: props.bucketRegion ?? stack.region,
          [STEP_ENV.zsatLaunchTemplate]: workerLaunchTemplateName(props.siteId, 'zsat'),
        }),
        // What it watches, whatever an event says: an event may narrow (dry run, fewer VPGs, more grace), never widen.
        // the machines' ARNs are this prefix and their conventional names: the environment (Lambda: 4 KB for every
        // variable together) grows by a VPG name per VPG, not by two ARNs
        ...lambdaEnvironment(sweeperEnvSchema, {
          [STEP_ENV.siteId]: props.siteId,
          [STEP_ENV.sweeperStateMachineArnPrefix]: stateMachineArnPrefix(stack, peers.sync),
          [STEP_ENV.sweeperFailbackArnPrefix]: stateMachineArnPrefix(stack, peers.failback),
          [STEP_ENV.sweeperVpgs]: JSON.stringify(props.vpgNames),
          [STEP_ENV.sweeperMinGraceMinutes]: String(settings.graceMinutes),
          [STEP_ENV.sweeperDryRun]: settings.dryRun ? 'true' : 'false',
        }),
      },
    });
    this.fn.logGroup.grantWrite(this.role);
    // the watch list lives in the environment; the event carries only what an event may narrow
    this.event = { graceMinutes: settings.graceMinutes, dryRun: settings.dryRun };
    this.schedule = new events.Rule(this, 'Schedule', {
      description: `Lifeboat sweeper of site ${props.siteId}, every ${settings.scheduleMinutes} minutes`,
      schedule: events.Schedule.rate(Duration.minutes(settings.scheduleMinutes)),
      targets: [new targets.LambdaFunction(this.fn.fn, { event: events.RuleTargetInput.fromObject(this.event), retryAttempts: 0 })],
    });
  }
}
