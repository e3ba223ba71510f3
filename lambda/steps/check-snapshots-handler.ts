/** CheckSnapshots: ready when every snapshot is completed; an errored snapshot fails the sync. */
import { checkSnapshots } from '../core/sync/snapshot-steps';
import { checkSnapshotsInputSchema } from '../core/sync-schemas';
import { defineStep } from './step-runtime';

export const checkSnapshotsStep = defineStep('check-snapshots', checkSnapshotsInputSchema, checkSnapshots, { lease: 'required' });
export const handler = checkSnapshotsStep.handler;
