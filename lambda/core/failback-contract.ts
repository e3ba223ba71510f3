/**
 * The contract between the failback state machine (lib/failback-state-machine.ts) and its Lambda steps
 * (lambda/steps/failback-*-handler.ts): state names, step names, the execution input and the payloads.
 *
 * Flow (JSONPath; every Lambda task retries throttling/5xx with backoff, like the sync's):
 *   Init (Pass: {vpg, recovery, syncStateMachineArn, executionId, stateMachineArn, startedAt, request: $})
 *   → Resolve ($.resolve)            validates the request; test mode: resolves the checkpoint now
 *   → LiveOrTest? live: StopSources ($.stop) ⟲ WaitStopped; FinalSync ($.finalSync) ⟲ WaitFinalSync
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
import { IPV4_PATTERN, IPV4_RULE } from './ipv4';
import type { VpgRuntime } from './sync-contract';

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

/** One Lambda function per step, shared by every VPG of the site; `lambda/steps/<step>-handler.ts` exports `handler`. */
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
  'failback-cleanup',
] as const;
export type FailbackStep = (typeof FAILBACK_STEPS)[number];

/** The VPG's recovery plan and importer sizing, as the failback state machine embeds them (from the config). */
export interface RecoveryRuntime {
  readonly subnetId?: string;
  readonly securityGroupIds?: readonly string[];
  readonly instanceType?: string;
  readonly privateIps?: Readonly<Record<string, string>>;
  readonly bootOrder?: readonly string[];
  /** Importers at once (config importer.maxZsats). */
  readonly maxImporters: number;
  /** Volumes written by one importer (config importer.volumesPerZsat). */
  readonly volumesPerImporter: number;
}

export type FailbackMode = 'test' | 'live';
export const FAILBACK_MODES: readonly FailbackMode[] = ['test', 'live'];
/** A test VM is removed by `lifeboat failback-cleanup`; its expiry tag says when it may be considered stale. */
export const TEST_EXPIRY_HOURS = 24;
/** Instance type of a recovered VM when neither the target, the source nor the recovery plan gives one. */
export const DEFAULT_RECOVERED_INSTANCE_TYPE = 'm5.large';

const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;
const awsId = (prefix: string, example: string) =>
  z.string({ error: `must be a ${prefix} id such as "${example}"` }).regex(new RegExp(`^${prefix}-[0-9a-f]{8,17}$`), { error: `must be a ${prefix} id such as "${example}"` });

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
    checkpoint: z.string({ error: 'must be "latest", a checkpoint id (cp-…) or an ISO time' }).min(1, { error: 'must be "latest", a checkpoint id (cp-…) or an ISO time' }).default('latest'),
    mode: z.enum(['test', 'live'], { error: 'must be "test" (a DR drill, source untouched) or "live" (stop the source, final sync, recover)' }).default('test'),
    target: failbackTargetSchema.optional(),
  },
  { error: 'must be a JSON object: {"checkpoint": "latest", "mode": "test", "target": {…}}' },
);
export type FailbackRequest = z.output<typeof failbackRequestSchema>;
export type FailbackTarget = z.output<typeof failbackTargetSchema>;

/** What the Init state puts in front of every step. */
export interface FailbackInit {
  readonly vpg: VpgRuntime;
  readonly recovery: RecoveryRuntime;
  readonly syncStateMachineArn: string;
  readonly executionId: string;
  readonly stateMachineArn: string;
  readonly startedAt: string;
  readonly request: unknown;
}

export interface ResolveOutput {
  readonly mode: FailbackMode;
  /** Resolved in test mode; null in live mode until the final sync committed. */
  readonly checkpointId: string | null;
  /** The recovery network mapping with the request's overrides applied. */
  readonly target: FailbackTarget;
  /** Short id of this execution: the `imports/<importId>/` folder and the client tokens. */
  readonly importId: string;
}

export interface StopOutput {
  readonly instanceIds: readonly string[];
  readonly stopped: boolean;
  readonly waitSeconds: number;
  /** The VPG's lease this live failback holds (taken before anything is stopped); absent while it waits for it. */
  readonly lease?: { readonly token: number };
  /** Why nothing was stopped yet: the lease is held by a sync, which the failback waits for. */
  readonly waitingFor?: string;
}

export interface FinalSyncOutput {
  readonly executionArn: string | null;
  readonly done: boolean;
  readonly waitSeconds: number;
  readonly checkpointId: string | null;
  /** Syncs started by this step (a start that found another sync running waits, then starts again). */
  readonly attempts: number;
}

export interface ImportVolumePlan {
  readonly sourceVolumeId: string;
  readonly sourceInstanceId: string;
  readonly device: string;
  readonly sizeBytes: number;
  /** The protected volume's KMS key at the checkpoint: the recovered volume is encrypted under it. */
  readonly kmsKeyId?: string;
}

export interface ImporterAssignment {
  readonly index: number;
  readonly jobKey: string;
  readonly sourceVolumeIds: readonly string[];
}

export interface PrepareOutput {
  readonly checkpointId: string;
  readonly checkpointTime: string;
  readonly availabilityZone: string;
  readonly volumes: readonly ImportVolumePlan[];
  readonly importers: readonly ImporterAssignment[];
}

export interface ImporterState {
  readonly index: number;
  readonly done: boolean;
  readonly waitSeconds: number;
  readonly instanceId: string;
  readonly volumeIds: readonly string[];
  readonly sourceVolumeIds: readonly string[];
  readonly blocksDone: number;
  readonly blocksTotal: number;
  readonly launchedAt?: string;
  /** Polls of this importer so far: past its share of the history its waits grow (history-budget.ts). */
  readonly polls?: number;
}

export interface SnapshotVolumesOutput {
  readonly ready: boolean;
  readonly waitSeconds: number;
  /** source volume id → snapshot of its written volume. */
  readonly snapshots: Readonly<Record<string, string>>;
}

export interface RecoveredInstance {
  readonly sourceInstanceId: string;
  readonly instanceId: string;
}

export interface LaunchOutput {
  readonly done: boolean;
  readonly waitSeconds: number;
  readonly launched: readonly RecoveredInstance[];
}

/** The execution's output. */
export interface FailbackOutput {
  readonly recoveredInstances: readonly RecoveredInstance[];
  readonly volumes: ReadonlyArray<{ readonly sourceVolumeId: string; readonly bytesWritten: number }>;
  readonly checkpointId: string;
  readonly mode: FailbackMode;
  readonly durationSeconds: number;
}
