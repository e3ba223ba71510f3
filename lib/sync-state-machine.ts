/**
 * One VPG's sync state machine: the flow of runtime/core/sync/contract.ts, with its state names and result paths,
 * in JSONPath (the offline cloud runs exactly this definition). Plus its log group and a failed-executions alarm.
 */
import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { lambdaTask } from './lambda-task';
import type { StateFields } from '../runtime/core/json-path';
import { vpgStateMachine } from './vpg-state-machine';
import { Construct } from 'constructs';
import {
  SYNC_STATE,
  syncPath,
  syncResult,
  zsatPath,
  zsatResult,
  type SyncInput,
  type SyncState,
  type SyncStep,
  type VpgRuntimeLiteral,
  type ZsatIterationState,
} from '../runtime/core/sync/contract';
import { syncExecutionTimeoutSeconds } from '../runtime/core/sync/history-budget';
import { syncStateMachineName } from '../runtime/core/resource-names';

export interface SyncStateMachineProps {
  /** The site id (part of the state machine's name). */
  readonly siteId: string;
  /** The VPG as the Init state embeds it; its maxZsats bounds the Map's concurrency. */
  readonly vpg: VpgRuntimeLiteral;
  /**
   * The VPG's sync step functions, one per SYNC_STEPS entry. Without `compact-journal` (a split site, whose journal
   * is compacted in the recovery site: lib/journal-state-machine.ts) the sync goes from Commit straight to Cleanup.
   */
  readonly functions: SyncFunctions;
  /**
   * Retention of the execution log group.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Longest one step may run before Step Functions gives up on it (a little above the Lambda timeout).
   * @default Duration.minutes(6)
   */
  readonly stepTimeout?: Duration;
}

/** The sync's step functions; `compact-journal` only where the sync compacts its own journal (a whole site). */
export type SyncFunctions = Readonly<Record<Exclude<SyncStep, 'compact-journal'>, lambda.IFunction> & Partial<Record<'compact-journal', lambda.IFunction>>>;

export class SyncStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: SyncStateMachineProps) {
    super(scope, id);
    const { functions, vpg } = props;
    const stepTimeout = props.stepTimeout ?? Duration.minutes(6);

    const step = (stateName: string, fn: Exclude<SyncStep, 'compact-journal'>, resultPath: string) =>
      lambdaTask(this, stateName, functions[fn], resultPath, stepTimeout);

    const init = new sfn.Pass(this, SYNC_STATE.init, {
      stateName: SYNC_STATE.init,
      parameters: {
        vpg,
        executionId: sfn.JsonPath.stringAt('$$.Execution.Id'),
        stateMachineArn: sfn.JsonPath.stringAt('$$.StateMachine.Id'),
        startedAt: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
        // The execution's input, whatever it is: a live failback's final sync carries its lease grant here.
        request: sfn.JsonPath.entirePayload,
      } satisfies StateFields<SyncInput>,
    });
    const begin = step(SYNC_STATE.begin, 'begin', syncResult('begin'));
    const skipped = new sfn.Succeed(this, SYNC_STATE.skipped, { stateName: SYNC_STATE.skipped, comment: 'Another sync of this VPG is running' });
    const createSnapshots = step(SYNC_STATE.createSnapshots, 'create-snapshots', syncResult('snapshots'));
    const waitSnapshots = new sfn.Wait(this, SYNC_STATE.waitSnapshots, {
      stateName: SYNC_STATE.waitSnapshots,
      time: sfn.WaitTime.secondsPath(syncPath('$.snapshots.waitSeconds')),
    });
    const checkSnapshots = step(SYNC_STATE.checkSnapshots, 'check-snapshots', syncResult('snapshots'));
    const plan = step(SYNC_STATE.plan, 'plan', syncResult('plan'));

