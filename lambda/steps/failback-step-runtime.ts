/**
 * defineStep for the failback steps: the sync's step dependencies plus the recovery adapters (EC2 blank
 * volumes, snapshots, stops, launches; the VPG's sync runs), built once per Lambda container.
 */
import type { z } from 'zod';
import type { FailbackDeps } from '../core/failback/recovery-ports';
import { parseStepInput } from '../core/sync-schemas';
import { Ec2Recovery } from '../aws/ec2-recovery';
import { StepFunctionsSyncRuns } from '../aws/sfn-sync-runs';
import { assertOwnVpg, awsDeps, type StepDefinition, type StepOptions } from './step-runtime';
import { failbackLeaseUse, underLease } from './lease-step';
import { withFields } from './step-log';

let coldStartDeps: FailbackDeps | undefined;

export function awsFailbackDeps(): FailbackDeps {
  coldStartDeps ??= { ...awsDeps(), recovery: new Ec2Recovery(), syncRuns: new StepFunctionsSyncRuns() };
  return coldStartDeps;
}

function logContext(step: string, input: unknown): Record<string, unknown> {
  const i = input as { vpg?: { name?: string }; executionId?: string; importId?: string; resolve?: { importId?: string } };
  return { step, vpg: i.vpg?.name, execution: i.executionId, importId: i.importId ?? i.resolve?.importId };
}

export function defineFailbackStep<S extends z.ZodType, R>(
  step: string,
  schema: S,
  run: (input: z.output<S>, deps: FailbackDeps) => Promise<R>,
  options: StepOptions = {},
): StepDefinition<R> & { withFailbackDeps: (deps: FailbackDeps | (() => FailbackDeps)) => (event: unknown) => Promise<R> } {
  const withFailbackDeps = (deps: FailbackDeps | (() => FailbackDeps)) => async (event: unknown): Promise<R> => {
    const base = typeof deps === 'function' ? deps() : deps;
    const input = parseStepInput(schema, event, step);
    const log = withFields(base.log, logContext(step, input));
    try {
      assertOwnVpg(base, event);
      return await underLease(options.lease ?? 'none', failbackLeaseUse(event), { ...base, log }, (d) => run(input, { ...base, ...d, log }));
    } catch (err) {
      log.warn('step failed', { error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
      throw err;
    }
  };
  return {
    handler: withFailbackDeps(awsFailbackDeps),
    withFailbackDeps,
    // the sync's signature: only usable with full failback deps
    withDeps: (deps) => withFailbackDeps(deps as FailbackDeps | (() => FailbackDeps)),
  };
}
