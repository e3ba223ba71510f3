/** SpawnImporter (one Map iteration): blank target volumes and the ZImporter instance. */
import { spawnImporter } from '../core/failback/importer-steps';
import { spawnImporterInputSchema } from '../core/failback/failback-schemas';
import { defineFailbackStep } from './failback-step-runtime';

export const step = defineFailbackStep('failback-spawn', spawnImporterInputSchema, spawnImporter, { lease: 'required' });
export const handler = step.handler;
