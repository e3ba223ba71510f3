/**
 * zod schemas of the sync state machine's payloads; sync/contract.ts derives the types from them (z.output).
 * Each step receives the whole state (LambdaInvoke's default payload) and parses the parts it needs;
 * unknown keys are stripped, so a step never depends on what other steps added.
 */
// a namespace import lets esbuild drop what is unused (`import { z }` keeps all of zod, its 40 locales too: 454 KB minified against 85)
import * as z from 'zod';
import { InvalidInput } from '../errors';

export const vpgRuntimeSchema = z.object({
  name: z.string().min(1),
  instanceIds: z.array(z.string()).default([]),
  instanceTags: z.record(z.string(), z.string()).default({}),
  syncIntervalMinutes: z.number().positive(),
  journalHours: z.number().positive(),
  volumesPerZsat: z.number().int().min(1),
  maxZsats: z.number().int().min(1),
  /** Default poll interval of snapshot and zSAT waits, in seconds. */
  pollSeconds: z.number().int().min(1),
  /** A zSAT whose progress is older than this fails the sync. */
  heartbeatTimeoutSeconds: z.number().int().min(1),
  /** Instance profile of this VPG's agents: its role reaches only `vpgs/<vpg>/` in the store. Empty offline when none. */
  agentInstanceProfileArn: z.string().default(''),
  /** Instance profile of this VPG's ZImporters (reads the store, writes only its import's progress and results); '' when none. */
  importerInstanceProfileArn: z.string().default(''),
  /** The replica store's bucket, so a state machine (and the CLI reading its definition) is self-describing. */
  storeBucket: z.string().default(''),
  /** The bucket's region when it is not the state machine's (a recovery site elsewhere); '' otherwise. */
  storeRegion: z.string().default(''),
  /**
   * The roles of the sync and failback steps, the two that use the protected volumes' KMS keys through EC2: `lifeboat
   * doctor` checks each key's policy lets them in. '' in a runtime built before they were recorded.
   */
  syncStepRoleArn: z.string().default(''),
  failbackStepRoleArn: z.string().default(''),
});

export const protectedVolumeSchema = z.object({
  volumeId: z.string().min(1),
  instanceId: z.string().min(1),
  device: z.string(),
  sizeBytes: z.number().int().nonnegative(),
  availabilityZone: z.string().min(1),
  /** Last committed generation's snapshot of this volume, if any. */
  baseSnapshotId: z.string().nullable(),
  /** The KMS key (ARN) an encrypted volume is under; absent: not encrypted (docs/kms.md). */
  kmsKeyId: z.string().optional(),
});

/** How a sync holds the VPG's lease (runtime/core/lease/vpg-lease.ts): its own, or as a live failback's delegate. */
export const syncLeaseSchema = z.object({ token: z.number().int().positive(), role: z.enum(['holder', 'delegate']) });

/** A protected source in the latest checkpoint that this sync no longer selects: its protection has ended. */
export const departedSourceSchema = z.object({
  sourceVolumeId: z.string(),
  sourceInstanceId: z.string(),
  /** The newest checkpoint holding it (kept past the journal until a person releases it). */
  lastCheckpointId: z.string(),
});

export const beginOutputSchema = z.object({
  skipped: z.boolean(),
  reason: z.string().optional(),
  syncId: z.string().min(1),
  generation: z.number().int().nonnegative(),
  parentCheckpointId: z.string().nullable(),
  volumes: z.array(protectedVolumeSchema),
  /** Absent when skipped. */
  lease: syncLeaseSchema.optional(),
  /** Sources that left the selection since the latest checkpoint, not yet released by a person. */
  departed: z.array(departedSourceSchema).optional(),
  /** Why the base snapshots were not used (a broken or damaged chain): this sync reads every volume in full. */
  fullResync: z.string().optional(),
  /** A continuation: the state is the previous execution's (snapshots and plan are in the request); n is its place in the chain. */
  resumed: z.object({ from: z.string().min(1), n: z.number().int().positive() }).optional(),
});

/** A live failback's grant, in the execution input; anything else there (the console's Comment) is ignored. */
export const finalSyncRequestSchema = z.object({
  finalSyncOf: z.object({ executionArn: z.string().min(1), leaseToken: z.number().int().positive() }),
});

export const snapshotsOutputSchema = z.object({
  ready: z.boolean(),
  waitSeconds: z.number(),
  /** volumeId → new snapshot id. */
  snapshots: z.record(z.string(), z.string()),
  /** Checks made so far (sync/history-budget.ts SNAPSHOT_POLL_BUDGET). */
  polls: z.number().int().nonnegative().optional(),
});

export const zsatStateSchema = z.object({
  index: z.number().int().nonnegative(),
  done: z.boolean(),
  waitSeconds: z.number(),
  instanceId: z.string().min(1),
  volumeIds: z.array(z.string()),
  blocksDone: z.number().int().nonnegative(),
  blocksTotal: z.number().int().nonnegative(),
  /** Added by spawn-zsat (beyond the contract's ZsatState): baseline of the heartbeat timeout. */
  launchedAt: z.string().optional(),
  /** Polls made so far, and how many the history budget allows (sync/history-budget.ts). */
  polls: z.number().int().nonnegative().optional(),
  pollBudget: z.number().int().positive().optional(),
  /** Its poll budget is spent while it still reads: the iteration ends and the sync continues as a new execution. */
  handOver: z.boolean().optional(),
  /** blocksDone when this execution took the zSAT over (a continuation): no progress during a whole execution fails the sync. */
  blocksAtStart: z.number().int().nonnegative().optional(),
});

