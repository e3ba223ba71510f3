/**
 * `Lifeboat-<siteId>-<vpg>`: one VPG — its workers' roles, its step functions and their roles, its sync and failback
 * state machines, and the schedule that starts the sync. Composition only; it depends on the site stack, never the
 * other way round, and nothing in it is shared with another VPG (a step of one VPG cannot stop another VPG's
 * instances, launch workers with another VPG's profile, or touch another VPG's part of the store).
 * With a recovery site elsewhere (lib/site-placement.ts) a VPG is two stacks: `Lifeboat-<siteId>-<vpg>` beside its
 * instances (zSAT role, sync steps, sync state machine, schedule, failed-sync alarm) and `Lifeboat-<siteId>-<vpg>-Recovery`
 * in the recovery site (ZImporter role, failback steps, failback state machine, RPO and failed-failback alarms, and the
 * journal state machine with its compaction role: the protected side holds no role that may delete a checkpoint or a pack).
 */
import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { vpgRuntime, type SiteConfig, type VpgConfig } from './config';
import type { LifeboatSiteStack } from './site-stack';
import { SyncStateMachine, type SyncFunctions } from './sync-state-machine';
import { JournalStateMachine } from './journal-state-machine';
import { JOURNAL_STEPS, type JournalStep } from '../runtime/core/journal/contract';
import { FailbackStateMachine, recoveryRuntime } from './failback-state-machine';
import { stepEnvironment, VpgStepFunctions } from './step-lambdas';
import { FAILBACK_STEPS, type FailbackStep } from '../runtime/core/failback/contract';
import { SYNC_STEPS, type SyncStep, type VpgRuntimeLiteral } from '../runtime/core/sync/contract';
import { replicaBucketName } from './replica-bucket';
import { VpgAgentRole } from './vpg-agent-role';
import { FAILBACK_STEP_ROLE, SYNC_STEP_ROLE, VpgStepRoles } from './vpg-step-roles';
import { VpgAlarms } from './monitoring';
import type { Location, SitePart } from './site-placement';
import type { StepRoleKind } from './vpg-step-roles';
import { syncStateMachineName } from '../runtime/core/resource-names';
import { stateMachineArn } from './step-permissions';

export interface LifeboatVpgStackProps extends StackProps {
  /** The parsed site config (defaults applied). */
  readonly config: SiteConfig;
  /** The VPG this stack serves (one of config.vpgs). */
  readonly vpg: VpgConfig;
  /** The site's shared resources of this stack's half (its account and region). */
  readonly site: LifeboatSiteStack;
  /**
   * Folder of the step handlers.
   * @default runtime/handlers
   */
  readonly handlersDir?: string;
}

/** The step roles each half holds: a split site compacts its journal in the recovery site, never on the protected side. */
export const PART_KINDS: Record<SitePart, readonly StepRoleKind[]> = {
  whole: ['sync', 'compaction', 'cleanup', 'failback'],
  protected: ['sync', 'cleanup'],
  recovery: ['failback', 'compaction'],
};

/** The sync steps of each half that syncs: a split site's sync has no CompactJournal (the recovery site's journal run does it). */
const SPLIT_SYNC_STEPS = SYNC_STEPS.filter((s): s is Exclude<SyncStep, 'compact-journal'> => s !== 'compact-journal');

export class LifeboatVpgStack extends Stack {
  /** Which half of the VPG this stack holds (its site stack's). */
  readonly part: SitePart;
  /** The zSATs' role: reads its VPG's prefix, creates its job's packs and results (protected side). */
  readonly zsatAgentRole?: VpgAgentRole;
  /** The ZImporters' role: reads its VPG's prefix, writes its import's progress and results (recovery site). */
  readonly importerAgentRole?: VpgAgentRole;
  readonly stepRoles: VpgStepRoles;
  readonly syncSteps?: { readonly functions: SyncFunctions };
  readonly failbackSteps?: VpgStepFunctions<FailbackStep>;
  readonly sync?: SyncStateMachine;
  readonly failback?: FailbackStateMachine;
  /** A split site's journal steps and journal state machine (recovery site). */
  readonly journalSteps?: VpgStepFunctions<JournalStep>;
  readonly journal?: JournalStateMachine;
  readonly schedule?: events.Rule;
  readonly alarms: VpgAlarms;
  /** The site's replica bucket, by name. */
  readonly replicaBucket: s3.IBucket;

