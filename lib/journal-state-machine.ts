/**
 * One VPG's journal state machine, in a split site's recovery site (lib/site-placement.ts): it compacts the journal
 * there, under the VPG's lease, so that no role of the protected side ever needs to delete a checkpoint or a pack
 * (the replica bucket denies the protected path every such delete: lib/replica-bucket-guard.ts). The flow is
 * runtime/core/journal/contract.ts; like the others it is JSONPath, logs errors to its own log group and has a
 * TimeoutSeconds. A whole site compacts in its sync instead (lib/sync-state-machine.ts, CompactJournal).
 */
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { lambdaTask } from './lambda-task';
import { vpgStateMachine } from './vpg-state-machine';
import type { StateFields } from '../runtime/core/json-path';
import { JOURNAL_STATE, journalPath, journalResult, type JournalInput, type JournalStep } from '../runtime/core/journal/contract';
import { journalExecutionTimeoutSeconds } from '../runtime/core/journal/journal-run';
import type { VpgRuntimeLiteral } from '../runtime/core/sync/contract';
import { journalStateMachineName } from '../runtime/core/resource-names';

export interface JournalStateMachineProps {
  /** The site id (part of the state machine's name). */
  readonly siteId: string;
  /** The VPG as the Init state embeds it (its journalHours and pollSeconds are what the steps use). */
  readonly vpg: VpgRuntimeLiteral;
  /** The journal step functions, one per JOURNAL_STEPS entry. */
  readonly functions: Readonly<Record<JournalStep, lambda.IFunction>>;
  /**
   * How often a run starts. Hourly: retention is set in hours (journalHours ≥ 1), so a checkpoint outlives its
   * journal by at most an hour, and a run holds the lease for seconds to minutes an hour, so a sync that starts
   * meanwhile skips one interval only rarely (a sync per interval would multiply those collisions for nothing).
   * @default Duration.hours(1)
   */
  readonly every?: Duration;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Longest one step may run before Step Functions gives up on it (a little above the Lambda timeout).
   * @default Duration.minutes(6)
   */
  readonly stepTimeout?: Duration;
}

export class JournalStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: JournalStateMachineProps) {
    super(scope, id);
    const { functions, vpg } = props;
    const stepTimeout = props.stepTimeout ?? Duration.minutes(6);
    const step = (stateName: string, fn: JournalStep, resultPath: string) => lambdaTask(this, stateName, functions[fn], resultPath, stepTimeout);

    const init = new sfn.Pass(this, JOURNAL_STATE.init, {
      stateName: JOURNAL_STATE.init,
      parameters: {
        vpg,
        executionId: sfn.JsonPath.stringAt('$$.Execution.Id'),
        stateMachineArn: sfn.JsonPath.stringAt('$$.StateMachine.Id'),
        startedAt: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
      } satisfies StateFields<JournalInput>,
    });
    const begin = step(JOURNAL_STATE.begin, 'journal-begin', journalResult('begin'));
    const skipped = new sfn.Succeed(this, JOURNAL_STATE.skipped, {
      stateName: JOURNAL_STATE.skipped,
      comment: 'The VPG lease is held by a sync, a live failback or another journal run: the next run compacts ($.begin.reason)',
    });
    const compact = step(JOURNAL_STATE.compact, 'journal-compact', journalResult('journal'));
    const release = step(JOURNAL_STATE.release, 'journal-release', journalResult('release'));
    const succeeded = new sfn.Succeed(this, JOURNAL_STATE.succeeded, { stateName: JOURNAL_STATE.succeeded });
    const failed = new sfn.Fail(this, JOURNAL_STATE.failed, {
      stateName: JOURNAL_STATE.failed,
      errorPath: journalPath('$.error.Error'),
      causePath: journalPath('$.error.Cause'),
    });
    // compaction is crash-safe (its marker): a failed run frees the lease at once and the next run finishes the work
    const releaseAfterFailure = step(JOURNAL_STATE.releaseAfterFailure, 'journal-release', journalResult('release'));
    // a failing release must not hide the compaction's own error: the lease then expires by its horizon
    releaseAfterFailure.addCatch(failed, { errors: ['States.ALL'], resultPath: journalResult('release') });
    compact.addCatch(releaseAfterFailure, { errors: ['States.ALL'], resultPath: journalResult('error') });

    const definition = init
      .next(begin)
      .next(
        new sfn.Choice(this, JOURNAL_STATE.compactOrSkip, { stateName: JOURNAL_STATE.compactOrSkip })
          .when(sfn.Condition.booleanEquals(journalPath('$.begin.skipped'), true), skipped)
          .otherwise(compact.next(release).next(succeeded)),
      );
    releaseAfterFailure.next(failed);

    const machine = vpgStateMachine(this, {
      stateMachineName: journalStateMachineName(props.siteId, vpg.name),
      definition,
      functions: Object.values(functions),
      comment: `Lifeboat journal compaction of VPG ${vpg.name} (site ${props.siteId}), in the recovery site`,
      logRetention: props.logRetention,
      timeout: Duration.seconds(journalExecutionTimeoutSeconds(stepTimeout.toSeconds())),
    });
    this.stateMachine = machine.stateMachine;
    this.logGroup = machine.logGroup;
    const every = props.every ?? Duration.hours(1);
    this.schedule = new events.Rule(this, 'Schedule', {
      description: `Compact the journal of VPG ${vpg.name} every ${every.toHumanString()}`,
      schedule: events.Schedule.rate(every),
      targets: [
        new targets.SfnStateMachine(this.stateMachine, {
          input: events.RuleTargetInput.fromObject({}),
          retryAttempts: 2,
          // a missed run is caught up by the next one: no point starting one an hour late
          maxEventAge: Duration.minutes(30),
        }),
      ],
    });
  }
}
