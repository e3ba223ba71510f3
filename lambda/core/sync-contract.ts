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
 *   → RunZsats (Map over $.plan.zsats, MaxConcurrencyPath $.plan.zsatsAtOnce, ItemSelector adds vpg/syncId):
 *        SpawnOrResume? → SpawnZsat ($.zsat), or ResumeZsat (Pass: $.zsat.resume → $.zsat) in a continuation
 *        → WaitZsat (Wait, SecondsPath $.zsat.waitSeconds) → PollZsat ($.zsat) → ZsatDone? (done or handOver: end; else loop)
 *   → HandOver         ($.handover)    a zSAT still reading: start the continuation, hand it the lease → ContinuedAsNew (Succeed)
 *   → Commit           ($.commit)      merges AgentResults into the checkpoint manifest, written last
 *   → CompactJournal   ($.journal)     drops checkpoints past journalHours; a failure is caught ($.journalError), never fails the sync
 *   → Cleanup          ($.cleanup)     previous generation's snapshots, every zSAT instance/volume of this VPG
 *   → Succeeded
 * Any failure after Begin (Catch States.ALL, ResultPath $.error) → CleanupFailed → Fail (cause from $.error.Cause).
 * A continuation (input ContinuationRequest, lambda/core/sync/continue-step.ts): Init → Begin (adopts the handed-over
 * lease and the carried state, $.begin.resumed) → Resume (Pass: $.snapshots and $.plan from the request) → RunZsats …
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
  /** First state of a Map iteration: a zSAT the previous execution launched resumes polling (ResumeZsat), any other is spawned. */
  spawnOrResume: 'SpawnOrResume',
  resumeZsat: 'ResumeZsat',
  /** After Begin in a continuation: the carried snapshots and plan into place (Pass). */
  resume: 'Resume',
  /** After RunZsats: a zSAT still reading → the sync continues in a new execution (continue-step.ts). */
  handOver: 'HandOver',
  handedOver: 'HandedOver',
  continuedAsNew: 'ContinuedAsNew',
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
  'continue-sync',
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
  /**
   * The roles of the sync and failback steps, the two that use the protected volumes' KMS keys through EC2: `lifeboat
   * doctor` checks each key's policy lets them in. '' or absent in a runtime built before they were recorded.
   */
  readonly syncStepRoleArn?: string;
  readonly failbackStepRoleArn?: string;
}

/** Environment of every step function (validated at cold start). */
export const STEP_ENV = {
  siteId: 'LIFEBOAT_SITE_ID',
  bucket: 'LIFEBOAT_BUCKET',
  zsatLaunchTemplate: 'LIFEBOAT_ZSAT_LAUNCH_TEMPLATE',
  importerLaunchTemplate: 'LIFEBOAT_IMPORTER_LAUNCH_TEMPLATE',
  /** JSON array of the zSATs' subnets (agent.subnetIds), at most one per zone; empty or unset: the default VPC's. */
  zsatSubnets: 'LIFEBOAT_ZSAT_SUBNET_IDS',
  /** JSON array: agent.instanceTypes, tried in order (lambda/core/worker-launch.ts). */
  zsatInstanceTypes: 'LIFEBOAT_ZSAT_INSTANCE_TYPES',
  importerInstanceTypes: 'LIFEBOAT_IMPORTER_INSTANCE_TYPES',
  /** JSON array of the ZImporters' subnets (importer.subnetIds, else agent.subnetIds); empty or unset: the default VPC's. */
  importerSubnets: 'LIFEBOAT_IMPORTER_SUBNET_IDS',
  /** Which config key the importers' subnets come from, for messages (`importer.subnetIds` or `agent.subnetIds`). */
  importerSubnetsKey: 'LIFEBOAT_IMPORTER_SUBNETS_KEY',
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
  /**
   * Sweeper only: `arn:<partition>:states:<region>:<account>:stateMachine:`. Each VPG's sync and failback state machine,
   * whose running executions own what they made, is this prefix and its conventional name (syncStateMachineName).
   */
  sweeperStateMachineArnPrefix: 'LIFEBOAT_SWEEPER_STATE_MACHINE_ARN_PREFIX',
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
  /** A continuation: the state is the previous execution's (snapshots and plan are in the request); n is its place in the chain. */
  readonly resumed?: { readonly from: string; readonly n: number };
}

export interface SnapshotsOutput {
  readonly ready: boolean;
  readonly waitSeconds: number;
  /** volumeId → new snapshot id. */
  readonly snapshots: Readonly<Record<string, string>>;
  /** Checks made so far (sync/history-budget.ts SNAPSHOT_POLL_BUDGET). */
  readonly polls?: number;
}

export interface ZsatAssignment {
  readonly index: number;
  readonly jobKey: string;
  readonly sourceVolumeIds: readonly string[];
  /** How many polls this zSAT's loop may make (sync/history-budget.ts); absent = unbounded (older plans). */
  readonly pollBudget?: number;
  /** In a continuation's plan: the zSAT's state as the previous execution left it. */
  readonly resume?: ZsatState & { readonly launchedAt?: string };
}

export interface PlanOutput {
  readonly zsats: readonly ZsatAssignment[];
  readonly blocksPlanned: number;
  /**
   * RunZsats' MaxConcurrencyPath: agent.maxZsats, lowered to what the vCPU quota holds (lambda/core/vcpu-quota.ts).
   * Plan always sets it; absent only in a plan from before it existed (HandOver fills it in).
   */
  readonly zsatsAtOnce?: number;
  /** Why zsatsAtOnce is below agent.maxZsats, when it is. */
  readonly zsatsBoundBy?: string;
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
  /** Its poll budget is spent while it still reads: the iteration ends and the sync continues as a new execution. */
  readonly handOver?: boolean;
  /** blocksDone when this execution took the zSAT over (a continuation): no progress during a whole execution fails the sync. */
  readonly blocksAtStart?: number;
}

/**
 * The input of a continuation: the sync it carries on, its place in the chain, and the state the previous
 * execution handed over (its lease token already moved to this execution's ARN). Each plan entry carries the
 * zSAT's state in `resume`.
 */
export interface ContinuationRequest {
  readonly continuationOf: {
    readonly executionArn: string;
    readonly syncId: string;
    readonly n: number;
    readonly begin: BeginOutput;
    readonly snapshots: SnapshotsOutput;
    readonly plan: PlanOutput;
  };
}

export interface HandOverOutput {
  /** True: the sync goes on in `executionArn`; this execution ends here. */
  readonly continued: boolean;
  readonly executionArn?: string;
  readonly n?: number;
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
