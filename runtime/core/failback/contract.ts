/**
 * The contract between the failback state machine (lib/failback-state-machine.ts) and its Lambda steps
 * (runtime/handlers/failback-*-handler.ts): state names, step names, the execution input and the payloads.
 *
 * Flow (JSONPath; every Lambda task retries throttling/5xx with backoff, like the sync's):
 *   Init (Pass: {vpg, recovery, syncStateMachineArn, executionId, stateMachineArn, startedAt, request: $})
 *   → Resolve ($.resolve)            validates the request; test and failover modes: resolves the checkpoint now
 *   → LiveOrTest? live: StopSources ($.stop) ⟲ WaitStopped; FinalSync ($.finalSync) ⟲ WaitFinalSync (test and failover go on to Prepare)
 *   → Prepare ($.prepare)            reads the checkpoint, groups its volumes into importers, writes ImportJobs
 *   → RunImporters (Map over $.prepare.importers, MaxConcurrency = importer.maxZsats):
 *        SpawnImporter ($.importer) → WaitImporter → PollImporter ($.importer) → ImporterDone? (loop) → ImporterWritten
 *   → SnapshotVolumes ($.snapshots) ⟲ WaitVolumeSnapshots   one snapshot per written volume, tagged
 *   → LaunchRecovered ($.launch) ⟲ WaitRecovered            one VM at a time, in boot order, until all run
 *   → Finish ($.result)              removes importers, their volumes, the snapshots, the working files
 *   → Recovered (Succeed, OutputPath $.result)
 * Any failure (Catch States.ALL, ResultPath $.error) → CleanupFailed ($.cleanupFailed) → FailbackFailed (Fail).
 */
// a namespace import lets esbuild drop what is unused (`import { z }` keeps all of zod, its 40 locales too: 454 KB minified against 85)
import * as z from 'zod';
import { IPV4_PATTERN, IPV4_RULE } from '../ipv4';
import { pathsIn, resultPathIn, type Payload } from '../json-path';
import type { caughtErrorSchema } from '../sync/schemas';
import { FAILBACK_MODES } from './schemas';
import type {
  cleanupFailedInputSchema,
  failbackInitSchema,
  finalSyncInputSchema,
  finishInputSchema,
  launchInputSchema,
  prepareInputSchema,
  snapshotVolumesInputSchema,
  spawnImporterInputSchema,
  stopSourcesInputSchema,
  failbackOutputSchema,
  finalSyncOutputSchema,
  importerAssignmentSchema,
  importerStateSchema,
  importVolumePlanSchema,
  launchOutputSchema,
  pollImporterInputSchema,
  prepareOutputSchema,
  recoveredInstanceSchema,
  recoveryRuntimeSchema,
  resolveOutputSchema,
  snapshotVolumesOutputSchema,
  stopOutputSchema,
} from './schemas';

export const FAILBACK_STATE = {
  init: 'Init',
  resolve: 'Resolve',
  liveOrTest: 'LiveOrTest',
  stopSources: 'StopSources',
  sourcesStopped: 'SourcesStopped',
  waitStopped: 'WaitStopped',
  finalSync: 'FinalSync',
  finalSyncDone: 'FinalSyncDone',
  waitFinalSync: 'WaitFinalSync',
  prepare: 'Prepare',
  runImporters: 'RunImporters',
  spawnImporter: 'SpawnImporter',
  waitImporter: 'WaitImporter',
  pollImporter: 'PollImporter',
  importerDone: 'ImporterDone',
  importerWritten: 'ImporterWritten',
  snapshotVolumes: 'SnapshotVolumes',
  snapshotsReady: 'VolumeSnapshotsReady',
  waitSnapshots: 'WaitVolumeSnapshots',
  launchRecovered: 'LaunchRecovered',
  recoveredRunning: 'RecoveredRunning',
  waitRecovered: 'WaitRecovered',
  finish: 'Finish',
  succeeded: 'Recovered',
  cleanupFailed: 'CleanupFailed',
  failed: 'FailbackFailed',
} as const;

/** One Lambda function per step, shared by every VPG of the site; `runtime/handlers/<step>-handler.ts` exports `handler`. */
export const FAILBACK_STEPS = [
  'failback-resolve',
  'failback-stop',
  'failback-final-sync',
  'failback-prepare',
  'failback-spawn',
  'failback-poll',
  'failback-snapshot',
  'failback-launch',
  'failback-finish',
  'failback-cleanup-failed',
] as const;
export type FailbackStep = (typeof FAILBACK_STEPS)[number];

/** The VPG's recovery plan and importer sizing, as the failback state machine embeds them (from the config). */
export type RecoveryRuntime = Payload<z.output<typeof recoveryRuntimeSchema>>;

/**
 * test: a DR drill (VMs tagged to expire, removed by `lifeboat failback-cleanup`); live: a planned migration (stop the
 * source, final sync, recover); failover: a disaster (no call to the protected side, a chosen checkpoint, VMs kept).
 */
export { FAILBACK_MODES };
export type FailbackMode = (typeof FAILBACK_MODES)[number];
/** A test VM is removed by `lifeboat failback-cleanup`; its expiry tag says when it may be considered stale. */
export const TEST_EXPIRY_HOURS = 24;
/** Instance type of a recovered VM when neither the target, the source nor the recovery plan gives one. */
export const DEFAULT_RECOVERED_INSTANCE_TYPE = 'm5.large';

const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;
const awsId = (prefix: string, example: string) =>
  z
    .string({ error: `must be a ${prefix} id such as "${example}"` })
    .regex(new RegExp(`^${prefix}-[0-9a-f]{8,17}$`), { error: `must be a ${prefix} id such as "${example}"` });

