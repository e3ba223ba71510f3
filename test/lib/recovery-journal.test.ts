/**
 * A split site compacts its journal in the recovery site (lib/journal-state-machine.ts): the protected stacks hold no
 * role that IAM lets delete a checkpoint, a summary, a pack or an index (their own policies alone, without the
 * bucket's Deny), the sync there has no CompactJournal, and the VPG's Recovery stack holds the journal state machine,
 * its schedule and its role, which can tell whether the lease's holders still run in either region.
 */
process.env.CDK_VALIDATION = 'false';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { parseConfig } from '../../lib/config';
import { addLifeboat } from '../../lib/lifeboat-app';
import { JOURNAL_STATE } from '../../runtime/core/journal/contract';
import { SYNC_STATE } from '../../runtime/core/sync/contract';
import { defaultReplicaBucketName, journalStateMachineName, vpgStepFunctionName } from '../../runtime/core/resource-names';
import { ACCOUNT, PARTITION } from './iam-resolve';
import { decide, decisions } from './iam-decide';
import { problems as configProblems } from './config-problems';
import { STUB_SOURCES, allStates, flatten, rendered, renderedDefinition, roleId, roleStatements } from './template-helpers';

const config = parseConfig(
  { siteId: 'dr', vpgs: [{ name: 'web', instances: { tags: { app: 'web' } }, syncIntervalMinutes: 30 }], recoverySite: { region: 'eu-west-1' } },
  'test',
);
const stacks = addLifeboat(new App(), config, { ...STUB_SOURCES, env: { region: 'us-east-1' } });
const protectedVpg = Template.fromStack(stacks.vpgs[0]);
const protectedSite = Template.fromStack(stacks.protectedSite!);
const recoveryVpg = Template.fromStack(stacks.recoveryVpgs[0]);
const whole = Template.fromStack(
  addLifeboat(new App(), parseConfig({ siteId: 'dr', vpgs: [{ name: 'web', instances: { tags: { app: 'web' } } }] }, 't'), STUB_SOURCES).vpgs[0],
);

const object = (key: string) => `arn:${PARTITION}:s3:::${defaultReplicaBucketName('dr', ACCOUNT, 'eu-west-1')}/${key}`;
const STORED = {
  checkpoint: 'vpgs/web/checkpoints/cp-20260101T000000Z-a.json',
  summary: 'vpgs/web/checkpoints/cp-20260101T000000Z-a.summary.json',
  pack: `vpgs/web/packs/${'ab'.repeat(32)}.pack`,
  index: `vpgs/web/packs/${'ab'.repeat(32)}.idx.json`,
  marker: 'vpgs/web/journal/compaction.json',
};

const roleIds = (t: Template) => Object.keys(t.findResources('AWS::IAM::Role'));
const statesOf = (t: Template, name: string) => {
  const [id] = Object.entries(t.findResources('AWS::StepFunctions::StateMachine')).find(([, r]) => r.Properties.StateMachineName === name)!;
  const only = Template.fromJSON({ Resources: { [id]: t.toJSON().Resources[id] } });
  return { definition: renderedDefinition(only), states: allStates(renderedDefinition(only)) };
};