    const spawnZsat = step(SYNC_STATE.spawnZsat, 'spawn-zsat', zsatResult('zsat'));
    const waitZsat = new sfn.Wait(this, SYNC_STATE.waitZsat, {
      stateName: SYNC_STATE.waitZsat,
      time: sfn.WaitTime.secondsPath(zsatPath('$.zsat.waitSeconds')),
    });
    const pollZsat = step(SYNC_STATE.pollZsat, 'poll-zsat', zsatResult('zsat'));
    const zsatRead = new sfn.Succeed(this, SYNC_STATE.zsatRead, { stateName: SYNC_STATE.zsatRead, outputPath: zsatResult('zsat') });
    const zsatDone = new sfn.Choice(this, SYNC_STATE.zsatDone, { stateName: SYNC_STATE.zsatDone })
      .when(sfn.Condition.booleanEquals(zsatPath('$.zsat.done'), true), zsatRead)
      // its share of this execution's history is spent: the iteration ends, HandOver continues the sync
      .when(sfn.Condition.and(sfn.Condition.isPresent(zsatPath('$.zsat.handOver')), sfn.Condition.booleanEquals(zsatPath('$.zsat.handOver'), true)), zsatRead)
      .otherwise(waitZsat);
    // In a continuation each zSAT arrives with the state the previous execution left (plan.zsats[].resume).
    const resumeZsat = new sfn.Pass(this, SYNC_STATE.resumeZsat, {
      stateName: SYNC_STATE.resumeZsat,
      inputPath: zsatPath('$.zsat.resume'),
      resultPath: zsatResult('zsat'),
    });
    const spawnOrResume = new sfn.Choice(this, SYNC_STATE.spawnOrResume, { stateName: SYNC_STATE.spawnOrResume })
      .when(sfn.Condition.isPresent(zsatPath('$.zsat.resume')), resumeZsat.next(zsatDone))
      .otherwise(spawnZsat.next(waitZsat).next(pollZsat).next(zsatDone));
    const runZsats = new sfn.Map(this, SYNC_STATE.runZsats, {
      stateName: SYNC_STATE.runZsats,
      itemsPath: syncPath('$.plan.zsats'),
      // Plan's agent.maxZsats lowered to what the vCPU quota holds (runtime/core/sync/vcpu-quota.ts); MaxConcurrencyPath:
      // https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html
      maxConcurrencyPath: syncPath('$.plan.zsatsAtOnce'),
      itemSelector: {
        vpg: sfn.JsonPath.objectAt(syncPath('$.vpg')),
        syncId: sfn.JsonPath.stringAt(syncPath('$.begin.syncId')),
        // Only for the steps' log lines: every line names its execution.
        executionId: sfn.JsonPath.stringAt(syncPath('$.executionId')),
        // Each iteration's steps prove the VPG's lease is still this execution's, with its token.
        lease: sfn.JsonPath.objectAt(syncPath('$.begin.lease')),
        zsat: sfn.JsonPath.objectAt('$$.Map.Item.Value'),
        volumes: sfn.JsonPath.listAt(syncPath('$.begin.volumes')),
        snapshots: sfn.JsonPath.objectAt(syncPath('$.snapshots.snapshots')),
      } satisfies StateFields<ZsatIterationState>,
      resultPath: syncResult('zsats'),
    });
    runZsats.itemProcessor(spawnOrResume);

    // A zSAT still reading: the sync continues as a new execution of this state machine (sync/continue.ts).
    const handOver = step(SYNC_STATE.handOver, 'continue-sync', syncResult('handover'));
    const continuedAsNew = new sfn.Succeed(this, SYNC_STATE.continuedAsNew, {
      stateName: SYNC_STATE.continuedAsNew,
      comment: 'The sync goes on in $.handover.executionArn',
    });
    // A continuation: the snapshots and plan it was handed into place; the request (as large as both) is dropped.
    const resume = new sfn.Pass(this, SYNC_STATE.resume, {
      stateName: SYNC_STATE.resume,
      parameters: {
        vpg: sfn.JsonPath.objectAt(syncPath('$.vpg')),
        executionId: sfn.JsonPath.stringAt(syncPath('$.executionId')),
        stateMachineArn: sfn.JsonPath.stringAt(syncPath('$.stateMachineArn')),
        startedAt: sfn.JsonPath.stringAt(syncPath('$.startedAt')),
        begin: sfn.JsonPath.objectAt(syncPath('$.begin')),
        snapshots: sfn.JsonPath.objectAt(syncPath('$.request.continuationOf.snapshots')),
        plan: sfn.JsonPath.objectAt(syncPath('$.request.continuationOf.plan')),
      } satisfies Partial<StateFields<SyncState>>,
    });

