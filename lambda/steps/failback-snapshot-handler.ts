/** SnapshotVolumes: one tagged snapshot per written volume; ready once all completed. */
import { snapshotVolumes } from '../core/failback/recovered-steps';
import { snapshotVolumesInputSchema } from '../core/failback/failback-schemas';
import { defineFailbackStep } from './failback-step-runtime';

export const step = defineFailbackStep('failback-snapshot', snapshotVolumesInputSchema, snapshotVolumes, { lease: 'required' });
export const handler = step.handler;
