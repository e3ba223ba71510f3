/** PollImporter: attach the target volumes, follow the importer's progress. */
import { pollImporter } from '../core/failback/importer-steps';
import { pollImporterInputSchema } from '../core/failback/failback-schemas';
import { defineFailbackStep } from './failback-step-runtime';

export const step = defineFailbackStep('failback-poll', pollImporterInputSchema, pollImporter, { lease: 'required' });
export const handler = step.handler;
