/**
 * One VPG's failback state machine (runtime/core/failback/contract.ts describes the flow), in JSONPath so the
 * offline cloud runs exactly this definition. Plus its log group and a failed-executions alarm.
 */
import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  FAILBACK_STATE as S,
  failbackPath,
  failbackResult,
  importerPath,
  importerResult,
  type FailbackInit,
  type FailbackStep,
  type ImporterIterationState,
  type RecoveryRuntime,
} from '../runtime/core/failback/contract';
import { type VpgRuntimeLiteral } from '../runtime/core/sync/contract';
import type { SiteConfig, VpgConfig } from './config';
import { failbackExecutionTimeoutSeconds } from '../runtime/core/sync/history-budget';
import { lambdaTask } from './lambda-task';
import type { StateFields } from '../runtime/core/json-path';
import { vpgStateMachine } from './vpg-state-machine';
import { failbackStateMachineName } from '../runtime/core/resource-names';

/** The recovery plan of a VPG and the site's importer sizing, as the failback's Init state embeds them. */
export function recoveryRuntime(site: SiteConfig, vpg: VpgConfig): RecoveryRuntime {
  const r = vpg.recovery;
  return {
    ...(r.subnetId ? { subnetId: r.subnetId } : {}),
    ...(r.securityGroupIds ? { securityGroupIds: [...r.securityGroupIds] } : {}),
    ...(r.instanceType ? { instanceType: r.instanceType } : {}),
    ...(r.privateIps ? { privateIps: { ...r.privateIps } } : {}),
    ...(r.bootOrder ? { bootOrder: [...r.bootOrder] } : {}),
    maxImporters: site.importer.maxZsats,
    volumesPerImporter: site.importer.volumesPerZsat,
  };
}

export interface FailbackStateMachineProps {
  readonly siteId: string;
  /** The VPG as the Init state embeds it. */
  readonly vpg: VpgRuntimeLiteral;
  /** Its recovery plan and importer sizing; maxImporters bounds the Map's concurrency. */
  readonly recovery: RecoveryRuntime;
  /** The VPG's sync state machine (live mode runs a final sync). */
  readonly syncStateMachineArn: string;
  /** The site's failback step functions. */
  readonly functions: Readonly<Record<FailbackStep, lambda.IFunction>>;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /** @default Duration.minutes(6) */
  readonly stepTimeout?: Duration;
}