  constructor(scope: Construct, id: string, props: LifeboatVpgStackProps) {
    super(scope, id, { description: `Lifeboat VPG ${props.vpg.name} of site ${props.config.siteId}`, ...props });
    const { config, vpg, site } = props;
    const siteId = config.siteId;
    const part = site.part;
    this.part = part;
    const { peers } = site;
    const protects = part !== 'recovery';
    const recovers = part !== 'protected';
    // where the journal state machine is, as this stack names it: only a split site has one, beside the failback
    const journalAt: Location | undefined = part === 'whole' ? undefined : peers.failback;
    this.addStackDependency(site);
    // The site's bucket by its fixed name, built from this stack's own account and region (the recovery site's, when
    // it is elsewhere): no cross-stack import, so IAM resources read as names (the roles acknowledge them so, lib/nag-acks.ts).
    const bucket = s3.Bucket.fromBucketName(this, 'ReplicaStore', replicaBucketName(this, siteId, config.store, peers.store));
    this.replicaBucket = bucket;

    const agent = (agentId: string, worker: 'zsat' | 'zimporter') =>
      new VpgAgentRole(this, agentId, { siteId, vpgName: vpg.name, worker, bucket, bucketKey: site.bucketKey, agentBundle: site.agent.asset });
    this.zsatAgentRole = protects ? agent('ZsatAgent', 'zsat') : undefined;
    this.importerAgentRole = recovers ? agent('ImporterAgent', 'zimporter') : undefined;

    this.stepRoles = new VpgStepRoles(this, 'StepRoles', {
      siteId,
      vpgName: vpg.name,
      bucket,
      bucketKey: site.bucketKey,
      zsatLaunchTemplateArn: site.zsatTemplate?.launchTemplateArn ?? '',
      importerLaunchTemplateArn: site.importerTemplate?.launchTemplateArn ?? '',
      zsatAgentRoleArn: this.zsatAgentRole?.role.roleArn ?? '',
      importerAgentRoleArn: this.importerAgentRole?.role.roleArn ?? '',
      instanceIds: vpg.instances.ids ?? [],
      instanceTags: vpg.instances.tags ?? {},
      kmsKeyArns: config.kms?.keyArns,
      kinds: PART_KINDS[part],
      peers,
      journal: journalAt,
    });
    // one environment for both flows' functions (a step refuses an input for another VPG: LIFEBOAT_VPG)
    const environment = stepEnvironment({
      siteId,
      vpgName: vpg.name,
      bucket,
      bucketRegion: site.bucketRegion,
      zsatTemplate: site.zsatTemplate,
      importerTemplate: site.importerTemplate,
      protectedRegion: peers.sync.region,
    });
    const flowProps = { siteId, vpgName: vpg.name, environment, handlersDir: props.handlersDir };
    // The VPG as both state machines embed it: config, plus this stack's worker profiles, key-using step roles and the store's name.
    const runtime: VpgRuntimeLiteral = {
      ...vpgRuntime(config, vpg, { agentInstanceProfileArn: this.zsatAgentRole?.instanceProfile.instanceProfileArn ?? '', storeBucket: bucket.bucketName }),
      importerInstanceProfileArn: this.importerAgentRole?.instanceProfile.instanceProfileArn ?? '',
      syncStepRoleArn: this.stepRoles.find('sync')?.roleArn ?? '',
      failbackStepRoleArn: this.stepRoles.find('failback')?.roleArn ?? '',
      ...(site.bucketRegion ? { storeRegion: site.bucketRegion } : {}),
    };
    if (protects) {
      // construct ids from before the files were named for what they build (kept: renaming them replaces every function)
      this.syncSteps = new VpgStepFunctions(this, 'SyncSteps', {
        ...flowProps,
        flow: 'sync',
        steps: part === 'whole' ? SYNC_STEPS : SPLIT_SYNC_STEPS,
        roleOf: (step) => this.stepRoles.of(SYNC_STEP_ROLE[step]),
      });
      this.sync = new SyncStateMachine(this, 'Sync', { siteId, vpg: runtime, functions: this.syncSteps.functions });
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
    }
    if (recovers) {
      this.failbackSteps = new VpgStepFunctions(this, 'FailbackSteps', {
        ...flowProps,
        flow: 'failback',
        steps: FAILBACK_STEPS,
        roleOf: (step) => this.stepRoles.of(FAILBACK_STEP_ROLE[step]),
      });
      this.failback = new FailbackStateMachine(this, 'Failback', {
        siteId,
        vpg: runtime,
        recovery: recoveryRuntime(config, vpg),
        // a live failback's final sync: this stack's, or the protected side's by its name
        syncStateMachineArn: this.sync?.stateMachine.stateMachineArn ?? stateMachineArn(this, syncStateMachineName(siteId, vpg.name), peers.sync),
        functions: this.failbackSteps.functions,
      });
    }
    if (part === 'recovery') {
      this.journalSteps = new VpgStepFunctions(this, 'JournalSteps', {
        ...flowProps,
        flow: 'journal',
        steps: JOURNAL_STEPS,
        // Begin and Release touch only the lease; the compaction role is the one that may delete checkpoints and packs
        roleOf: () => this.stepRoles.of('compaction'),
      });
      this.journal = new JournalStateMachine(this, 'Journal', { siteId, vpg: runtime, functions: this.journalSteps.functions });
    }
    // RPO, failed-sync and failed-failback alarms of the state machines in this stack, notifying this region's alert
    // topic (docs/operations.md); the RPO alarm lives with the replica, so losing the protected region raises it.
    this.alarms = new VpgAlarms(this, 'Alarms', {
      siteId,
      vpg,
      config,
      stateMachine: this.sync?.stateMachine,
      failbackStateMachine: this.failback?.stateMachine,
      journalStateMachine: this.journal?.stateMachine,
      rpo: recovers,
      topic: site.alerts.topic,
    });
  }

  /** This VPG's sync step functions (protected side). */
  get stepFunctions(): SyncFunctions {
    if (!this.syncSteps) throw new Error(`stack ${this.stackName} holds no sync steps (the protected side does)`);
    return this.syncSteps.functions;
  }

  /** This VPG's failback step functions (recovery site). */
  get failbackFunctions(): Readonly<Record<FailbackStep, lambda.IFunction>> {
    if (!this.failbackSteps) throw new Error(`stack ${this.stackName} holds no failback steps (the recovery site does)`);
    return this.failbackSteps.functions;
  }
}
