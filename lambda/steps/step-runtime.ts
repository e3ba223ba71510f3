/**
 * How a step function is put together: parse the event with the step's zod schema, call the step's core
 * function with its dependencies, return its typed output. Real dependencies (SDK adapters, S3 store, the
 * environment validated by zod) are built once per container, at the first invocation.
 */
import type { z } from 'zod';
import { parseStepEnv } from '../core/step-env';
import { parseStepInput } from '../core/sync-schemas';
import type { StepDeps } from '../core/sync/step-deps';
import { Ec2Adapter } from '../aws/ec2-adapter';
import { EbsDirect } from '../aws/ebs-direct';
import { makeS3Client } from '../aws/s3-client';
import { S3ReplicaStore } from '../aws/s3-replica-store';
import { StepFunctionsExecutions } from '../aws/sfn-executions';
import { jsonLog, stepLogContext, withFields } from './step-log';

let coldStartDeps: StepDeps | undefined;

/** The Lambda container's dependencies; a bad environment throws here, naming the variable. */
export function awsDeps(): StepDeps {
  if (!coldStartDeps) {
    const env = parseStepEnv(process.env);
    coldStartDeps = {
      env,
      ec2: new Ec2Adapter(),
      ebs: new EbsDirect(),
      executions: new StepFunctionsExecutions(),
      store: new S3ReplicaStore({ bucket: env.bucket, client: makeS3Client(env.bucketRegion ? { region: env.bucketRegion } : {}) }),
      log: jsonLog({ site: env.siteId }),
      now: () => new Date(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    };
  }
  return coldStartDeps;
}

export interface StepDefinition<R> {
  /** The Lambda entry point, with the real AWS dependencies. */
  readonly handler: (event: unknown) => Promise<R>;
  /** The same handler over given dependencies (tests, the offline cloud). */
  readonly withDeps: (deps: StepDeps | (() => StepDeps)) => (event: unknown) => Promise<R>;
}

export function defineStep<S extends z.ZodType, R>(
  step: string,
  schema: S,
  run: (input: z.output<S>, deps: StepDeps) => Promise<R>,
): StepDefinition<R> {
  const withDeps = (deps: StepDeps | (() => StepDeps)) => async (event: unknown): Promise<R> => {
    const base = typeof deps === 'function' ? deps() : deps;
    const input = parseStepInput(schema, event, step);
    const log = withFields(base.log, stepLogContext(step, event));
    try {
      return await run(input, { ...base, log });
    } catch (err) {
      log.warn('step failed', { error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
      throw err;
    }
  };
  return { handler: withDeps(awsDeps), withDeps };
}
