/** PollImporter: attach the target volumes, follow the importer's progress. */
import { pollImporter } from '../core/failback/importers';
import { pollImporterInputSchema } from '../core/failback/schemas';
import { Ec2Adapter } from '../aws/ec2-adapter';
import { s3Ports } from './s3-ports';
import { defineFailbackStep } from './failback-step-runtime';

export const step = defineFailbackStep('failback-poll', pollImporterInputSchema, pollImporter, {
  lease: 'required',
  ports: (env) => ({ ec2: new Ec2Adapter(), ...s3Ports(env) }),
});
export const handler = step.handler;
