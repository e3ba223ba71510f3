/**
 * The contract between the sync state machine (lib/, CDK) and its Lambda steps (runtime/handlers/).
 * State names, payload paths and payload types live here once, so the construct and the handlers cannot drift.
 *
 * Flow (JSONPath state machine; every Lambda task retries throttling/5xx/Lambda errors with backoff):
 *   Init (Pass: {vpg: <VpgRuntime literal>, executionId: $$.Execution.Id, stateMachineArn: $$.StateMachine.Id, startedAt: $$.Execution.StartTime})
 *   → Begin            ($.begin)       skipped? → Skipped (Succeed)
 *   → CreateSnapshots  ($.snapshots)
 *   → WaitSnapshots (Wait, SecondsPath $.snapshots.waitSeconds) → CheckSnapshots ($.snapshots) → SnapshotsReady? (loop)
 *   → Plan             ($.plan)        writes BlockPlans + AgentJobs to the store; groups volumes into zSATs
 *   → RunZsats (Map over $.plan.zsats, MaxConcurrencyPath $.plan.zsatsAtOnce, ItemSelector adds vpg/syncId):
 *        SpawnOrResume? → SpawnZsat ($.zsat), or ResumeZsat (Pass: $.zsat.resume → $.zsat) in a continuation
 *        → WaitZsat (Wait, SecondsPath $.zsat.waitSeconds) → PollZsat ($.zsat) → ZsatDone? (done or handOver: end; else loop)
 *   → HandOver         ($.handover)    a zSAT still reading: start the continuation, hand it the lease → ContinuedAsNew (Succeed)
 *   → Commit           ($.commit)      merges AgentResults into the checkpoint manifest, written last
 *   → CompactJournal   ($.journal)     drops checkpoints past journalHours; a failure is caught ($.journalError), never fails the sync
 *   → Cleanup          ($.cleanup)     previous generation's snapshots, every zSAT instance/volume of this VPG
 *   → Succeeded
 * Any failure after Begin (Catch States.ALL, ResultPath $.error) → CleanupFailed → Fail (cause from $.error.Cause).
 * A continuation (input ContinuationRequest, runtime/core/sync/continue.ts): Init → Begin (adopts the handed-over
 * lease and the carried state, $.begin.resumed) → Resume (Pass: $.snapshots and $.plan from the request) → RunZsats …
 */
import type * as z from 'zod';
import { pathsIn, resultPathIn, type Payload } from '../json-path';
import type {
  beginOutputSchema,
  caughtErrorSchema,
  cleanupFailedInputSchema,
  cleanupInputSchema,
  commitInputSchema,
  createSnapshotsInputSchema,
  handOverInputSchema,
  planInputSchema,
  pollZsatInputSchema,
  cleanupOutputSchema,
  commitOutputSchema,
  continuationRequestSchema,
  departedSourceSchema,
  finalSyncRequestSchema,
  handOverOutputSchema,
  planOutputSchema,
  protectedVolumeSchema,
  snapshotsOutputSchema,
  spawnZsatInputSchema,
  syncInputSchema,
  syncLeaseSchema,
  vpgRuntimeSchema,
  zsatAssignmentSchema,
  zsatStateSchema,
} from './schemas';

export const SYNC_STATE = {
  init: 'Init',
  begin: 'Begin',
  skipped: 'Skipped',
  /** Choice after Begin: $.begin.skipped → Skipped, else CreateSnapshots. */
  syncOrSkip: 'SyncOrSkip',
  createSnapshots: 'CreateSnapshots',
  waitSnapshots: 'WaitSnapshots',
  checkSnapshots: 'CheckSnapshots',
  snapshotsReady: 'SnapshotsReady',
  plan: 'Plan',
  runZsats: 'RunZsats',
  spawnZsat: 'SpawnZsat',
  waitZsat: 'WaitZsat',
  pollZsat: 'PollZsat',
  zsatDone: 'ZsatDone',
  /** First state of a Map iteration: a zSAT the previous execution launched resumes polling (ResumeZsat), any other is spawned. */
  spawnOrResume: 'SpawnOrResume',
  resumeZsat: 'ResumeZsat',
  /** After Begin in a continuation: the carried snapshots and plan into place (Pass). */
  resume: 'Resume',
  /** After RunZsats: a zSAT still reading → the sync continues in a new execution (sync/continue.ts). */
  handOver: 'HandOver',
  handedOver: 'HandedOver',
  continuedAsNew: 'ContinuedAsNew',
  /** End of one Map iteration (Succeed, OutputPath $.zsat): the Map's result ($.zsats) is the list of final ZsatStates. */
  zsatRead: 'ZsatRead',
  commit: 'Commit',
  /** After Commit, before Cleanup: journal retention (runtime/core/sync/compact-journal.ts). */
  compactJournal: 'CompactJournal',
  cleanup: 'Cleanup',
  cleanupFailed: 'CleanupFailed',
  failed: 'SyncFailed',
  succeeded: 'Synced',
} as const;

