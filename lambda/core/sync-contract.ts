/**
 * The contract between the sync state machine (lib/, CDK) and its Lambda steps (lambda/steps/).
 * State names, payload paths and payload types live here once, so the construct and the handlers cannot drift.
 *
 * Flow (JSONPath state machine; every Lambda task retries throttling/5xx/Lambda errors with backoff):
 *   Init (Pass: {vpg: <VpgRuntime literal>, executionId: $$.Execution.Id, stateMachineArn: $$.StateMachine.Id, startedAt: $$.Execution.StartTime})
 *   → Begin            ($.begin)       skipped? → Skipped (Succeed)
 *   → CreateSnapshots  ($.snapshots)
 *   → WaitSnapshots (Wait, SecondsPath $.snapshots.waitSeconds) → CheckSnapshots ($.snapshots) → SnapshotsReady? (loop)
 *   → Plan             ($.plan)        writes BlockPlans + AgentJobs to the store; groups volumes into zSATs
 *   → RunZsats (Map over $.plan.zsats, MaxConcurrency = maxZsats, ItemSelector adds vpg/syncId):
 *        SpawnZsat ($.zsat) → WaitZsat (Wait, SecondsPath $.zsat.waitSeconds) → PollZsat ($.zsat) → ZsatDone? (loop)
 *   → Commit           ($.commit)      merges AgentResults into the checkpoint manifest, written last
 *   → CompactJournal   ($.journal)     drops checkpoints past journalHours; a failure is caught ($.journalError), never fails the sync
 *   → Cleanup          ($.cleanup)     previous generation's snapshots, every zSAT instance/volume of this VPG
 *   → Succeeded
 * Any failure after Begin (Catch States.ALL, ResultPath $.error) → CleanupFailed → Fail (cause from $.error.Cause).
 */
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
  /** End of one Map iteration (Succeed, OutputPath $.zsat): the Map's result ($.zsats) is the list of final ZsatStates. */
  zsatRead: 'ZsatRead',
  commit: 'Commit',
  /** After Commit, before Cleanup: journal retention (lambda/core/sync/journal-step.ts). */
  compactJournal: 'CompactJournal',
  cleanup: 'Cleanup',
  cleanupFailed: 'CleanupFailed',
  failed: 'SyncFailed',
  succeeded: 'Synced',
} as const;

/** One Lambda function per step, shared by every VPG of the site; `lambda/steps/<step>-handler.ts` exports `handler`. */
export const SYNC_STEPS = [
  'begin',
  'create-snapshots',
  'check-snapshots',
  'plan',
  'spawn-zsat',
  'poll-zsat',
  'commit',
  'compact-journal',
  'cleanup',
  'cleanup-failed',
] as const;
export type SyncStep = (typeof SYNC_STEPS)[number];

/** What a VPG's state machine embeds about its VPG (from the config, defaults applied). */
export interface VpgRuntime {
  readonly name: string;
  readonly instanceIds: readonly string[];
  readonly instanceTags: Readonly<Record<string, string>>;
  readonly syncIntervalMinutes: number;
  readonly journalHours: number;
  readonly volumesPerZsat: number;
  readonly maxZsats: number;
  /** Default poll interval of snapshot and zSAT waits, in seconds. */
  readonly pollSeconds: number;
  /** A zSAT whose progress is older than this fails the sync. */
  readonly heartbeatTimeoutSeconds: number;
  /** Instance profile of this VPG's agents: its role reaches only `vpgs/<vpg>/` in the store. Empty offline when none. */
  readonly agentInstanceProfileArn: string;
  /**
   * Instance profile of this VPG's ZImporters (reads the store, writes only its import's progress and results); '' or
   * absent when none (the schema defaults it to ''; optional so runtimes built before it existed still type-check).
   */
  readonly importerInstanceProfileArn?: string;
  /** The replica store's bucket, so a state machine (and the CLI reading its definition) is self-describing. */
  readonly storeBucket: string;
}

