/** SpawnZsat (one Map iteration): zSAT volumes from the new snapshots and the zSAT instance. */
import { spawnZsat } from '../core/sync/zsat-steps';
import { spawnZsatInputSchema } from '../core/sync-schemas';
import { defineStep } from './step-runtime';

export const spawnZsatStep = defineStep('spawn-zsat', spawnZsatInputSchema, spawnZsat, { lease: 'required' });
export const handler = spawnZsatStep.handler;
