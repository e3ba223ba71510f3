/**
 * Every state machine of the app has a TimeoutSeconds (issue 15, item 7): an execution stuck outside its loops
 * ends instead of holding the VPG's lease and costing for up to Step Functions' one year. The sync's must
 * leave room for a whole execution's history budget; the failback's for its final sync on top.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { failbackExecutionTimeoutSeconds, syncExecutionTimeoutSeconds } from '../../runtime/core/sync/history-budget';
import { FULL_CONFIG, SITE, synthesize } from './synth-fixture';
import { flatten } from './template-helpers';
import { failbackStateMachineName, syncStateMachineName } from '../../runtime/core/resource-names';

/** Each state machine's rendered definition, by its StateMachineName. */
function definitions(template: Template): Map<string, Record<string, any>> {
  const out = new Map<string, Record<string, any>>();
  for (const machine of Object.values(template.findResources('AWS::StepFunctions::StateMachine'))) {
    const join = machine.Properties.DefinitionString['Fn::Join'] as [string, unknown[]];
    const text = join[1].map((part) => (typeof part === 'string' ? part : JSON.stringify(flatten(part)).slice(1, -1))).join(join[0]);
    out.set(String(machine.Properties.StateMachineName), JSON.parse(text));
  }
  return out;
}

describe('state machine timeouts', () => {
  const full = synthesize(FULL_CONFIG);
  const all = new Map([full.site, ...full.vpgs].flatMap((t) => [...definitions(t)]));

  it('every state machine in every stack has a TimeoutSeconds under one year', () => {
    // two VPGs: a sync and a failback machine each
    expect(all.size).toBeGreaterThanOrEqual(4);
    for (const [name, definition] of all) {
      const timeout = definition.TimeoutSeconds;
      expect({ name, positive: typeof timeout === 'number' && timeout > 0, underAYear: Number(timeout) <= 365 * 24 * 3600 }).toEqual({
        name,
        positive: true,
        underAYear: true,
      });
    }
  });

  it("the sync's timeout outlasts one execution's budget of snapshot checks and zSAT polls; the failback's adds its final sync", () => {
    const sync = all.get(syncStateMachineName(SITE, 'web'))!;
    const failback = all.get(failbackStateMachineName(SITE, 'web'))!;
    // the runtime the sync embeds in Init (pollSeconds, heartbeatTimeoutSeconds), as the steps see it
    const vpg = sync.States.Init.Parameters.vpg;
    const expected = syncExecutionTimeoutSeconds(vpg, 360);
    expect(sync.TimeoutSeconds).toBeGreaterThanOrEqual(expected);
    // a whole day at least: a continuation takes over long before this fires on a healthy read
    expect(sync.TimeoutSeconds).toBeGreaterThan(24 * 3600);
    expect(failback.TimeoutSeconds).toBeGreaterThan(sync.TimeoutSeconds as number);
    expect(failback.TimeoutSeconds).toBeLessThanOrEqual(failbackExecutionTimeoutSeconds(vpg, 3600));
  });
});
