/**
 * How a step function is put together: parse the event with the step's zod schema, call the step's core
 * function with its dependencies, return its typed output. Real dependencies (SDK adapters, S3 store, the
 * environment validated by zod) are built once per container, at the first invocation.
 */
import type { z } from 'zod';
import { parseStepEnv } from '../core/step-env';
import { InvalidInput } from '../core/errors';
import { parseStepInput } from '../core/sync-schemas';
import type { StepDeps } from '../core/sync/step-deps';
import { Ec2Adapter } from '../aws/ec2-adapter';
import { EbsDirect } from '../aws/ebs-direct';
import { makeS3Client } from '../aws/s3-client';
import { S3ReplicaStore } from '../aws/s3-replica-store';
import { StepFunctionsExecutions } from '../aws/sfn-executions';
import { S3Coordination } from '../aws/s3-coordination';
import { underLease, syncLeaseUse, type LeasePolicy } from './lease-step';
import { jsonLog, stepLogContext, withFields } from './step-log';

let coldStartDeps: StepDeps | undefined;

/** The Lambda container's dependencies; a bad environment throws here, naming the variable. */
export function awsDeps(): StepDeps {
  if (!coldStartDeps) {
    const env = parseStepEnv(process.env);
    const s3 = makeS3Client(env.bucketRegion ? { region: env.bucketRegion } : {});
    const coordination = new S3Coordination(env.bucket, s3);
    coldStartDeps = {
      env,
      ec2: new Ec2Adapter(),
      ebs: new EbsDirect(),
      executions: new StepFunctionsExecutions(),
      store: new S3ReplicaStore({ bucket: env.bucket, client: s3 }),
      lease: coordination,
      readers: coordination,
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

export interface StepOptions {
  /**
   * How the step relates to the VPG's lease (lambda/steps/lease-step.ts).
   * @default 'none'
   */
  readonly lease?: LeasePolicy;
}

export function defineStep<S extends z.ZodType, R>(
  step: string,
  schema: S,
  run: (input: z.output<S>, deps: StepDeps) => Promise<R>,
  options: StepOptions = {},
): StepDefinition<R> {
  const withDeps = (deps: StepDeps | (() => StepDeps)) => async (event: unknown): Promise<R> => {
    const base = typeof deps === 'function' ? deps() : deps;
    const input = parseStepInput(schema, event, step);
    const log = withFields(base.log, stepLogContext(step, event));
    try {
      assertOwnVpg(base, event);
      return await underLease(options.lease ?? 'none', syncLeaseUse(event), { ...base, log }, (d) => run(input, d));
    } catch (err) {
      log.warn('step failed', { error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
      throw err;
    }
  };
  return { handler: withDeps(awsDeps), withDeps };
}

/**
 * Each VPG has its own step functions (LIFEBOAT_VPG in their environment): one refuses an event for another VPG,
 * so a mis-wired or hand-made input cannot act on another VPG's resources with this VPG's role.
 */
export function assertOwnVpg(deps: StepDeps, event: unknown): void {
  const own = (deps.env as { vpg?: string }).vpg;
  const asked = (event as { vpg?: { name?: unknown } } | null)?.vpg?.name;
  if (own && asked !== undefined && asked !== own) {
    throw new InvalidInput(`this step function serves VPG ${own}; it refuses an input for VPG ${String(asked)}`);
  }
}
