/**
 * zod schemas of the failback state machine's payloads (types in failback-contract.ts). Each step receives
 * the whole state and parses the parts it needs; unknown keys are stripped.
 */
// a namespace import lets esbuild drop what is unused (`import { z }` keeps all of zod, its 40 locales too: 454 KB minified against 85)
import * as z from 'zod';
import { vpgRuntimeSchema } from '../sync-schemas';

export const recoveryRuntimeSchema = z.object({
  subnetId: z.string().optional(),
  securityGroupIds: z.array(z.string()).optional(),
  instanceType: z.string().optional(),
  privateIps: z.record(z.string(), z.string()).optional(),
  bootOrder: z.array(z.string()).optional(),
  maxImporters: z.number().int().min(1),
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
  mode: z.enum(['test', 'live']),
  checkpointId: z.string().nullable(),
  target: targetSchema,
  importId: z.string().min(1),
});

export const stopOutputSchema = z.object({
  instanceIds: z.array(z.string()),
  stopped: z.boolean(),
  waitSeconds: z.number(),
  lease: z.object({ token: z.number().int().positive() }).optional(),
  waitingFor: z.string().optional(),
});

export const finalSyncOutputSchema = z.object({
  executionArn: z.string().nullable(),
  done: z.boolean(),
  waitSeconds: z.number(),
  checkpointId: z.string().nullable(),
  attempts: z.number().int().nonnegative(),
});

const importVolumePlanSchema = z.object({
  sourceVolumeId: z.string().min(1),
  sourceInstanceId: z.string(),
  device: z.string(),
  sizeBytes: z.number().int().positive(),
  kmsKeyId: z.string().optional(),
});

const importerAssignmentSchema = z.object({ index: z.number().int().nonnegative(), jobKey: z.string().min(1), sourceVolumeIds: z.array(z.string()).min(1) });

export const prepareOutputSchema = z.object({
  checkpointId: z.string().min(1),
  checkpointTime: z.string(),
  availabilityZone: z.string().min(1),
  volumes: z.array(importVolumePlanSchema),
  importers: z.array(importerAssignmentSchema),
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
  polls: z.number().int().nonnegative().optional(),
});

export const snapshotVolumesOutputSchema = z.object({ ready: z.boolean(), waitSeconds: z.number(), snapshots: z.record(z.string(), z.string()) });

const recoveredInstanceSchema = z.object({ sourceInstanceId: z.string(), instanceId: z.string() });
export const launchOutputSchema = z.object({ done: z.boolean(), waitSeconds: z.number(), launched: z.array(recoveredInstanceSchema) });

export const resolveInputSchema = failbackInitSchema;
export const stopSourcesInputSchema = failbackInitSchema.extend({ resolve: resolveOutputSchema, stop: stopOutputSchema.optional() });
export const finalSyncInputSchema = failbackInitSchema.extend({ resolve: resolveOutputSchema, stop: stopOutputSchema, finalSync: finalSyncOutputSchema.optional() });
export const prepareInputSchema = failbackInitSchema.extend({ resolve: resolveOutputSchema, finalSync: finalSyncOutputSchema.optional() });

/** One Map iteration's input (the Map's ItemSelector). */
export const spawnImporterInputSchema = z.object({
  vpg: vpgRuntimeSchema,
  executionId: z.string().optional(),
  mode: z.enum(['test', 'live']).optional(),
  importId: z.string().min(1),
  checkpointId: z.string().min(1),
  availabilityZone: z.string().min(1),
  importer: importerAssignmentSchema,
});
export const pollImporterInputSchema = spawnImporterInputSchema.extend({ importer: importerStateSchema, importerCount: z.number().int().positive().optional() });

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
  error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
});

export type FailbackInitInput = z.output<typeof failbackInitSchema>;
