/**
 * zod schemas of the sync state machine's payloads, matching the types in sync-contract.ts.
 * Each step receives the whole state (LambdaInvoke's default payload) and parses the parts it needs;
 * unknown keys are stripped, so a step never depends on what other steps added.
 */
// a namespace import lets esbuild drop what is unused (`import { z }` keeps all of zod, its 40 locales too: 454 KB minified against 85)
import * as z from 'zod';
import { InvalidInput } from './errors';

export const vpgRuntimeSchema = z.object({
  name: z.string().min(1),
  instanceIds: z.array(z.string()).default([]),
  instanceTags: z.record(z.string(), z.string()).default({}),
  syncIntervalMinutes: z.number().positive(),
  journalHours: z.number().positive(),
  volumesPerZsat: z.number().int().min(1),
  maxZsats: z.number().int().min(1),
  pollSeconds: z.number().int().min(1),
  heartbeatTimeoutSeconds: z.number().int().min(1),
  agentInstanceProfileArn: z.string().default(''),
  importerInstanceProfileArn: z.string().default(''),
  storeBucket: z.string().default(''),
  syncStepRoleArn: z.string().default(''),
  failbackStepRoleArn: z.string().default(''),
});

export const protectedVolumeSchema = z.object({
  volumeId: z.string().min(1),
  instanceId: z.string().min(1),
  device: z.string(),
  sizeBytes: z.number().int().nonnegative(),
  availabilityZone: z.string().min(1),
  baseSnapshotId: z.string().nullable(),
  kmsKeyId: z.string().optional(),
});

export const syncLeaseSchema = z.object({ token: z.number().int().positive(), role: z.enum(['holder', 'delegate']) });

export const departedSourceSchema = z.object({ sourceVolumeId: z.string(), sourceInstanceId: z.string(), lastCheckpointId: z.string() });

export const beginOutputSchema = z.object({
  skipped: z.boolean(),
  reason: z.string().optional(),
  syncId: z.string().min(1),
  generation: z.number().int().nonnegative(),
  parentCheckpointId: z.string().nullable(),
  volumes: z.array(protectedVolumeSchema),
  lease: syncLeaseSchema.optional(),
  departed: z.array(departedSourceSchema).optional(),
  fullResync: z.string().optional(),
  resumed: z.object({ from: z.string().min(1), n: z.number().int().positive() }).optional(),
});

/** A live failback's grant, in the execution input; anything else there (the console's Comment) is ignored. */
export const finalSyncRequestSchema = z.object({
  finalSyncOf: z.object({ executionArn: z.string().min(1), leaseToken: z.number().int().positive() }),
});

export const snapshotsOutputSchema = z.object({
  ready: z.boolean(),
  waitSeconds: z.number(),
  snapshots: z.record(z.string(), z.string()),
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
  polls: z.number().int().nonnegative().optional(),
  pollBudget: z.number().int().positive().optional(),
  handOver: z.boolean().optional(),
  blocksAtStart: z.number().int().nonnegative().optional(),
});

export const zsatAssignmentSchema = z.object({
  index: z.number().int().nonnegative(),
  jobKey: z.string().min(1),
  sourceVolumeIds: z.array(z.string()).min(1),
  pollBudget: z.number().int().positive().optional(),
  resume: zsatStateSchema.optional(),
});

export const planOutputSchema = z.object({
  zsats: z.array(zsatAssignmentSchema),
  blocksPlanned: z.number().int().nonnegative(),
  // a plan from before the quota bound (a continuation handed over across an upgrade) runs maxZsats at once
  zsatsAtOnce: z.number().int().positive().optional(),
  zsatsBoundBy: z.string().optional(),
});



/** A continuation's execution input (sync-contract.ts ContinuationRequest); Begin checks it against the lease. */
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

export const handOverOutputSchema = z.object({ continued: z.boolean(), executionArn: z.string().optional(), n: z.number().int().positive().optional() });

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

/** After any failure: whatever of the state exists, plus the Catch's error ($.error). */
export const cleanupFailedInputSchema = z.object({
  vpg: vpgRuntimeSchema,
  executionId: z.string().min(1),
  stateMachineArn: z.string().optional(),
  begin: beginOutputSchema.partial().optional(),
  error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
});

export type StepInput<S extends z.ZodType> = z.output<S>;

/** Parse a step's event; on failure an InvalidInput naming each bad path. */
export function parseStepInput<S extends z.ZodType>(schema: S, event: unknown, step: string): z.output<S> {
  const parsed = schema.safeParse(event);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`);
    throw new InvalidInput(`${step}: invalid input: ${problems.join('; ')}`);
  }
  return parsed.data;
}
