/**
 * zod schemas of the failback state machine's payloads; failback/contract.ts derives the types from them (z.output). Each step receives
 * the whole state and parses the parts it needs; unknown keys are stripped.
 */
// a namespace import lets esbuild drop what is unused (`import { z }` keeps all of zod, its 40 locales too: 454 KB minified against 85)
import * as z from 'zod';
import { caughtErrorSchema, vpgRuntimeSchema } from '../sync/schemas';

/** The failback modes (failback/contract.ts describes them). */
export const FAILBACK_MODES = ['test', 'live', 'failover'] as const;

export const recoveryRuntimeSchema = z.object({
  subnetId: z.string().optional(),
  securityGroupIds: z.array(z.string()).optional(),
  instanceType: z.string().optional(),
  privateIps: z.record(z.string(), z.string()).optional(),
  bootOrder: z.array(z.string()).optional(),
  /** Importers at once (config importer.maxZsats). */
  maxImporters: z.number().int().min(1),
  /** Volumes written by one importer (config importer.volumesPerZsat). */
  volumesPerImporter: z.number().int().min(1),
});

export const failbackInitSchema = z.object({
  vpg: vpgRuntimeSchema,
  recovery: recoveryRuntimeSchema,
  syncStateMachineArn: z.string().min(1),
  executionId: z.string().min(1),
  stateMachineArn: z.string().min(1),
  startedAt: z.string().min(1),
  request: z.unknown(),
});

const targetSchema = z.object({
  subnetId: z.string().optional(),
  securityGroupIds: z.array(z.string()).optional(),
  instanceType: z.string().optional(),
  privateIps: z.record(z.string(), z.string()).optional(),
});

export const resolveOutputSchema = z.object({
  mode: z.enum(FAILBACK_MODES),
  /** Resolved in test and failover modes; null in live mode until the final sync committed. */
  checkpointId: z.string().nullable(),
  /** The recovery network mapping with the request's overrides applied. */
  target: targetSchema,
  /** Short id of this execution: the `imports/<importId>/` folder and the client tokens. */
  importId: z.string().min(1),
});

export const stopOutputSchema = z.object({
  instanceIds: z.array(z.string()),
  stopped: z.boolean(),
  waitSeconds: z.number(),
  /** The VPG's lease this live failback holds (taken before anything is stopped); absent while it waits for it. */
  lease: z.object({ token: z.number().int().positive() }).optional(),
  /** Why nothing was stopped yet: the lease is held by a sync, which the failback waits for. */
  waitingFor: z.string().optional(),
});

export const finalSyncOutputSchema = z.object({
  executionArn: z.string().nullable(),
  done: z.boolean(),
  waitSeconds: z.number(),
  checkpointId: z.string().nullable(),
  /** Syncs started by this step (a start that found another sync running waits, then starts again). */
  attempts: z.number().int().nonnegative(),
});

export const importVolumePlanSchema = z.object({
  sourceVolumeId: z.string().min(1),
  sourceInstanceId: z.string(),
  device: z.string(),
  sizeBytes: z.number().int().positive(),
  /** The recovery region's key the recovered volume is encrypted under: the checkpoint's, or its replica (recovery-site.ts). */
  kmsKeyId: z.string().optional(),
  /** Encrypted with the recovery region's default EBS key: the checkpoint's key does not exist here. */
  defaultKey: z.boolean().optional(),
});

export const importerAssignmentSchema = z.object({
  index: z.number().int().nonnegative(),
  jobKey: z.string().min(1),
  sourceVolumeIds: z.array(z.string()).min(1),
});

export const prepareOutputSchema = z.object({
  checkpointId: z.string().min(1),
  checkpointTime: z.string(),
  availabilityZone: z.string().min(1),
  volumes: z.array(importVolumePlanSchema),
  importers: z.array(importerAssignmentSchema),
  /**
   * Source instances whose recovered VM boots from an image registered from its recovered root (their launch facts
   * are in the store: imports/<importId>/launch.json); the others launch as before. Absent in older executions.
   */
  launchFromImage: z.array(z.string()).optional(),
});

export const importerStateSchema = z.object({
  index: z.number().int().nonnegative(),
  done: z.boolean(),
  waitSeconds: z.number(),
  instanceId: z.string().min(1),
  volumeIds: z.array(z.string()),
  sourceVolumeIds: z.array(z.string()),
  blocksDone: z.number().int().nonnegative(),
  blocksTotal: z.number().int().nonnegative(),
  launchedAt: z.string().optional(),
  /** Polls of this importer so far: past its share of the history its waits grow (history-budget.ts). */
  polls: z.number().int().nonnegative().optional(),
});

export const snapshotVolumesOutputSchema = z.object({
  ready: z.boolean(),
  waitSeconds: z.number(),
  /** source volume id → snapshot of its written volume. */
  snapshots: z.record(z.string(), z.string()),
});

export const recoveredInstanceSchema = z.object({
  sourceInstanceId: z.string(),
  instanceId: z.string(),
  /** The image it booted: registered from its recovered root, or (launched as before) the source's or a stock one. */
  imageId: z.string().optional(),
});
export const launchOutputSchema = z.object({ done: z.boolean(), waitSeconds: z.number(), launched: z.array(recoveredInstanceSchema) });

/** The execution's output. */
export const failbackOutputSchema = z.object({
  recoveredInstances: z.array(recoveredInstanceSchema),
  volumes: z.array(z.object({ sourceVolumeId: z.string(), bytesWritten: z.number() })),
  checkpointId: z.string(),
  mode: z.enum(FAILBACK_MODES),
  durationSeconds: z.number(),
});

export const resolveInputSchema = failbackInitSchema;
export const stopSourcesInputSchema = failbackInitSchema.extend({ resolve: resolveOutputSchema, stop: stopOutputSchema.optional() });
export const finalSyncInputSchema = failbackInitSchema.extend({
  resolve: resolveOutputSchema,
  stop: stopOutputSchema,
  finalSync: finalSyncOutputSchema.optional(),
});
export const prepareInputSchema = failbackInitSchema.extend({ resolve: resolveOutputSchema, finalSync: finalSyncOutputSchema.optional() });

/** One Map iteration's input (the Map's ItemSelector). */
export const spawnImporterInputSchema = z.object({
  vpg: vpgRuntimeSchema,
  executionId: z.string().optional(),
  mode: z.enum(FAILBACK_MODES).optional(),
  importId: z.string().min(1),
  checkpointId: z.string().min(1),
  availabilityZone: z.string().min(1),
  importer: importerAssignmentSchema,
});
export const pollImporterInputSchema = spawnImporterInputSchema.extend({
  importer: importerStateSchema,
  importerCount: z.number().int().positive().optional(),
});

export const snapshotVolumesInputSchema = failbackInitSchema.extend({
  resolve: resolveOutputSchema,
  prepare: prepareOutputSchema,
  importers: z.array(importerStateSchema),
  snapshots: snapshotVolumesOutputSchema.optional(),
});
export const launchInputSchema = snapshotVolumesInputSchema.extend({ snapshots: snapshotVolumesOutputSchema, launch: launchOutputSchema.optional() });
export const finishInputSchema = launchInputSchema.extend({ launch: launchOutputSchema });

export const cleanupFailedInputSchema = z.object({
  vpg: vpgRuntimeSchema,
  executionId: z.string().min(1),
  prepare: z.object({ checkpointId: z.string() }).partial().optional(),
  resolve: resolveOutputSchema.partial().optional(),
  stop: stopOutputSchema.partial().optional(),
  error: caughtErrorSchema.optional(),
});