describe('a split site compacts its journal in the recovery site', () => {
  it('gives no role of the protected stacks a delete of a checkpoint, a summary, a pack, an index or the marker (its own policies alone)', async () => {
    const cases: Record<string, () => ReturnType<typeof decide>> = {};
    for (const [stack, t] of [
      ['vpg', protectedVpg],
      ['site', protectedSite],
    ] as const) {
      for (const id of roleIds(t))
        for (const [what, key] of Object.entries(STORED)) cases[`${stack}/${id} ${what}`] = () => decide(t, id, 's3:DeleteObject', object(key));
    }
    expect(Object.keys(cases).length).toBeGreaterThan(10);
    const got = await decisions(cases);
    expect(Object.entries(got).filter(([, d]) => d === 'Allowed')).toEqual([]);
  });

  it('holds no compaction role and no compact-journal function on the protected side', () => {
    expect(roleIds(protectedVpg).filter((id) => id.startsWith('StepRolesCompaction'))).toEqual([]);
    const names = Object.values(protectedVpg.findResources('AWS::Lambda::Function')).map((f) => f.Properties.FunctionName);
    expect(names).not.toContain(vpgStepFunctionName('dr', 'web', 'compact-journal'));
    expect(names).toContain(vpgStepFunctionName('dr', 'web', 'commit'));
  });

  it('syncs with no CompactJournal: Commit goes straight to Cleanup (a whole site keeps it)', () => {
    const sync = renderedDefinition(protectedVpg);
    expect(Object.keys(allStates(sync))).not.toContain(SYNC_STATE.compactJournal);
    expect(allStates(sync)[SYNC_STATE.commit].Next).toBe(SYNC_STATE.cleanup);
    expect(allStates(renderedDefinition(whole))[SYNC_STATE.commit].Next).toBe(SYNC_STATE.compactJournal);
  });

  it('runs the journal state machine in the Recovery stack: Begin → CompactJournal → Release, a skip on a held lease, a timeout, its logs', () => {
    const { definition, states } = statesOf(recoveryVpg, journalStateMachineName('dr', 'web'));
    expect(definition.StartAt).toBe(JOURNAL_STATE.init);
    expect(definition.TimeoutSeconds).toBe(3 * (360 + 600));
    expect(states[JOURNAL_STATE.begin].Next).toBe(JOURNAL_STATE.compactOrSkip);
    expect(states[JOURNAL_STATE.compactOrSkip].Choices).toEqual([{ Variable: '$.begin.skipped', BooleanEquals: true, Next: JOURNAL_STATE.skipped }]);
    expect(states[JOURNAL_STATE.skipped].Type).toBe('Succeed');
    expect(states[JOURNAL_STATE.compact].Next).toBe(JOURNAL_STATE.release);
    expect(states[JOURNAL_STATE.compact].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: JOURNAL_STATE.releaseAfterFailure }]);
    expect(states[JOURNAL_STATE.releaseAfterFailure].Next).toBe(JOURNAL_STATE.failed);
    for (const [state, fn] of [
      [JOURNAL_STATE.begin, 'JournalStepsJournalBegin'],
      [JOURNAL_STATE.compact, 'JournalStepsJournalCompact'],
      [JOURNAL_STATE.release, 'JournalStepsJournalRelease'],
      [JOURNAL_STATE.releaseAfterFailure, 'JournalStepsJournalRelease'],
    ]) {
      expect(flatten(states[state].Resource)).toContain(fn);
    }
    recoveryVpg.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: journalStateMachineName('dr', 'web'),
      LoggingConfiguration: { Level: 'ERROR' },
    });
    recoveryVpg.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: `/aws/vendedlogs/states/${journalStateMachineName('dr', 'web')}` });
  });

  it("alarms on a failed journal run, to the recovery region's alert topic", () => {
    recoveryVpg.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'lifeboat-dr-web-journal-failed',
      MetricName: 'ExecutionsFailed',
      Threshold: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('starts a journal run every hour', () => {
    const rules = Object.values(recoveryVpg.findResources('AWS::Events::Rule'));
    expect(rules.map((r) => r.Properties.ScheduleExpression)).toEqual(['rate(1 hour)']);
    expect(flatten(rules[0].Properties.Targets)).toMatch(/Journal/);
  });

  it("runs the journal's steps with the recovery site's compaction role, which may delete what compaction drops and describe every lease holder", async () => {
    const fns = Object.values(recoveryVpg.findResources('AWS::Lambda::Function')).filter((f) => /-journal-/.test(String(f.Properties.FunctionName)));
    expect(fns.map((f) => f.Properties.FunctionName).sort()).toEqual(
      ['journal-begin', 'journal-compact', 'journal-release'].map((s) => vpgStepFunctionName('dr', 'web', s)),
    );
    const compaction = roleId(recoveryVpg, 'StepRolesCompaction');
    for (const f of fns) expect(f.Properties.Role).toEqual({ 'Fn::GetAtt': [compaction, 'Arn'] });
    expect(recoveryVpg.findResources('AWS::IAM::Role')[compaction].Properties.Path).toBeUndefined();
    const got = await decisions({
      checkpoint: () => decide(recoveryVpg, 'StepRolesCompaction', 's3:DeleteObject', object(STORED.checkpoint)),
      pack: () => decide(recoveryVpg, 'StepRolesCompaction', 's3:DeleteObject', object(STORED.pack)),
    });
    expect(got).toEqual({ checkpoint: 'Allowed', pack: 'Allowed' });
    const described = roleStatements(recoveryVpg, 'StepRolesCompaction').find((s) => s.Sid === 'LeaseHolderState')!;
    expect(rendered([described])[0].resources).toEqual([
      expect.stringMatching(/:states:us-east-1:.*:execution:lifeboat-dr-web-sync:\*$/),
      expect.stringMatching(/:states:eu-west-1:.*:execution:lifeboat-dr-web-failback:\*$/),
      expect.stringMatching(/:states:eu-west-1:.*:execution:lifeboat-dr-web-journal:\*$/),
    ]);
    // its steps never list executions (a sync's do, to name their leftovers)
    expect(roleStatements(recoveryVpg, 'StepRolesCompaction').map((s) => s.Sid)).not.toContain('ListSyncs');
  });

  it("lets the protected sync's Begin ask whether a journal run in the recovery region still holds the lease", () => {
    const described = roleStatements(protectedVpg, 'StepRolesSync').find((s) => s.Sid === 'LeaseHolderState')!;
    expect(rendered([described])[0].resources).toContainEqual(expect.stringMatching(/:states:eu-west-1:.*:execution:lifeboat-dr-web-journal:\*$/));
    // a whole site has no journal state machine to name
    expect(flatten(roleStatements(whole, 'StepRolesSync'))).not.toMatch(/-journal/);
  });

  it("refuses two VPGs whose names give one journal step's function name in a split site, and not in one region", () => {
    const vpgs = [
      { name: 'web', instances: { tags: { app: 'web' } } },
      { name: 'web-journal', instances: { tags: { app: 'w2' } } },
    ];
    expect(configProblems({ siteId: 'dr', vpgs, recoverySite: { region: 'eu-west-1' } })).toContainEqual(
      expect.stringMatching(/"web-journal" gives the "begin" step function the Lambda function name "lifeboat-dr-web-journal-begin", which VPG "web"/),
    );
    expect(() => parseConfig({ siteId: 'dr', vpgs }, 't')).not.toThrow();
  });
});
