/** Template tests of the failback state machine against its contract, and of the IAM each VPG adds for it. */
import type { Template } from 'aws-cdk-lib/assertions';
import { FAILBACK_STATE, FAILBACK_STEPS, failbackPath, failbackResult } from '../../runtime/core/failback/contract';
import { FULL_CONFIG, SITE, synthesize } from './synth-fixture';
import { actionsOf, allStates, flatten, policyStatements, resourcesOf } from './template-helpers';
import { failbackStateMachineName, vpgStepFunctionName } from '../../runtime/core/resource-names';

let site: Template;
let web: Template;
let db: Template;

/** The failback machine's ASL (a VPG stack has two machines: pick it by name). */
function failbackDefinition(template: Template, vpg: string): Record<string, any> {
  const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  const machine = machines.find((m) => m.Properties.StateMachineName === failbackStateMachineName(SITE, vpg))!;
  expect(machine).toBeDefined();
  const join = machine.Properties.DefinitionString['Fn::Join'] as [string, unknown[]];
  const text = join[1].map((part) => (typeof part === 'string' ? part : JSON.stringify(flatten(part)).slice(1, -1))).join(join[0]);
  return JSON.parse(text);
}

beforeAll(() => {
  const full = synthesize(FULL_CONFIG);
  site = full.site;
  [web, db] = full.vpgs;
});

describe('failback state machine', () => {
  let definition: Record<string, any>;
  let states: Record<string, any>;
  beforeAll(() => {
    definition = failbackDefinition(web, 'web');
    states = allStates(definition);
  });

  it('has exactly the contract states, in JSONPath, starting at Init', () => {
    expect(Object.keys(states).sort()).toEqual(Object.values(FAILBACK_STATE).sort());
    expect(definition.StartAt).toBe(FAILBACK_STATE.init);
    expect(definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
  });

  it('embeds the VPG, its recovery plan and its sync machine, and passes the whole input as the request', () => {
    const params = states[FAILBACK_STATE.init].Parameters;
    expect(params.vpg.name).toBe('web');
    expect(params.recovery).toEqual({ maxImporters: 8, volumesPerImporter: 4 });
    expect(params['request.$']).toBe('$');
    expect(params['executionId.$']).toBe('$$.Execution.Id');
    expect(params.syncStateMachineArn).toMatch(/\{Ref:SyncStateMachine/);
  });

  it('runs the importers in a Map bounded by importer.maxZsats', () => {
    const map = states[FAILBACK_STATE.runImporters];
    expect(map.Type).toBe('Map');
    expect(map.MaxConcurrency).toBe(8);
    expect(map.ItemsPath).toBe(failbackPath('$.prepare.importers'));
  });

  it('routes every task outside the cleanup to CleanupFailed, which ends in Fail', () => {
    const tasks = Object.entries(states).filter(([, s]) => s.Type === 'Task' || s.Type === 'Map');
    const inMap = new Set<string>([FAILBACK_STATE.spawnImporter, FAILBACK_STATE.pollImporter]);
    for (const [name, s] of tasks) {
      if (name === FAILBACK_STATE.cleanupFailed || inMap.has(name)) continue;
      expect({ name, catch: s.Catch?.[0]?.Next }).toEqual({ name, catch: FAILBACK_STATE.cleanupFailed });
    }
    expect(states[FAILBACK_STATE.cleanupFailed].Next).toBe(FAILBACK_STATE.failed);
    expect(states[FAILBACK_STATE.failed]).toMatchObject({ Type: 'Fail', CausePath: failbackPath('$.error.Cause') });
    expect(states[FAILBACK_STATE.succeeded]).toMatchObject({ Type: 'Succeed', OutputPath: failbackResult('result') });
  });

  it('live mode goes through StopSources and FinalSync before Prepare; test mode straight to Prepare', () => {
    const choice = states[FAILBACK_STATE.liveOrTest];
    expect(choice.Choices[0]).toMatchObject({ Variable: failbackPath('$.resolve.mode'), StringEquals: 'live', Next: FAILBACK_STATE.stopSources });
    expect(choice.Default).toBe(FAILBACK_STATE.prepare);
    expect(states[FAILBACK_STATE.finalSyncDone].Choices[0].Next).toBe(FAILBACK_STATE.prepare);
  });
});

describe('failback steps', () => {
  it("deploys one function per step in each VPG stack, named for the VPG, run by the VPG's own Task states", () => {
    for (const [template, vpg] of [
      [web, 'web'],
      [db, 'db'],
    ] as const) {
      const functions = template.findResources('AWS::Lambda::Function');
      const idByName = new Map(Object.entries(functions).map(([id, f]) => [f.Properties.FunctionName as string, id]));
      const tasks = Object.values(allStates(failbackDefinition(template, vpg)))
        .filter((st) => st.Type === 'Task')
        .map((st) => st.Resource as string);
      for (const step of FAILBACK_STEPS) {
        const id = idByName.get(vpgStepFunctionName(SITE, vpg, step));
        expect({ step, deployed: id !== undefined, used: tasks.includes(`{GetAtt:${id}.Arn}`) }).toEqual({ step, deployed: true, used: true });
      }
    }
    expect(Object.values(site.findResources('AWS::Lambda::Function')).map((f) => f.Properties.FunctionName)).not.toContain(
      vpgStepFunctionName(SITE, 'web', 'failback-launch'),
    );
  });

  it('starts and follows only its own VPG sync (the grants are checked in vpg-step-roles.test.ts)', () => {
    const start = policyStatements(db).find((s) => s.Sid === 'FinalSyncStart')!;
    expect(actionsOf(start)).toEqual(['states:StartExecution']);
    expect(resourcesOf(start).map(flatten)).toEqual([expect.stringMatching(/:stateMachine:lifeboat-site-t-db-sync$/)]);
  });
});