/** Environment of every step function (validated at cold start). */
export const STEP_ENV = {
  siteId: 'LIFEBOAT_SITE_ID',
  bucket: 'LIFEBOAT_BUCKET',
  zsatLaunchTemplate: 'LIFEBOAT_ZSAT_LAUNCH_TEMPLATE',
  importerLaunchTemplate: 'LIFEBOAT_IMPORTER_LAUNCH_TEMPLATE',
  /** Optional: subnet for zSATs/ZImporters; otherwise the launch template's or the protected volume's AZ default. */
  subnetId: 'LIFEBOAT_SUBNET_ID',
  /**
   * Security groups of the worker templates. The templates put the group and AssociatePublicIpAddress on
   * NetworkInterfaces[0], so RunInstances must not pass a top-level SubnetId or SecurityGroupIds: to choose a subnet,
   * pass NetworkInterfaces [{DeviceIndex 0, SubnetId, Groups [this], AssociatePublicIpAddress, DeleteOnTermination true}]
   * with a public IP only in a default subnet (its only way to S3 is the internet gateway).
   */
  zsatSecurityGroup: 'LIFEBOAT_ZSAT_SECURITY_GROUP',
  importerSecurityGroup: 'LIFEBOAT_IMPORTER_SECURITY_GROUP',
  /** Region of the replica bucket: config store.region, else the stack's region. Always set. */
  bucketRegion: 'LIFEBOAT_BUCKET_REGION',
  /** The VPG a step function serves (each VPG has its own functions and roles); unset for the site's sweeper and probe. */
  vpg: 'LIFEBOAT_VPG',
  /** Sweeper only: JSON array of the state machine ARNs whose running executions own what they made. */
  sweeperStateMachines: 'LIFEBOAT_SWEEPER_STATE_MACHINES',
  /** Sweeper only: JSON array of the site's VPG names. */
  sweeperVpgs: 'LIFEBOAT_SWEEPER_VPGS',
  /** Sweeper only: the configured grace in minutes, a floor no event may lower. */
  sweeperMinGraceMinutes: 'LIFEBOAT_SWEEPER_MIN_GRACE_MINUTES',
  /** "true" when the config asks for dry runs only: an event cannot turn deletion on. */
  sweeperDryRun: 'LIFEBOAT_SWEEPER_DRY_RUN',
} as const;

export interface SyncInput {
  readonly vpg: VpgRuntime;
  readonly executionId: string;
  readonly stateMachineArn: string;
  readonly startedAt: string;
  /** The execution's own input (the Init state passes `$`): a live failback's final sync names its grant here. */
  readonly request?: unknown;
}

/** The execution input a live failback starts its final sync with: act under the failback's lease. */
export interface FinalSyncRequest {
  readonly finalSyncOf: { readonly executionArn: string; readonly leaseToken: number };
}

/** How a sync holds the VPG's lease (lambda/core/vpg-lease.ts): its own, or as a live failback's delegate. */
export interface SyncLease {
  readonly token: number;
  readonly role: 'holder' | 'delegate';
}

/** A protected source in the latest checkpoint that this sync no longer selects: its protection has ended. */
export interface DepartedSource {
  readonly sourceVolumeId: string;
  readonly sourceInstanceId: string;
  /** The newest checkpoint holding it (kept past the journal until a person releases it). */
  readonly lastCheckpointId: string;
}

export interface ProtectedVolume {
  readonly volumeId: string;
  readonly instanceId: string;
  readonly device: string;
  readonly sizeBytes: number;
  readonly availabilityZone: string;
  /** Last committed generation's snapshot of this volume, if any. */
  readonly baseSnapshotId: string | null;
  /** The KMS key (ARN) an encrypted volume is under; absent: not encrypted (docs/kms.md). */
  readonly kmsKeyId?: string;
}

export interface BeginOutput {
  readonly skipped: boolean;
  readonly reason?: string;
  readonly syncId: string;
  readonly generation: number;
  readonly parentCheckpointId: string | null;
  readonly volumes: readonly ProtectedVolume[];
  /** Absent when skipped. */
  readonly lease?: SyncLease;
  /** Sources that left the selection since the latest checkpoint, not yet released by a person. */
  readonly departed?: readonly DepartedSource[];
  /** Why the base snapshots were not used (a broken or damaged chain): this sync reads every volume in full. */
  readonly fullResync?: string;
}

export interface SnapshotsOutput {
  readonly ready: boolean;
  readonly waitSeconds: number;
  /** volumeId → new snapshot id. */
  readonly snapshots: Readonly<Record<string, string>>;
}

export interface ZsatAssignment {
  readonly index: number;
  readonly jobKey: string;
  readonly sourceVolumeIds: readonly string[];
  /** How many polls this zSAT's loop may make (sync/history-budget.ts); absent = unbounded (older plans). */
  readonly pollBudget?: number;
}

export interface PlanOutput {
  readonly zsats: readonly ZsatAssignment[];
  readonly blocksPlanned: number;
}

export interface ZsatState {
  readonly index: number;
  readonly done: boolean;
  readonly waitSeconds: number;
  readonly instanceId: string;
  readonly volumeIds: readonly string[];
  readonly blocksDone: number;
  readonly blocksTotal: number;
  /** Polls made so far, and how many the history budget allows (sync/history-budget.ts). */
  readonly polls?: number;
  readonly pollBudget?: number;
}

export interface CommitOutput {
  readonly checkpointId: string;
  readonly blocksPlanned: number;
  readonly blocksRead: number;
  readonly bytesRead: number;
  readonly bytesStored: number;
}

export interface CleanupOutput {
  readonly deletedSnapshots: readonly string[];
  readonly deletedVolumes: readonly string[];
  readonly terminatedInstances: readonly string[];
}

/** Naming convention the CLI relies on. */
export function syncStateMachineName(siteId: string, vpg: string): string {
  return `lifeboat-${siteId}-${vpg}-sync`;
}
export function failbackStateMachineName(siteId: string, vpg: string): string {
  return `lifeboat-${siteId}-${vpg}-failback`;
}