export const failbackTargetSchema = z.strictObject(
  {
    subnetId: awsId('subnet', 'subnet-0123456789abcdef0').optional(),
    securityGroupIds: z.array(awsId('sg', 'sg-0123456789abcdef0'), { error: 'must be an array of security group ids' }).optional(),
    instanceType: z
      .string({ error: 'must be an EC2 instance type such as "c6i.large"' })
      .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, { error: 'must be an EC2 instance type such as "c6i.large"' })
      .optional(),
    privateIps: z
      .record(
        z.string().regex(INSTANCE_ID, { error: 'must be a source instance id such as "i-0123456789abcdef0"' }),
        z.string({ error: 'must be an IPv4 address' }).regex(IPV4_PATTERN, { error: `must be ${IPV4_RULE}` }),
        { error: 'must be an object of source instance id → IPv4 address' },
      )
      .optional(),
  },
  { error: 'must be an object with optional subnetId, securityGroupIds, instanceType, privateIps' },
);

/** The execution input, as people type it in the console or the CLI sends it. */
export const failbackRequestSchema = z.strictObject(
  {
    checkpoint: z
      .string({ error: 'must be "latest", a checkpoint id (cp-…) or an ISO time' })
      .min(1, { error: 'must be "latest", a checkpoint id (cp-…) or an ISO time' })
      .default('latest'),
    mode: z
      .enum(FAILBACK_MODES, {
        error:
          'must be "test" (a DR drill, source untouched), "live" (stop the source, final sync, recover) or "failover" (a disaster: the protected side is not touched, the VMs are kept)',
      })
      .default('test'),
    target: failbackTargetSchema.optional(),
  },
  { error: 'must be a JSON object: {"checkpoint": "latest", "mode": "test", "target": {…}}' },
);
export type FailbackRequest = z.output<typeof failbackRequestSchema>;
export type FailbackTarget = z.output<typeof failbackTargetSchema>;

export type FailbackInit = Payload<z.output<typeof failbackInitSchema>>;
export type ResolveOutput = Payload<z.output<typeof resolveOutputSchema>>;
export type StopOutput = Payload<z.output<typeof stopOutputSchema>>;
export type FinalSyncOutput = Payload<z.output<typeof finalSyncOutputSchema>>;
export type ImportVolumePlan = Payload<z.output<typeof importVolumePlanSchema>>;
export type ImporterAssignment = Payload<z.output<typeof importerAssignmentSchema>>;
export type PrepareOutput = Payload<z.output<typeof prepareOutputSchema>>;
export type ImporterState = Payload<z.output<typeof importerStateSchema>>;
export type SnapshotVolumesOutput = Payload<z.output<typeof snapshotVolumesOutputSchema>>;
export type RecoveredInstance = Payload<z.output<typeof recoveredInstanceSchema>>;
export type LaunchOutput = Payload<z.output<typeof launchOutputSchema>>;
/** The execution's output (Recovered: OutputPath $.result). */
export type FailbackOutput = Payload<z.output<typeof failbackOutputSchema>>;
type CaughtError = Payload<z.output<typeof caughtErrorSchema>>;

/** The failback's state as it grows: the Init fields, then each step's result under its key (a task's ResultPath). */
export interface FailbackState extends FailbackInit {
  readonly resolve?: ResolveOutput;
  readonly stop?: StopOutput;
  readonly finalSync?: FinalSyncOutput;
  readonly prepare?: PrepareOutput;
  /** RunImporters' result: the final state of every importer's iteration. */
  readonly importers?: readonly ImporterState[];
  readonly snapshots?: SnapshotVolumesOutput;
  readonly launch?: LaunchOutput;
  readonly result?: FailbackOutput;
  readonly error?: CaughtError;
  readonly cleanupFailed?: unknown;
  readonly cleanupError?: CaughtError;
}

/** The state inside one RunImporters iteration: the Map's ItemSelector, then the importer's state under `importer`. */
export type ImporterIterationState = Omit<z.output<typeof pollImporterInputSchema>, 'importer'> & {
  readonly importer: ImporterAssignment & ImporterState;
};

/** Each step's input, as its schema parses it. */
export type StopSourcesInput = Payload<z.output<typeof stopSourcesInputSchema>>;
export type FinalSyncInput = Payload<z.output<typeof finalSyncInputSchema>>;
export type PrepareInput = Payload<z.output<typeof prepareInputSchema>>;
export type SnapshotVolumesInput = Payload<z.output<typeof snapshotVolumesInputSchema>>;
export type LaunchInput = Payload<z.output<typeof launchInputSchema>>;
export type FinishInput = Payload<z.output<typeof finishInputSchema>>;
/** One RunImporters iteration's steps. */
export type SpawnImporterInput = Payload<z.output<typeof spawnImporterInputSchema>>;
export type PollImporterInput = Payload<z.output<typeof pollImporterInputSchema>>;
/** After any failure: whatever of the state exists, plus the Catch's error ($.error). */
export type FailbackCleanupInput = Payload<z.output<typeof cleanupFailedInputSchema>>;

/** Paths into the failback's state, checked against FailbackState: `failbackPath('$.prepare.importers')`. */
export const failbackPath = pathsIn<FailbackState>();
/** Paths inside a RunImporters iteration. */
export const importerPath = pathsIn<ImporterIterationState>();
/** A task's ResultPath in the failback's state: `failbackResult('prepare')` is `'$.prepare'`. */
export const failbackResult = resultPathIn<FailbackState>();
export const importerResult = resultPathIn<ImporterIterationState>();