/** One Lambda function per step, shared by every VPG of the site; `runtime/handlers/<step>-handler.ts` exports `handler`. */
export const SYNC_STEPS = [
  'begin',
  'create-snapshots',
  'check-snapshots',
  'plan',
  'spawn-zsat',
  'poll-zsat',
  'continue-sync',
  'commit',
  'compact-journal',
  'cleanup',
  'cleanup-failed',
] as const;
export type SyncStep = (typeof SYNC_STEPS)[number];

/** The VPG as a step reads it (defaults applied); what the construct embeds is VpgRuntimeLiteral. */
export type VpgRuntime = Payload<z.output<typeof vpgRuntimeSchema>>;
/** The VPG as the Init state embeds it (lib/config.ts vpgRuntime): keys with a default may be left out. */
export type VpgRuntimeLiteral = z.input<typeof vpgRuntimeSchema>;
export type SyncInput = Payload<z.output<typeof syncInputSchema>>;
export type FinalSyncRequest = Payload<z.output<typeof finalSyncRequestSchema>>;
export type SyncLease = Payload<z.output<typeof syncLeaseSchema>>;
export type DepartedSource = Payload<z.output<typeof departedSourceSchema>>;
export type ProtectedVolume = Payload<z.output<typeof protectedVolumeSchema>>;
export type BeginOutput = Payload<z.output<typeof beginOutputSchema>>;
export type SnapshotsOutput = Payload<z.output<typeof snapshotsOutputSchema>>;
export type ZsatAssignment = Payload<z.output<typeof zsatAssignmentSchema>>;
export type PlanOutput = Payload<z.output<typeof planOutputSchema>>;
export type ZsatState = Payload<z.output<typeof zsatStateSchema>>;
export type ContinuationRequest = Payload<z.output<typeof continuationRequestSchema>>;
export type HandOverOutput = Payload<z.output<typeof handOverOutputSchema>>;
export type CommitOutput = Payload<z.output<typeof commitOutputSchema>>;
export type CleanupOutput = Payload<z.output<typeof cleanupOutputSchema>>;
type CaughtError = Payload<z.output<typeof caughtErrorSchema>>;

/**
 * The execution's state as it grows, state by state: the Init fields, then each step's result under its key (a
 * task's ResultPath). The execution input (`request`) is a continuation's or a live failback's grant.
 */
export interface SyncState extends Omit<SyncInput, 'request'> {
  readonly request?: Partial<ContinuationRequest & FinalSyncRequest>;
  readonly begin?: BeginOutput;
  readonly snapshots?: SnapshotsOutput;
  readonly plan?: PlanOutput;
  /** RunZsats' result: the final state of every zSAT's iteration. */
  readonly zsats?: readonly ZsatState[];
  readonly handover?: HandOverOutput;
  readonly commit?: CommitOutput;
  /** CompactJournal's result, or its caught error (the sync goes on: the checkpoint is committed). */
  readonly journal?: unknown;
  readonly journalError?: CaughtError;
  readonly cleanup?: CleanupOutput;
  /** Any failure after Begin (Catch States.ALL). */
  readonly error?: CaughtError;
  readonly cleanupFailed?: unknown;
  readonly cleanupError?: CaughtError;
}

/** The state inside one RunZsats iteration: the Map's ItemSelector, then the zSAT's state under `zsat`. */
export type ZsatIterationState = Omit<z.output<typeof spawnZsatInputSchema>, 'zsat'> & {
  readonly zsat: ZsatAssignment & ZsatState;
  readonly snapshots?: Readonly<Record<string, string>>;
};

/** Paths into the sync's state, checked against SyncState: `syncPath('$.plan.zsats')`. */
export const syncPath = pathsIn<SyncState>();
/** Paths inside a RunZsats iteration: `zsatPath('$.zsat.waitSeconds')`. */
export const zsatPath = pathsIn<ZsatIterationState>();
/** A task's ResultPath in the sync's state: `syncResult('plan')` is `'$.plan'`. */
export const syncResult = resultPathIn<SyncState>();
/** A task's ResultPath inside a RunZsats iteration. */
export const zsatResult = resultPathIn<ZsatIterationState>();

/** Each step's input, as its schema parses it (the whole state: LambdaInvoke's default payload). */
export type SnapshotStepInput = Payload<z.output<typeof createSnapshotsInputSchema>>;
export type PlanStepInput = Payload<z.output<typeof planInputSchema>>;
export type CommitStepInput = Payload<z.output<typeof commitInputSchema>>;
export type CleanupStepInput = Payload<z.output<typeof cleanupInputSchema>>;
/** HandOver: the state after RunZsats (the Map's result in $.zsats). */
export type HandOverInput = Payload<z.output<typeof handOverInputSchema>>;
/** One RunZsats iteration's steps. */
export type SpawnZsatInput = Payload<z.output<typeof spawnZsatInputSchema>>;
export type PollZsatInput = Payload<z.output<typeof pollZsatInputSchema>>;
/** After any failure: whatever of the state exists, plus the Catch's error ($.error). */
export type CleanupFailedInput = Payload<z.output<typeof cleanupFailedInputSchema>>;

/** The execution's output, as `lifeboat sync` and the demo read it (a Succeed state passes the whole state). */
export type SyncExecutionOutput = SyncState;
