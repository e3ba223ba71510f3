/**
 * Template tests of the VPG stacks: the sync state machine's shape against the contract, its schedule, its own
 * step functions, and IAM across the app's stacks (ownership conditions); each role's own statements are in
 * vpg-step-roles.test.ts.
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { SYNC_STATE, SYNC_STEPS, syncPath, syncResult, zsatPath, zsatResult, type SyncStep } from '../../runtime/core/sync/contract';
import { TAG, zertoTagFor } from '../../runtime/core/tags';
import { pascalCase } from '../../lib/step-lambdas';
import { FULL_CONFIG, SITE, synthesize } from './synth-fixture';
import { actionsOf, allStates, flatten, policyStatements, renderedDefinition, resourcesOf, type Statement } from './template-helpers';
import { syncStateMachineName, vpgStepFunctionName } from '../../runtime/core/resource-names';

let site: Template;
let web: Template;
let db: Template;

beforeAll(() => {
  const full = synthesize(FULL_CONFIG);
  site = full.site;
  [web, db] = full.vpgs;
});

describe('sync state machine', () => {
  let definition: Record<string, any>;
  let states: Record<string, any>;
  beforeAll(() => {
    definition = renderedDefinition(web);
    states = allStates(definition);
  });

  it('is named by the contract and has every state of the contract', () => {
    web.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: syncStateMachineName(SITE, 'web'),
      LoggingConfiguration: Match.objectLike({ Level: 'ERROR' }),
    });
    expect(Object.keys(states).sort()).toEqual(Object.values(SYNC_STATE).sort());
    expect(definition.StartAt).toBe(SYNC_STATE.init);
    expect(definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
  });

  it('embeds the VPG runtime and the execution context in Init', () => {
    const params = states[SYNC_STATE.init].Parameters;
    expect(params.vpg).toMatchObject({ name: 'web', instanceTags: { app: 'web' }, syncIntervalMinutes: 10, maxZsats: 12, volumesPerZsat: 4, pollSeconds: 30 });
    expect(params.vpg.agentInstanceProfileArn).toMatch(/^\{GetAtt:ZsatAgentInstanceProfile.*\.Arn\}$/);
    expect(params.vpg.importerInstanceProfileArn).toMatch(/^\{GetAtt:ImporterAgentInstanceProfile.*\.Arn\}$/);
    // the roles that use the volumes' KMS keys, for lifeboat doctor's key-policy check
    expect(params.vpg.syncStepRoleArn).toMatch(/^\{GetAtt:StepRolesSync[0-9A-F]+\.Arn\}$/);
    expect(params.vpg.failbackStepRoleArn).toMatch(/^\{GetAtt:StepRolesFailback[0-9A-F]+\.Arn\}$/);
    // the site's bucket by its default name, built from this stack's own account and region: no import
    expect(params.vpg.storeBucket).toBe(`lifeboat-${SITE}-{Ref:AWS::AccountId}-{Ref:AWS::Region}`);
    expect(params).toMatchObject({ 'executionId.$': '$$.Execution.Id', 'stateMachineArn.$': '$$.StateMachine.Id', 'startedAt.$': '$$.Execution.StartTime' });
  });

  it("runs each step on the VPG's own function and puts its output at the contract path", () => {
    const expected: Record<string, [string, string]> = {
      [SYNC_STATE.begin]: ['begin', syncResult('begin')],
      [SYNC_STATE.createSnapshots]: ['create-snapshots', syncResult('snapshots')],
      [SYNC_STATE.checkSnapshots]: ['check-snapshots', syncResult('snapshots')],
      [SYNC_STATE.plan]: ['plan', syncResult('plan')],
      [SYNC_STATE.spawnZsat]: ['spawn-zsat', zsatResult('zsat')],
      [SYNC_STATE.pollZsat]: ['poll-zsat', zsatResult('zsat')],
      [SYNC_STATE.handOver]: ['continue-sync', syncResult('handover')],
      [SYNC_STATE.commit]: ['commit', syncResult('commit')],
      [SYNC_STATE.compactJournal]: ['compact-journal', syncResult('journal')],
      [SYNC_STATE.cleanup]: ['cleanup', syncResult('cleanup')],
      [SYNC_STATE.cleanupFailed]: ['cleanup-failed', syncResult('cleanupFailed')],
    };
    for (const [name, [step, resultPath]] of Object.entries(expected)) {
      expect({ name, type: states[name].Type, resultPath: states[name].ResultPath }).toEqual({ name, type: 'Task', resultPath });
      // this VPG's own function, in this stack, named for the VPG
      const id = /^\{GetAtt:(SyncSteps[A-Za-z]+Function[0-9A-F]+)\.Arn\}$/.exec(states[name].Resource)?.[1];
      expect({ name, id: id?.startsWith(`SyncSteps${pascalCase(step)}Function`) }).toEqual({ name, id: true });
      expect(web.toJSON().Resources[id!].Properties.FunctionName).toBe(vpgStepFunctionName(SITE, 'web', step as SyncStep));
    }
  });

  it('retries throttling and crashed steps with backoff, and times every step out', () => {
    const tasks = Object.entries(states).filter(([, s]) => s.Type === 'Task');
    expect(tasks).toHaveLength(SYNC_STEPS.length);
    for (const [name, task] of tasks) {
      const throttling = task.Retry.find((r: any) => r.ErrorEquals.includes('Lambda.TooManyRequestsException'));
      expect({ name, backoff: throttling?.BackoffRate > 1, attempts: throttling?.MaxAttempts >= 3 }).toEqual({ name, backoff: true, attempts: true });
      expect(task.Retry.some((r: any) => r.ErrorEquals.includes('Lambda.ServiceException'))).toBe(true);
      expect(task.Retry.some((r: any) => r.ErrorEquals.includes('States.Timeout'))).toBe(true);
      expect(task.TimeoutSeconds).toBeGreaterThan(300);
    }
  });

  it('skips when Begin says so, and waits on the paths the steps set', () => {
    expect(states[SYNC_STATE.begin].Next).toBe(SYNC_STATE.syncOrSkip);
    expect(states[SYNC_STATE.syncOrSkip].Choices).toEqual([
      { Variable: syncPath('$.begin.skipped'), BooleanEquals: true, Next: SYNC_STATE.skipped },
      // a continuation (sync/continue.ts): the carried snapshots and plan into place, straight to the zSATs
      { Variable: syncPath('$.begin.resumed'), IsPresent: true, Next: SYNC_STATE.resume },
    ]);
    expect(states[SYNC_STATE.resume]).toMatchObject({ Type: 'Pass', Next: SYNC_STATE.runZsats });
    expect(states[SYNC_STATE.resume].Parameters).toMatchObject({
      'snapshots.$': syncPath('$.request.continuationOf.snapshots'),
      'plan.$': syncPath('$.request.continuationOf.plan'),
    });
    expect(states[SYNC_STATE.syncOrSkip].Default).toBe(SYNC_STATE.createSnapshots);
    expect(states[SYNC_STATE.skipped].Type).toBe('Succeed');
    expect(states[SYNC_STATE.waitSnapshots]).toMatchObject({ Type: 'Wait', SecondsPath: syncPath('$.snapshots.waitSeconds'), Next: SYNC_STATE.checkSnapshots });
    expect(states[SYNC_STATE.snapshotsReady]).toMatchObject({
      Default: SYNC_STATE.waitSnapshots,
      Choices: [{ Variable: syncPath('$.snapshots.ready'), BooleanEquals: true, Next: SYNC_STATE.plan }],
    });
    expect(states[SYNC_STATE.waitZsat]).toMatchObject({ Type: 'Wait', SecondsPath: zsatPath('$.zsat.waitSeconds'), Next: SYNC_STATE.pollZsat });
    expect(states[SYNC_STATE.zsatDone]).toMatchObject({
      Default: SYNC_STATE.waitZsat,
      Choices: [
        { Variable: zsatPath('$.zsat.done'), BooleanEquals: true, Next: SYNC_STATE.zsatRead },
        // its history share spent: the iteration ends, HandOver continues the sync
        {
          And: [
            { Variable: zsatPath('$.zsat.handOver'), IsPresent: true },
            { Variable: zsatPath('$.zsat.handOver'), BooleanEquals: true },
          ],
          Next: SYNC_STATE.zsatRead,
        },
      ],
    });
    expect(states[SYNC_STATE.commit].Next).toBe(SYNC_STATE.compactJournal);
    // a compaction failure never fails a committed sync: it is recorded and cleanup goes on
    expect(states[SYNC_STATE.compactJournal]).toMatchObject({
      Next: SYNC_STATE.cleanup,
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: syncResult('journalError'), Next: SYNC_STATE.cleanup }],
    });
    expect(states[SYNC_STATE.cleanup].Next).toBe(SYNC_STATE.succeeded);
  });

  it("reads zSATs in an inline Map bounded by Plan's zSATs at once (maxZsats under the vCPU quota), each item carrying the VPG and the sync", () => {
    const map = states[SYNC_STATE.runZsats];
    expect(map).toMatchObject({
      Type: 'Map',
      ItemsPath: syncPath('$.plan.zsats'),
      MaxConcurrencyPath: syncPath('$.plan.zsatsAtOnce'),
      ResultPath: syncResult('zsats'),
      Next: SYNC_STATE.handOver,
    });
    expect(map.MaxConcurrency).toBeUndefined();
    // after the zSATs: either the sync continues in a new execution, or it commits
    expect(states[SYNC_STATE.handedOver]).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: syncPath('$.handover.continued'), BooleanEquals: true, Next: SYNC_STATE.continuedAsNew }],
      Default: SYNC_STATE.commit,
    });
    expect(states[SYNC_STATE.continuedAsNew].Type).toBe('Succeed');
    expect(map.ItemProcessor.ProcessorConfig?.Mode ?? 'INLINE').toBe('INLINE');
    expect(map.ItemSelector).toEqual({
      'vpg.$': syncPath('$.vpg'),
      'syncId.$': syncPath('$.begin.syncId'),
      'executionId.$': syncPath('$.executionId'),
      'lease.$': syncPath('$.begin.lease'),
      'zsat.$': '$$.Map.Item.Value',
      'volumes.$': syncPath('$.begin.volumes'),
      'snapshots.$': syncPath('$.snapshots.snapshots'),
    });
    expect(map.ItemProcessor.StartAt).toBe(SYNC_STATE.spawnOrResume);
    expect(states[SYNC_STATE.spawnOrResume]).toMatchObject({
      Choices: [{ Variable: zsatPath('$.zsat.resume'), IsPresent: true, Next: SYNC_STATE.resumeZsat }],
      Default: SYNC_STATE.spawnZsat,
    });
    expect(states[SYNC_STATE.resumeZsat]).toMatchObject({
      Type: 'Pass',
      InputPath: zsatPath('$.zsat.resume'),
      ResultPath: zsatResult('zsat'),
      Next: SYNC_STATE.zsatDone,
    });
    expect(states[SYNC_STATE.zsatRead]).toMatchObject({ Type: 'Succeed', OutputPath: zsatResult('zsat') });
    expect(allStates(renderedDefinition(db))[SYNC_STATE.runZsats].MaxConcurrencyPath).toBe(syncPath('$.plan.zsatsAtOnce'));
  });

  it('routes any failure after Begin to CleanupFailed, then fails with the original cause', () => {
    for (const name of [
      SYNC_STATE.createSnapshots,
      SYNC_STATE.checkSnapshots,
      SYNC_STATE.plan,
      SYNC_STATE.runZsats,
      SYNC_STATE.handOver,
      SYNC_STATE.commit,
      SYNC_STATE.cleanup,
    ]) {
      expect({ name, catch: states[name].Catch }).toEqual({
        name,
        catch: [{ ErrorEquals: ['States.ALL'], ResultPath: syncResult('error'), Next: SYNC_STATE.cleanupFailed }],
      });
    }
    expect(states[SYNC_STATE.cleanupFailed].Next).toBe(SYNC_STATE.failed);
    expect(states[SYNC_STATE.cleanupFailed].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: syncResult('cleanupError'), Next: SYNC_STATE.failed }]);
    expect(states[SYNC_STATE.failed]).toEqual({ Type: 'Fail', ErrorPath: syncPath('$.error.Error'), CausePath: syncPath('$.error.Cause') });
  });

  it('is started by a schedule at the VPG interval with an empty input', () => {
    web.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(10 minutes)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^SyncStateMachine') }, Input: '{}' })],
    });
    db.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 hour)' });
  });
});

describe('IAM across the app', () => {
  const all = () => [site, web, db].flatMap(policyStatements);
  const ec2Kind = (resource: unknown) => /:ec2:.*:([a-z-]+)\/[^/]*$/.exec(flatten(resource))?.[1];

  it('creates only tagged with our Owner, a VPG, a Lifeboat role and the ZERTO_TAG of the created kind; sources are read, not created', () => {
    const creates: Record<string, string[]> = {
      'ec2:RunInstances': ['instance', 'volume', 'network-interface'],
      'ec2:CreateVolume': ['volume'],
      'ec2:CreateSnapshot': ['snapshot'],
      'ec2:CreateSnapshots': ['snapshot'],
      'ec2:RegisterImage': ['image'],
    };
    const sources: Record<string, string[]> = {
      'ec2:RunInstances': ['image', 'snapshot', 'subnet', 'security-group', 'launch-template'],
      'ec2:CreateVolume': ['snapshot'],
      'ec2:CreateSnapshot': ['volume'],
      'ec2:CreateSnapshots': ['volume', 'instance'],
      'ec2:RegisterImage': ['snapshot'],
    };
    const seenCreated = new Set<string>();
    for (const s of all()) {
      for (const action of actionsOf(s).filter((a) => a in creates)) {
        for (const resource of resourcesOf(s)) {
          const kind = ec2Kind(resource);
          expect({ action, resource: flatten(resource), kind: kind ?? 'not an ec2 ARN' }).toEqual({
            action,
            resource: flatten(resource),
            kind: expect.any(String),
          });
          if (creates[action].includes(kind!)) {
            seenCreated.add(`${action}/${kind}`);
            const tags = s.Condition?.StringEquals ?? {};
            expect({
              action,
              kind,
              tags: Object.keys(tags)
                .filter((k) => k.startsWith('aws:RequestTag/'))
                .sort(),
            }).toEqual({
              action,
              kind,
              tags: [`aws:RequestTag/${TAG.owner}`, `aws:RequestTag/${TAG.zerto}`, `aws:RequestTag/${TAG.role}`, `aws:RequestTag/${TAG.vpg}`],
            });
            expect(tags[`aws:RequestTag/${TAG.owner}`]).toBe(SITE);
            expect(tags[`aws:RequestTag/${TAG.zerto}`]).toBe(
              zertoTagFor(
                tags[`aws:RequestTag/${TAG.role}`] as 'zsat',
                // a failback's snapshots carry their volume's value (failback/recovered.ts)
                kind === 'snapshot' && ['zimporter', 'recovered-vm'].includes(String(tags[`aws:RequestTag/${TAG.role}`])) ? 'volume' : (kind as 'volume'),
              ),
            );
          } else {
            expect({ action, kind, source: sources[action].includes(kind!) }).toEqual({ action, kind, source: true });
          }
        }
      }
    }
    expect([...seenCreated].sort()).toEqual(
      Object.entries(creates)
        .flatMap(([a, kinds]) => kinds.map((k) => `${a}/${k}`))
        .sort(),
    );
  });

  it('RunInstances may use only the site launch templates', () => {
    const templates = all()
      .flatMap((s) => (actionsOf(s).includes('ec2:RunInstances') ? resourcesOf(s) : []))
      .map(flatten)
      .filter((r) => r.includes(':launch-template/'));
    expect(templates.length).toBeGreaterThan(0);
    for (const t of templates) expect(t).toMatch(/launch-template\/\{Import:Lifeboat-site-t:ExportsOutputRef(Zsat|Importer)LaunchTemplate/);
  });

  it('CreateTags only as part of our creates, in the two roles that create (sync, failback) of each VPG', () => {
    const tagging = all().filter((s) => actionsOf(s).some((a) => a === 'ec2:CreateTags'));
    const sync = ['CreateSnapshots', 'CreateVolume', 'RunInstances'];
    const failback = ['CreateSnapshot', 'CreateVolume', 'RegisterImage', 'RunInstances'];
    expect(tagging.map((s) => ({ policy: s.policy.replace(/DefaultPolicy.*$/, ''), actions: actionsOf(s), condition: s.Condition }))).toEqual([
      { policy: 'StepRolesSync', actions: ['ec2:CreateTags'], condition: { StringEquals: { 'ec2:CreateAction': sync } } },
      { policy: 'StepRolesFailback', actions: ['ec2:CreateTags'], condition: { StringEquals: { 'ec2:CreateAction': failback } } },
      { policy: 'StepRolesSync', actions: ['ec2:CreateTags'], condition: { StringEquals: { 'ec2:CreateAction': sync } } },
      { policy: 'StepRolesFailback', actions: ['ec2:CreateTags'], condition: { StringEquals: { 'ec2:CreateAction': failback } } },
    ]);
  });

  it('only Describe actions run on "*" in the step roles', () => {
    const wildcard = [web, db].flatMap(policyStatements).filter((s) => s.policy.startsWith('StepRoles') && resourcesOf(s).includes('*'));
    expect(wildcard.length).toBeGreaterThan(0);
    expect(wildcard.flatMap(actionsOf).every((a) => a.startsWith('ec2:Describe'))).toBe(true);
    expect(wildcard.flatMap(actionsOf)).toEqual(expect.arrayContaining(['ec2:DescribeInstances', 'ec2:DescribeVolumes', 'ec2:DescribeSnapshots']));
  });

  it("EBS direct reads only in the sync roles, only on the VPG's own snapshots", () => {
    const ebs = all().filter((s) => actionsOf(s).some((a) => a.startsWith('ebs:')));
    expect(ebs.map((s) => s.Condition)).toEqual([
      { StringEquals: { 'aws:ResourceTag/Owner': SITE, 'aws:ResourceTag/lifeboat:vpg': 'web' } },
      { StringEquals: { 'aws:ResourceTag/Owner': SITE, 'aws:ResourceTag/lifeboat:vpg': 'db' } },
    ]);
    for (const s of ebs) {
      expect(actionsOf(s).sort()).toEqual(['ebs:GetSnapshotBlock', 'ebs:ListChangedBlocks', 'ebs:ListSnapshotBlocks']);
      expect(resourcesOf(s).map(flatten)).toEqual([expect.stringMatching(/:ec2:\$\{AWS::Region\}::snapshot\/\*$/)]);
    }
  });

  it('iam:PassRole only of a worker role of the same VPG, only to EC2', () => {
    const passRole = all().filter((s) => actionsOf(s).some((a) => a.startsWith('iam:')));
    expect(passRole).toHaveLength(4);
    for (const s of passRole) {
      expect(actionsOf(s)).toEqual(['iam:PassRole']);
      expect(s.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } });
    }
  });

  it('no statement anywhere is Allow * on *', () => {
    for (const s of all() as Statement[]) {
      expect({ sid: s.Sid, wild: actionsOf(s).some((a) => a === '*' || a.endsWith(':*')) }).toEqual({ sid: s.Sid, wild: false });
    }
  });
});