/** Drops undefined fields: a Pass state's parameters are literal JSON. */
function literal<T extends object>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export class FailbackStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: FailbackStateMachineProps) {
    super(scope, id);
    const { functions, vpg, recovery } = props;
    const stepTimeout = props.stepTimeout ?? Duration.minutes(6);
    const step = (stateName: string, fn: FailbackStep, resultPath: string) => lambdaTask(this, stateName, functions[fn], resultPath, stepTimeout);
    const wait = (stateName: string, secondsPath: string) => new sfn.Wait(this, stateName, { stateName, time: sfn.WaitTime.secondsPath(secondsPath) });
    const choice = (stateName: string) => new sfn.Choice(this, stateName, { stateName });
    const isTrue = (path: string) => sfn.Condition.booleanEquals(path, true);

    const init = new sfn.Pass(this, S.init, {
      stateName: S.init,
      parameters: {
        vpg,
        recovery: literal(recovery),
        syncStateMachineArn: props.syncStateMachineArn,
        executionId: sfn.JsonPath.stringAt('$$.Execution.Id'),
        stateMachineArn: sfn.JsonPath.stringAt('$$.StateMachine.Id'),
        startedAt: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
        request: sfn.JsonPath.entirePayload,
      } satisfies StateFields<FailbackInit>,
    });
    const resolve = step(S.resolve, 'failback-resolve', failbackResult('resolve'));

    // live mode: stop the sources, then one more sync
    const stop = step(S.stopSources, 'failback-stop', failbackResult('stop'));
    const waitStopped = wait(S.waitStopped, failbackPath('$.stop.waitSeconds'));
    const finalSync = step(S.finalSync, 'failback-final-sync', failbackResult('finalSync'));
    const waitFinalSync = wait(S.waitFinalSync, failbackPath('$.finalSync.waitSeconds'));

    const prepare = step(S.prepare, 'failback-prepare', failbackResult('prepare'));
    const spawn = step(S.spawnImporter, 'failback-spawn', importerResult('importer'));
    const waitImporter = wait(S.waitImporter, importerPath('$.importer.waitSeconds'));
    const poll = step(S.pollImporter, 'failback-poll', importerResult('importer'));
    const written = new sfn.Succeed(this, S.importerWritten, { stateName: S.importerWritten, outputPath: importerResult('importer') });
    const runImporters = new sfn.Map(this, S.runImporters, {
      stateName: S.runImporters,
      itemsPath: failbackPath('$.prepare.importers'),
      maxConcurrency: recovery.maxImporters,
      itemSelector: {
        vpg: sfn.JsonPath.objectAt(failbackPath('$.vpg')),
        // live mode: each iteration's steps prove the VPG's lease is still this execution's
        executionId: sfn.JsonPath.stringAt(failbackPath('$.executionId')),
        mode: sfn.JsonPath.stringAt(failbackPath('$.resolve.mode')),
        importId: sfn.JsonPath.stringAt(failbackPath('$.resolve.importId')),
        checkpointId: sfn.JsonPath.stringAt(failbackPath('$.prepare.checkpointId')),
        availabilityZone: sfn.JsonPath.stringAt(failbackPath('$.prepare.availabilityZone')),
        importer: sfn.JsonPath.objectAt('$$.Map.Item.Value'),
        // the importers share one history: each one's poll budget is its share (history-budget.ts)
        importerCount: sfn.JsonPath.arrayLength(sfn.JsonPath.listAt(failbackPath('$.prepare.importers'))),
      } satisfies StateFields<ImporterIterationState>,
      resultPath: failbackResult('importers'),
    });
    runImporters.itemProcessor(
      spawn
        .next(waitImporter)
        .next(poll)
        .next(
          choice(S.importerDone)
            .when(isTrue(importerPath('$.importer.done')), written)
            .otherwise(waitImporter),
        ),
    );

    const snapshot = step(S.snapshotVolumes, 'failback-snapshot', failbackResult('snapshots'));
    const waitSnapshots = wait(S.waitSnapshots, failbackPath('$.snapshots.waitSeconds'));
    const launch = step(S.launchRecovered, 'failback-launch', failbackResult('launch'));
    const waitRecovered = wait(S.waitRecovered, failbackPath('$.launch.waitSeconds'));
    const finish = step(S.finish, 'failback-finish', failbackResult('result'));
    const succeeded = new sfn.Succeed(this, S.succeeded, { stateName: S.succeeded, outputPath: failbackResult('result') });

    const failed = new sfn.Fail(this, S.failed, { stateName: S.failed, errorPath: failbackPath('$.error.Error'), causePath: failbackPath('$.error.Cause') });
    const cleanupFailed = step(S.cleanupFailed, 'failback-cleanup-failed', failbackResult('cleanupFailed'));
    // a failing cleanup must not hide the failback's own error
    cleanupFailed.addCatch(failed, { errors: ['States.ALL'], resultPath: failbackResult('cleanupError') });
    cleanupFailed.next(failed);
    for (const state of [resolve, stop, finalSync, prepare, runImporters, snapshot, launch, finish]) {
      state.addCatch(cleanupFailed, { errors: ['States.ALL'], resultPath: failbackResult('error') });
    }

    waitStopped.next(stop);
    stop.next(
      choice(S.sourcesStopped)
        .when(isTrue(failbackPath('$.stop.stopped')), finalSync)
        .otherwise(waitStopped),
    );
    waitFinalSync.next(finalSync);
    finalSync.next(
      choice(S.finalSyncDone)
        .when(isTrue(failbackPath('$.finalSync.done')), prepare)
        .otherwise(waitFinalSync),
    );
    waitSnapshots.next(snapshot);
    waitRecovered.next(launch);
    prepare
      .next(runImporters)
      .next(snapshot)
      .next(
        choice(S.snapshotsReady)
          .when(isTrue(failbackPath('$.snapshots.ready')), launch)
          .otherwise(waitSnapshots),
      );
    launch.next(
      choice(S.recoveredRunning)
        .when(isTrue(failbackPath('$.launch.done')), finish.next(succeeded))
        .otherwise(waitRecovered),
    );
    // live stops the sources and syncs once more first; test and failover (no call to the protected side) go straight to Prepare
    const definition = init.next(resolve).next(
      choice(S.liveOrTest)
        .when(sfn.Condition.stringEquals(failbackPath('$.resolve.mode'), 'live'), stop)
        .otherwise(prepare),
    );

    const machine = vpgStateMachine(this, {
      stateMachineName: failbackStateMachineName(props.siteId, vpg.name),
      definition,
      functions: Object.values(functions),
      comment: `Lifeboat failback / recovery of VPG ${vpg.name} (site ${props.siteId})`,
      logRetention: props.logRetention,
      timeout: Duration.seconds(failbackExecutionTimeoutSeconds(vpg, stepTimeout.toSeconds())),
    });
    this.stateMachine = machine.stateMachine;
    this.logGroup = machine.logGroup;
  }
}
