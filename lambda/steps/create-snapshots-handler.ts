/** CreateSnapshots: one crash-consistent, tagged snapshot set per protected instance (idempotent on retry). */
import { createSnapshots } from '../core/sync/snapshot-steps';
import { createSnapshotsInputSchema } from '../core/sync-schemas';
import { defineStep } from './step-runtime';

export const createSnapshotsStep = defineStep('create-snapshots', createSnapshotsInputSchema, createSnapshots, { lease: 'required' });
export const handler = createSnapshotsStep.handler;
