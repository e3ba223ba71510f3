/**
 * Template tests of the VPG stacks and of IAM across all stacks: the sync state machine's shape against the
 * contract, its schedule, and least privilege (ownership conditions, per-VPG agent roles).
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { SYNC_STATE, SYNC_STEPS, syncStateMachineName, type SyncStep } from '../../lambda/core/sync-contract';
import { TAG, zertoTagFor } from '../../lambda/core/tags';
import { stepFunctionName } from '../../lib/sync-steps';
import { FULL_CONFIG, SITE, synthesize } from './synth-fixture';
import { actionsOf, allStates, flatten, policyStatements, renderedDefinition, resourcesOf, type Statement } from './template-helpers';

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
    expect(params.vpg.agentInstanceProfileArn).toMatch(/^\{GetAtt:AgentsInstanceProfile.*\.Arn\}$/);
    // the site's bucket by its default name, built from this stack's own account and region: no import
    expect(params.vpg.storeBucket).toBe(`lifeboat-${SITE}-{Ref:AWS::AccountId}-{Ref:AWS::Region}`);
    expect(params).toMatchObject({ 'executionId.$': '$$.Execution.Id', 'stateMachineArn.$': '$$.StateMachine.Id', 'startedAt.$': '$$.Execution.StartTime' });
  });

  it('runs each step on its own site function and puts its output at the contract path', () => {
    const expected: Record<string, [string, string]> = {
      [SYNC_STATE.begin]: ['begin', '$.begin'],
      [SYNC_STATE.createSnapshots]: ['create-snapshots', '$.snapshots'],
      [SYNC_STATE.checkSnapshots]: ['check-snapshots', '$.snapshots'],
      [SYNC_STATE.plan]: ['plan', '$.plan'],
      [SYNC_STATE.spawnZsat]: ['spawn-zsat', '$.zsat'],
      [SYNC_STATE.pollZsat]: ['poll-zsat', '$.zsat'],
      [SYNC_STATE.commit]: ['commit', '$.commit'],
      [SYNC_STATE.compactJournal]: ['compact-journal', '$.journal'],
      [SYNC_STATE.cleanup]: ['cleanup', '$.cleanup'],
      [SYNC_STATE.cleanupFailed]: ['cleanup-failed', '$.cleanupFailed'],
    };
    for (const [name, [step, resultPath]] of Object.entries(expected)) {
      expect({ name, type: states[name].Type, resultPath: states[name].ResultPath }).toEqual({ name, type: 'Task', resultPath });
      // the site's function by its fixed name (no cross-stack import)
      expect(states[name].Resource).toBe(
        `arn:{Ref:AWS::Partition}:lambda:{Ref:AWS::Region}:{Ref:AWS::AccountId}:function:${stepFunctionName(SITE, step as SyncStep)}`,
      );
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
    expect(states[SYNC_STATE.syncOrSkip].Choices).toEqual([{ Variable: '$.begin.skipped', BooleanEquals: true, Next: SYNC_STATE.skipped }]);
    expect(states[SYNC_STATE.syncOrSkip].Default).toBe(SYNC_STATE.createSnapshots);
    expect(states[SYNC_STATE.skipped].Type).toBe('Succeed');
    expect(states[SYNC_STATE.waitSnapshots]).toMatchObject({ Type: 'Wait', SecondsPath: '$.snapshots.waitSeconds', Next: SYNC_STATE.checkSnapshots });
    expect(states[SYNC_STATE.snapshotsReady]).toMatchObject({ Default: SYNC_STATE.waitSnapshots, Choices: [{ Variable: '$.snapshots.ready', BooleanEquals: true, Next: SYNC_STATE.plan }] });
    expect(states[SYNC_STATE.waitZsat]).toMatchObject({ Type: 'Wait', SecondsPath: '$.zsat.waitSeconds', Next: SYNC_STATE.pollZsat });
    expect(states[SYNC_STATE.zsatDone]).toMatchObject({ Default: SYNC_STATE.waitZsat, Choices: [{ Variable: '$.zsat.done', BooleanEquals: true, Next: SYNC_STATE.zsatRead }] });
    expect(states[SYNC_STATE.commit].Next).toBe(SYNC_STATE.compactJournal);
    // a compaction failure never fails a committed sync: it is recorded and cleanup goes on
    expect(states[SYNC_STATE.compactJournal]).toMatchObject({
      Next: SYNC_STATE.cleanup,
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.journalError', Next: SYNC_STATE.cleanup }],
    });
    expect(states[SYNC_STATE.cleanup].Next).toBe(SYNC_STATE.succeeded);
  });

  it('reads zSATs in an inline Map bounded by maxZsats, each item carrying the VPG and the sync', () => {
    const map = states[SYNC_STATE.runZsats];
    expect(map).toMatchObject({ Type: 'Map', ItemsPath: '$.plan.zsats', MaxConcurrency: 12, ResultPath: '$.zsats', Next: SYNC_STATE.commit });
    expect(map.ItemProcessor.ProcessorConfig?.Mode ?? 'INLINE').toBe('INLINE');
    expect(map.ItemSelector).toEqual({
      'vpg.$': '$.vpg',
      'syncId.$': '$.begin.syncId',
      'executionId.$': '$.executionId',
      'zsat.$': '$$.Map.Item.Value',
      'volumes.$': '$.begin.volumes',
      'snapshots.$': '$.snapshots.snapshots',
    });
    expect(map.ItemProcessor.StartAt).toBe(SYNC_STATE.spawnZsat);
    expect(states[SYNC_STATE.zsatRead]).toMatchObject({ Type: 'Succeed', OutputPath: '$.zsat' });
    expect(allStates(renderedDefinition(db))[SYNC_STATE.runZsats].MaxConcurrency).toBe(12);
  });

  it('routes any failure after Begin to CleanupFailed, then fails with the original cause', () => {
    for (const name of [SYNC_STATE.createSnapshots, SYNC_STATE.checkSnapshots, SYNC_STATE.plan, SYNC_STATE.runZsats, SYNC_STATE.commit, SYNC_STATE.cleanup]) {
      expect({ name, catch: states[name].Catch }).toEqual({ name, catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: SYNC_STATE.cleanupFailed }] });
    }
    expect(states[SYNC_STATE.cleanupFailed].Next).toBe(SYNC_STATE.failed);
    expect(states[SYNC_STATE.cleanupFailed].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.cleanupError', Next: SYNC_STATE.failed }]);
    expect(states[SYNC_STATE.failed]).toEqual({ Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' });
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

describe('IAM', () => {
  const stepRolePolicy = () => policyStatements(site).filter((s) => s.policy.startsWith('SyncStepsRoleDefaultPolicy'));
  const all = () => [site, web, db].flatMap(policyStatements);
  const ec2Kind = (resource: unknown) => /:ec2:.*:([a-z-]+)\/[^/]*$/.exec(flatten(resource))?.[1];
  const ownerCondition = { StringEquals: { 'aws:ResourceTag/Owner': SITE } };

  it('destructive EC2 actions only on resources carrying our Owner', () => {
    const destructive = ['ec2:DeleteSnapshot', 'ec2:DeleteVolume', 'ec2:DetachVolume', 'ec2:TerminateInstances', 'ec2:StopInstances', 'ec2:AttachVolume'];
    const found = all().filter((s) => actionsOf(s).some((a) => destructive.includes(a) || a === 'ec2:*' || a === '*'));
    // the step role and the sweeper's role both destroy; each only what carries our Owner
    expect([...new Set(found.flatMap(actionsOf))].sort()).toEqual([...destructive].sort());
    // the one exception: a live failback stops the VPG's own protected instances, which carry the
    // customer's selection tags, not our Owner — only StopInstances, only on exactly those tags (web: app=web)
    // or those instance ids (db)
    const stopProtected = found.filter((s) => s.Condition?.StringEquals?.['aws:ResourceTag/Owner'] !== SITE);
    for (const s of stopProtected) {
      expect(actionsOf(s)).toEqual(['ec2:StopInstances']);
      const byTags = s.Condition?.StringEquals;
      if (byTags) expect(byTags).toEqual({ 'aws:ResourceTag/app': 'web' });
      else expect(resourcesOf(s).map(flatten).every((r) => /:instance\/i-[0-9a-f]+$/.test(r))).toBe(true);
    }
    for (const s of found.filter((x) => !stopProtected.includes(x))) expect(s.Condition).toEqual(ownerCondition);
  });

  it('creates only tagged with our Owner and a ZERTO_TAG on the created kinds; sources unconditioned but nothing else', () => {
    const creates: Record<string, string[]> = {
      'ec2:RunInstances': ['instance', 'volume', 'network-interface'],
      'ec2:CreateVolume': ['volume'],
      'ec2:CreateSnapshot': ['snapshot'],
      'ec2:CreateSnapshots': ['snapshot'],
    };
    const sources: Record<string, string[]> = {
      'ec2:RunInstances': ['image', 'snapshot', 'subnet', 'security-group', 'key-pair', 'launch-template'],
      'ec2:CreateVolume': ['snapshot'],
      'ec2:CreateSnapshot': ['volume', 'instance'],
      'ec2:CreateSnapshots': ['volume', 'instance'],
    };
    const seenCreated = new Set<string>();
    for (const s of all()) {
      for (const action of actionsOf(s).filter((a) => a in creates)) {
        for (const resource of resourcesOf(s)) {
          const kind = ec2Kind(resource);
          expect({ action, resource: flatten(resource), kind: kind ?? 'not an ec2 ARN' }).toEqual({ action, resource: flatten(resource), kind: expect.any(String) });
          if (creates[action].includes(kind!)) {
            seenCreated.add(`${action}/${kind}`);
            expect(s.Condition).toEqual({
              StringEquals: { 'aws:RequestTag/Owner': SITE, 'aws:RequestTag/ZERTO_TAG': [zertoTagFor(kind === 'snapshot' ? 'sync-snapshot' : 'zsat', kind as 'volume')] },
              'ForAnyValue:StringEquals': { 'aws:TagKeys': [TAG.zerto] },
            });
          } else {
            expect({ action, source: sources[action].includes(kind!) }).toEqual({ action, source: true });
          }
        }
      }
    }
    expect([...seenCreated].sort()).toEqual(Object.entries(creates).flatMap(([a, kinds]) => kinds.map((k) => `${a}/${k}`)).sort());
  });

  it('RunInstances may use only the site launch templates', () => {
    const templates = all().flatMap((s) => (actionsOf(s).includes('ec2:RunInstances') ? resourcesOf(s) : [])).map(flatten).filter((r) => r.includes(':launch-template/'));
    expect(templates.sort()).toEqual([expect.stringMatching(/launch-template\/\{Ref:ImporterLaunchTemplate/), expect.stringMatching(/launch-template\/\{Ref:ZsatLaunchTemplate/)]);
  });

  it('CreateTags only as part of our creates', () => {
    const tagging = all().filter((s) => actionsOf(s).some((a) => a === 'ec2:CreateTags'));
    expect(tagging).toHaveLength(1);
    expect(actionsOf(tagging[0])).toEqual(['ec2:CreateTags']);
    expect(tagging[0].Condition).toEqual({ StringEquals: { 'ec2:CreateAction': ['RunInstances', 'CreateVolume', 'CreateSnapshot', 'CreateSnapshots'] } });
  });

  it('only Describe actions run on "*" in the step role', () => {
    const wildcard = stepRolePolicy().filter((s) => resourcesOf(s).includes('*'));
    expect(wildcard.flatMap(actionsOf).every((a) => a.startsWith('ec2:Describe'))).toBe(true);
    expect(wildcard.flatMap(actionsOf)).toEqual(expect.arrayContaining(['ec2:DescribeInstances', 'ec2:DescribeVolumes', 'ec2:DescribeSnapshots']));
  });

  it('EBS direct reads only on our snapshots', () => {
    const ebs = all().filter((s) => actionsOf(s).some((a) => a.startsWith('ebs:')));
    expect(ebs).toHaveLength(1);
    expect(actionsOf(ebs[0]).sort()).toEqual(['ebs:GetSnapshotBlock', 'ebs:ListChangedBlocks', 'ebs:ListSnapshotBlocks']);
    expect(resourcesOf(ebs[0]).map(flatten)).toEqual([expect.stringMatching(/:ec2:\{Ref:AWS::Region\}::snapshot\/\*$/)]);
    expect(ebs[0].Condition).toEqual(ownerCondition);
  });

  it('the step role reaches the replica bucket only, and cannot delete object versions', () => {
    const s3 = stepRolePolicy().filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
    expect(s3.flatMap(actionsOf).sort()).toEqual(['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:ListBucket', 's3:PutObject']);
    for (const r of s3.flatMap(resourcesOf)) expect(flatten(r)).toMatch(/^\{GetAtt:ReplicaStoreBucket[0-9A-F]+\.Arn\}(\/\*)?$/);
  });

  it('states:ListExecutions only on the VPG state machine, iam:PassRole only for the VPG agent role', () => {
    for (const [template, vpg] of [[web, 'web'], [db, 'db']] as const) {
      const grants = policyStatements(template).filter((s) => s.policy.startsWith('StepGrants'));
      // StopInstances (live failback) is checked with the destructive actions above
      const rendered = grants.filter((s) => !actionsOf(s).includes('ec2:StopInstances'))
        .map((s) => ({ actions: actionsOf(s), resources: resourcesOf(s).map(flatten), condition: s.Condition }));
      expect(rendered).toEqual([
        { actions: ['states:ListExecutions'], resources: [expect.stringMatching(/^\{Ref:SyncStateMachine/)], condition: undefined },
        { actions: ['iam:PassRole'], resources: [expect.stringMatching(/^\{GetAtt:AgentsRole[0-9A-F]+\.Arn\}$/)], condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } } },
        // a live failback starts this VPG's own sync and follows it: nothing else
        { actions: ['states:StartExecution'], resources: [expect.stringMatching(/^\{Ref:SyncStateMachine/)], condition: undefined },
        { actions: ['states:DescribeExecution'], resources: [expect.stringMatching(new RegExp(`:execution:lifeboat-${SITE}-${vpg}-sync:\\*$`))], condition: undefined },
      ]);
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyName: Match.stringLikeRegexp('^StepGrants'),
        Roles: [{ 'Fn::ImportValue': Match.stringLikeRegexp('SyncStepsRole') }],
      });
    }
    const passRole = all().filter((s) => actionsOf(s).some((a) => a.startsWith('iam:')));
    expect(passRole).toHaveLength(2);
  });

  it("each VPG's agent role reaches only its own prefix of the store", () => {
    for (const [template, vpg, other] of [[web, 'web', 'db'], [db, 'db', 'web']] as const) {
      const agent = policyStatements(template).filter((s) => s.policy.startsWith('AgentsRoleDefaultPolicy'));
      const store = `arn:{Ref:AWS::Partition}:s3:::lifeboat-${SITE}-{Ref:AWS::AccountId}-{Ref:AWS::Region}`;
      const onStore = agent.filter((s) => resourcesOf(s).some((r) => flatten(r).startsWith(store)));
      expect(onStore.map((s) => ({ actions: actionsOf(s), resources: resourcesOf(s).map(flatten), condition: s.Condition }))).toEqual([
        { actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'], resources: [`${store}/vpgs/${vpg}/*`], condition: undefined },
        { actions: ['s3:ListBucket'], resources: [store], condition: { StringLike: { 's3:prefix': [`vpgs/${vpg}/*`] } } },
      ]);
      expect(JSON.stringify(template.toJSON())).not.toContain(`vpgs/${other}/`);
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'ec2.amazonaws.com' } })] },
      });
      template.resourceCountIs('AWS::IAM::InstanceProfile', 1);
    }
  });

  it('no statement anywhere is Allow * on *', () => {
    for (const s of all() as Statement[]) {
      expect({ sid: s.Sid, wild: actionsOf(s).some((a) => a === '*' || a.endsWith(':*')) }).toEqual({ sid: s.Sid, wild: false });
    }
  });
});