export const zsatAssignmentSchema = z.object({
  index: z.number().int().nonnegative(),
  jobKey: z.string().min(1),
  sourceVolumeIds: z.array(z.string()).min(1),
  /** How many polls this zSAT's loop may make (sync/history-budget.ts); absent = unbounded (older plans). */
  pollBudget: z.number().int().positive().optional(),
  /** In a continuation's plan: the zSAT's state as the previous execution left it. */
  resume: zsatStateSchema.optional(),
});

export const planOutputSchema = z.object({
  zsats: z.array(zsatAssignmentSchema),
  blocksPlanned: z.number().int().nonnegative(),
  /**
   * RunZsats' MaxConcurrencyPath: agent.maxZsats, lowered to what the vCPU quota holds (runtime/core/sync/vcpu-quota.ts).
   * Plan always sets it; absent only in a plan from before it existed (HandOver fills it in).
   */
  zsatsAtOnce: z.number().int().positive().optional(),
  /** Why zsatsAtOnce is below agent.maxZsats, when it is. */
  zsatsBoundBy: z.string().optional(),
});

/**
 * The input of a continuation: the sync it carries on, its place in the chain, and the state the previous execution
 * handed over (its lease token already moved to this execution's ARN). Each plan entry carries the zSAT's state in
 * `resume`. Begin checks it against the lease.
 */
export const continuationRequestSchema = z.object({
  continuationOf: z.object({
    executionArn: z.string().min(1),
    syncId: z.string().min(1),
    n: z.number().int().positive(),
    begin: beginOutputSchema,
    snapshots: snapshotsOutputSchema,
    plan: planOutputSchema,
  }),
});

export const handOverOutputSchema = z.object({
  /** True: the sync goes on in `executionArn`; this execution ends here. */
  continued: z.boolean(),
  executionArn: z.string().optional(),
  n: z.number().int().positive().optional(),
});

export const cleanupOutputSchema = z.object({
  deletedSnapshots: z.array(z.string()),
  deletedVolumes: z.array(z.string()),
  terminatedInstances: z.array(z.string()),
});

export const commitOutputSchema = z.object({
  checkpointId: z.string().min(1),
  blocksPlanned: z.number(),
  blocksRead: z.number(),
  bytesRead: z.number(),
  bytesStored: z.number(),
});

export const syncInputSchema = z.object({
  vpg: vpgRuntimeSchema,
  executionId: z.string().min(1),
  stateMachineArn: z.string().min(1),
  startedAt: z.string().min(1),
  /** The execution's own input (the Init state passes `$`): a live failback's final sync names its grant here. */
  request: z.unknown().optional(),
});

export const createSnapshotsInputSchema = syncInputSchema.extend({ begin: beginOutputSchema });
export const checkSnapshotsInputSchema = createSnapshotsInputSchema.extend({ snapshots: snapshotsOutputSchema });
export const planInputSchema = checkSnapshotsInputSchema;
export const commitInputSchema = checkSnapshotsInputSchema.extend({ plan: planOutputSchema });
export const cleanupInputSchema = commitInputSchema.extend({ commit: commitOutputSchema });
/** HandOver: the state after RunZsats (the Map's result in $.zsats). */
export const handOverInputSchema = commitInputSchema.extend({ zsats: z.array(zsatStateSchema) });

/** One Map iteration's input (the Map's ItemSelector): the VPG, the sync, one zSAT assignment, the protected volumes. */
export const spawnZsatInputSchema = z.object({
  vpg: vpgRuntimeSchema,
  syncId: z.string().min(1),
  executionId: z.string().optional(),
  lease: syncLeaseSchema.optional(),
  zsat: zsatAssignmentSchema,
  volumes: z.array(protectedVolumeSchema).optional(),
});

export const pollZsatInputSchema = z.object({
  vpg: vpgRuntimeSchema,
  syncId: z.string().min(1),
  executionId: z.string().optional(),
  lease: syncLeaseSchema.optional(),
  zsat: zsatStateSchema,
});

/** What a Catch puts at its ResultPath: the error's name and cause. */
export const caughtErrorSchema = z.object({ Error: z.string().optional(), Cause: z.string().optional() });

/** After any failure: whatever of the state exists, plus the Catch's error ($.error). */
export const cleanupFailedInputSchema = z.object({
  vpg: vpgRuntimeSchema,
  executionId: z.string().min(1),
  stateMachineArn: z.string().optional(),
  begin: beginOutputSchema.partial().optional(),
  error: caughtErrorSchema.optional(),
});

/** Parse a step's event; on failure an InvalidInput naming each bad path. */
export function parseStepInput<S extends z.ZodType>(schema: S, event: unknown, step: string): z.output<S> {
  const parsed = schema.safeParse(event);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`);
    throw new InvalidInput(`${step}: invalid input: ${problems.join('; ')}`);
  }
  return parsed.data;
}
