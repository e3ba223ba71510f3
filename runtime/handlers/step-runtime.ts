/**
 * How a step function is put together: parse the event with the step's zod schema, call the step's core
 * function with its dependencies, return its typed output. Each handler wires only the SDK-backed ports its
 * core function uses (`ports`), so its bundle holds only those SDK clients; they are built once per container,
 * at the first invocation, from the environment validated by zod.
 */
import type { z } from 'zod';
import { parseStepEnv, type StepEnv } from '../core/step-env';
import { InvalidInput } from '../core/errors';
import { parseStepInput } from '../core/sync/schemas';
import type { FailbackDeps } from '../core/failback/recovery-ports';
import type { StepBasics, StepDeps } from '../core/sync/deps';
import { underLease, syncLeaseUse, type LeasePolicy, type LeaseUse } from './lease-step';
import { invocationLog, jsonLog, stepLogContext, type LambdaContext, type LogFields } from './step-log';

/** The ports with an SDK client behind them (EC2, EBS direct APIs, Step Functions, S3). */
type SdkPorts = Omit<FailbackDeps, keyof StepBasics>;

/** Of a step's dependencies `D`, the SDK-backed ports its handler must build. */
export type PortsOf<D> = Pick<D, Extract<keyof D, keyof SdkPorts>>;

/** A lease-guarded step proves and leaves the VPG's lease: it needs the lease store whether or not its core function reads it. */
export type LeaseNeeds<L extends LeasePolicy> = L extends 'none' ? unknown : Pick<StepDeps, 'lease'>;

export interface StepOptions<D, L extends LeasePolicy> {
  /**
   * How the step relates to the VPG's lease (runtime/handlers/lease-step.ts).
   * @default 'none'
   */
  readonly lease?: L;
  /** Builds the SDK-backed ports the step uses, once per container, from its validated environment. */
  readonly ports: (env: StepEnv) => PortsOf<D> & LeaseNeeds<L>;
}

/** A step's entry point: the event, and the Lambda context when Lambda gives it (its request id goes on each log line). */
export type StepHandler<R> = (event: unknown, context?: LambdaContext) => Promise<R>;

export interface StepDefinition<D, R> {
  /** The Lambda entry point, with the real AWS dependencies. */
  readonly handler: StepHandler<R>;
  /** The same handler over given dependencies (tests, the offline cloud). */
  readonly withDeps: (deps: D | (() => D)) => StepHandler<R>;
}

/** What differs between the sync's steps and the failback's: which fields their log lines carry, and whose lease they use. */
export interface StepKind {
  readonly logContext: (step: string, event: unknown, input: unknown) => LogFields;
  readonly leaseUse: (event: unknown) => LeaseUse | undefined;
}

const SYNC_KIND: StepKind = { logContext: (step, event) => stepLogContext(step, event), leaseUse: syncLeaseUse };

/** The container's dependencies, built at the first call; a bad environment throws here, naming the variable. */
function coldStart<D extends StepBasics>(ports: (env: StepEnv) => unknown): () => D {
  let built: D | undefined;
  return () => {
    if (!built) {
      const env = parseStepEnv(process.env);
      const basics: StepBasics = {
        env,
        log: jsonLog({ site: env.siteId }),
        now: () => new Date(),
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      };
      // D is StepBasics plus the ports `ports` returns (StepOptions says so); TypeScript cannot follow a generic spread
      built = { ...basics, ...(ports(env) as object) } as D;
    }
    return built;
  };
}

/** The defineStep of one kind of step (the sync's here, the failback's in failback-step-runtime.ts). */
export function stepDefiner(kind: StepKind) {
  return function defineStepOfKind<S extends z.ZodType, D extends StepBasics, R, L extends LeasePolicy = 'none'>(
    step: string,
    schema: S,
    run: (input: z.output<S>, deps: D) => Promise<R>,
    options: StepOptions<D, L>,
  ): StepDefinition<D & LeaseNeeds<L>, R> {
    const policy: LeasePolicy = options.lease ?? 'none';
    const withDeps =
      (deps: (D & LeaseNeeds<L>) | (() => D & LeaseNeeds<L>)) =>
      async (event: unknown, context?: LambdaContext): Promise<R> => {
        const base = typeof deps === 'function' ? deps() : deps;
        const input = parseStepInput(schema, event, step);
        const log = invocationLog(base.log, kind.logContext(step, event, input), context);
        try {
          assertOwnVpg(base, event);
          return await underLease(policy, kind.leaseUse(event), { ...base, log }, (d) => run(input, d));
        } catch (err) {
          log.warn('step failed', { error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
          throw err;
        }
      };
    return { handler: withDeps(coldStart(options.ports)), withDeps };
  };
}

/** A sync step (or the sweeper): its log lines carry the sync's fields, it uses the sync's lease. */
export const defineStep = stepDefiner(SYNC_KIND);

/**
 * Each VPG has its own step functions (LIFEBOAT_VPG in their environment): one refuses an event for another VPG,
 * so a mis-wired or hand-made input cannot act on another VPG's resources with this VPG's role.
 */
export function assertOwnVpg(deps: Pick<StepDeps, 'env'>, event: unknown): void {
  const own = (deps.env as { vpg?: string }).vpg;
  const asked = (event as { vpg?: { name?: unknown } } | null)?.vpg?.name;
  if (own && asked !== undefined && asked !== own) {
    throw new InvalidInput(`this step function serves VPG ${own}; it refuses an input for VPG ${JSON.stringify(asked)}`);
  }
}