    const commit = step(SYNC_STATE.commit, 'commit', syncResult('commit'));
    const cleanup = step(SYNC_STATE.cleanup, 'cleanup', syncResult('cleanup'));
    const compactFn = functions['compact-journal'];
    const compactJournal = compactFn ? lambdaTask(this, SYNC_STATE.compactJournal, compactFn, syncResult('journal'), stepTimeout) : undefined;
    // The checkpoint is committed: a failed compaction is recorded in the output and the sync goes on to Cleanup.
    compactJournal?.addCatch(cleanup, { errors: ['States.ALL'], resultPath: syncResult('journalError') });
    const succeeded = new sfn.Succeed(this, SYNC_STATE.succeeded, { stateName: SYNC_STATE.succeeded });

    const failed = new sfn.Fail(this, SYNC_STATE.failed, {
      stateName: SYNC_STATE.failed,
      errorPath: syncPath('$.error.Error'),
      causePath: syncPath('$.error.Cause'),
    });
    const cleanupFailed = step(SYNC_STATE.cleanupFailed, 'cleanup-failed', syncResult('cleanupFailed'));
    // A failing cleanup must not hide the sync's own error: go on to fail with the original cause.
    cleanupFailed.addCatch(failed, { errors: ['States.ALL'], resultPath: syncResult('cleanupError') });
    cleanupFailed.next(failed);
    for (const state of [createSnapshots, checkSnapshots, plan, runZsats, handOver, commit, cleanup]) {
      state.addCatch(cleanupFailed, { errors: ['States.ALL'], resultPath: syncResult('error') });
    }

    runZsats
      .next(handOver)
      .next(
        new sfn.Choice(this, SYNC_STATE.handedOver, { stateName: SYNC_STATE.handedOver })
          .when(sfn.Condition.booleanEquals(syncPath('$.handover.continued'), true), continuedAsNew)
          .otherwise((compactJournal ? commit.next(compactJournal) : commit).next(cleanup).next(succeeded)),
      );
    const snapshotsReady = new sfn.Choice(this, SYNC_STATE.snapshotsReady, { stateName: SYNC_STATE.snapshotsReady })
      .when(sfn.Condition.booleanEquals(syncPath('$.snapshots.ready'), true), plan.next(runZsats))
      .otherwise(waitSnapshots);
    const definition = init.next(begin).next(
      new sfn.Choice(this, SYNC_STATE.syncOrSkip, { stateName: SYNC_STATE.syncOrSkip })
        .when(sfn.Condition.booleanEquals(syncPath('$.begin.skipped'), true), skipped)
        .when(sfn.Condition.isPresent(syncPath('$.begin.resumed')), resume.next(runZsats))
        .otherwise(createSnapshots.next(waitSnapshots).next(checkSnapshots).next(snapshotsReady)),
    );

    const machine = vpgStateMachine(this, {
      stateMachineName: syncStateMachineName(props.siteId, vpg.name),
      definition,
      functions: Object.values(functions),
      comment: `Lifeboat sync of VPG ${vpg.name} (site ${props.siteId})`,
      logRetention: props.logRetention,
      timeout: Duration.seconds(syncExecutionTimeoutSeconds(vpg, stepTimeout.toSeconds())),
    });
    this.stateMachine = machine.stateMachine;
    this.logGroup = machine.logGroup;
  }
}
