/**
 * The state machines' contracts hold their payloads once: the types come from the zod schemas, and the result paths
 * and Pass parameters the constructs, tests and CLI use are checked against them. The `@ts-expect-error` lines are
 * the test that a renamed key fails `tsc` (`npm test` runs `tsc --noEmit` first): if a path they name became valid,
 * the directive itself would be an error. The expectations check the values the constructs put in the definitions.
 */
import { failbackPath, failbackResult, importerPath, type FailbackInit, type PrepareOutput } from '../../runtime/core/failback/contract';
import { prepareOutputSchema } from '../../runtime/core/failback/schemas';
import type { StateFields } from '../../runtime/core/json-path';
import { lambdaEnvironment, STEP_ENV, stepEnvSchema } from '../../runtime/core/step-env';
import { syncPath, syncResult, zsatPath, type PlanOutput, type SyncInput } from '../../runtime/core/sync/contract';
import { planOutputSchema } from '../../runtime/core/sync/schemas';

describe('sync contract', () => {
  it('accepts the paths of the sync state and returns them as written', () => {
    expect(syncPath('$.plan.zsatsAtOnce')).toBe('$.plan.zsatsAtOnce');
    expect(syncPath('$.request.continuationOf.plan')).toBe('$.request.continuationOf.plan');
    expect(zsatPath('$.zsat.handOver')).toBe('$.zsat.handOver');
    expect(syncResult('handover')).toBe('$.handover');
  });

  it('refuses, at compile time, a path or result key the contract does not have', () => {
    // @ts-expect-error plan has zsatsAtOnce, not zsatAtOnce
    expect(syncPath('$.plan.zsatAtOnce')).toBe('$.plan.zsatAtOnce');
    // @ts-expect-error a zSAT's state is inside the Map iteration, not in the sync's state
    expect(syncPath('$.zsat.done')).toBe('$.zsat.done');
    // @ts-expect-error the result key is handover
    expect(syncResult('handOver')).toBe('$.handOver');
    const init = { vpg: 1, executionId: 1, stateMachineArn: 1, startedAt: 1, request: 1 } satisfies StateFields<SyncInput>;
    expect(Object.keys(init)).toHaveLength(5);
    // @ts-expect-error a Pass state's parameters must name every key of the state it builds, and no other
    const misspelt = { vpg: 1, executionID: 1, stateMachineArn: 1, startedAt: 1, request: 1 } satisfies StateFields<SyncInput>;
    expect(misspelt.executionID).toBe(1);
  });

  it('derives the payload types from the schemas: what a schema parses is the type the steps use', () => {
    const plan: PlanOutput = planOutputSchema.parse({ zsats: [{ index: 0, jobKey: 'k', sourceVolumeIds: ['vol-1'] }], blocksPlanned: 3, zsatsAtOnce: 1 });
    expect(plan.zsats[0]?.sourceVolumeIds).toEqual(['vol-1']);
    // @ts-expect-error PlanOutput has no key the schema lacks
    expect(plan.blocksRead).toBeUndefined();
  });
});

describe('failback contract', () => {
  it('accepts the paths of the failback state', () => {
    expect(failbackPath('$.prepare.importers')).toBe('$.prepare.importers');
    expect(importerPath('$.importer.waitSeconds')).toBe('$.importer.waitSeconds');
    expect(failbackResult('result')).toBe('$.result');
  });

  it('refuses, at compile time, what the contract does not have', () => {
    // @ts-expect-error resolve has importId, not importID
    expect(failbackPath('$.resolve.importID')).toBe('$.resolve.importID');
    // @ts-expect-error the importer's state lives in the RunImporters iteration
    expect(failbackPath('$.importer.done')).toBe('$.importer.done');
    const fields = { vpg: 1, recovery: 1, syncStateMachineArn: 1, executionId: 1, stateMachineArn: 1, startedAt: 1, request: 1 };
    // @ts-expect-error a FailbackInit has no mode of its own (Resolve decides it)
    const init = { ...fields, mode: 1 } satisfies StateFields<FailbackInit>;
    expect(init.mode).toBe(1);
    const prepared: PrepareOutput = prepareOutputSchema.parse({
      checkpointId: 'cp-1',
      checkpointTime: 't',
      availabilityZone: 'az',
      volumes: [],
      importers: [],
    });
    expect(prepared.importers).toEqual([]);
  });
});

describe('Lambda environments', () => {
  it('builds a step environment with the variables the schema requires, leaving out unset optional ones', () => {
    const env = lambdaEnvironment(stepEnvSchema, {
      [STEP_ENV.siteId]: 'site-a',
      [STEP_ENV.bucket]: 'bucket',
      [STEP_ENV.zsatLaunchTemplate]: 'lt',
      [STEP_ENV.vpg]: undefined,
    });
    expect(env).toEqual({ LIFEBOAT_SITE_ID: 'site-a', LIFEBOAT_BUCKET: 'bucket', LIFEBOAT_ZSAT_LAUNCH_TEMPLATE: 'lt' });
    expect(stepEnvSchema.parse(env).siteId).toBe('site-a');
  });

  it("refuses, at compile time, an environment missing a required variable or setting Lambda's reserved AWS_REGION", () => {
    // @ts-expect-error LIFEBOAT_BUCKET is required
    expect(lambdaEnvironment(stepEnvSchema, { [STEP_ENV.siteId]: 's', [STEP_ENV.zsatLaunchTemplate]: 'lt' })).toEqual({
      LIFEBOAT_SITE_ID: 's',
      LIFEBOAT_ZSAT_LAUNCH_TEMPLATE: 'lt',
    });
    const required = { [STEP_ENV.siteId]: 's', [STEP_ENV.bucket]: 'b', [STEP_ENV.zsatLaunchTemplate]: 'lt' };
    // @ts-expect-error AWS_REGION is Lambda's own: a function may not set it
    const withRegion = lambdaEnvironment(stepEnvSchema, { ...required, AWS_REGION: 'x' });
    expect(withRegion.AWS_REGION).toBe('x');
  });
});
