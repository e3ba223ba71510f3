/**
 * Least privilege per VPG (issue 13 part 6), on the synthesized templates: each VPG's step functions run with the
 * role of their step kind (sync, compaction, cleanup, failback), its workers with a zSAT or a ZImporter role, and no
 * role of one VPG names another VPG's prefix, instances, workers or state machines.
 */
import { STEP_MAX_SECONDS } from '../../runtime/core/lease/vpg-lease';
import type { Template } from 'aws-cdk-lib/assertions';
import { FAILBACK_STEPS } from '../../runtime/core/failback/contract';
import { SYNC_STEPS } from '../../runtime/core/sync/contract';
import { STEP_ENV } from '../../runtime/core/step-env';
import { TAG } from '../../runtime/core/tags';
import { FAILBACK_STEP_ROLE, SYNC_STEP_ROLE } from '../../lib/vpg-step-roles';
import { iamSize, rolePolicies } from './iam-resolve';
import { FULL_CONFIG, SITE, synthesize } from './synth-fixture';
import { actionsOf, flatten, rendered, resourcesOf, roleId, roleStatements, type Statement } from './template-helpers';
import { vpgStepFunctionName } from '../../runtime/core/resource-names';

let web: Template;
let db: Template;
let site: Template;

beforeAll(() => {
  const full = synthesize(FULL_CONFIG);
  site = full.site;
  [web, db] = full.vpgs;
});

const STORE = `arn:{Ref:AWS::Partition}:s3:::lifeboat-${SITE}-{Ref:AWS::AccountId}-{Ref:AWS::Region}`;
const EC2_DESTROY = ['ec2:TerminateInstances', 'ec2:DeleteVolume', 'ec2:DeleteSnapshot', 'ec2:DetachVolume', 'ec2:StopInstances'];
const IF_NONE_MATCH = { Null: { 's3:if-none-match': 'false' } };
const IF_MATCH = { Null: { 's3:if-match': 'false' } };
const STEP_ROLE_PREFIX = { sync: 'StepRolesSync', compaction: 'StepRolesCompaction', cleanup: 'StepRolesCleanup', failback: 'StepRolesFailback' } as const;

const withAction = (statements: Statement[], action: string) => statements.filter((s) => actionsOf(s).includes(action));
/** Object patterns (relative to the bucket) a statement's S3 object resources name. */
const keysOf = (s: Statement) =>
  resourcesOf(s)
    .map(flatten)
    .filter((r) => r.startsWith(`${STORE}/`))
    .map((r) => r.slice(STORE.length + 1));
const puts = (statements: Statement[]) =>
  withAction(statements, 's3:PutObject')
    .flatMap((s) => keysOf(s).map((key) => ({ key, condition: s.Condition })))
    .sort((a, b) => a.key.localeCompare(b.key) || JSON.stringify(a.condition ?? {}).localeCompare(JSON.stringify(b.condition ?? {})));
const deletes = (statements: Statement[]) => withAction(statements, 's3:DeleteObject').flatMap(keysOf).sort();
const lease = (vpg: string) => [
  { key: `vpgs/${vpg}/lease.json`, condition: IF_MATCH },
  { key: `vpgs/${vpg}/lease.json`, condition: IF_NONE_MATCH },
];
const reads = (vpg: string) => [
  { actions: ['s3:GetObject'], resources: [`${STORE}/vpgs/${vpg}/*`], condition: undefined },
  { actions: ['s3:ListBucket'], resources: [STORE], condition: { StringLike: { 's3:prefix': [`vpgs/${vpg}/*`] } } },
  // the no-prefix ListBucket S3 checks before it answers a missing key with 404 rather than 403 (API_GetObject.html)
  { actions: ['s3:ListBucket'], resources: [STORE], condition: { Null: { 's3:prefix': 'true' } } },
];
const s3Reads = (statements: Statement[]) =>
  rendered(statements.filter((s) => actionsOf(s).some((a) => a === 's3:GetObject' || a === 's3:ListBucket'))).map(({ actions, resources, condition }) => ({
    actions,
    resources,
    condition,
  }));

describe.each([
  ['web', () => web],
  ['db', () => db],
] as const)('the step roles of VPG %s', (vpg, template) => {
  const role = (kind: keyof typeof STEP_ROLE_PREFIX) => roleStatements(template(), STEP_ROLE_PREFIX[kind]);
  const owned = { [`aws:ResourceTag/${TAG.owner}`]: SITE, [`aws:ResourceTag/${TAG.vpg}`]: vpg };

  it('run each step with the role of its kind, and tell each function its VPG', () => {
    const functions = template().findResources('AWS::Lambda::Function');
    const byName = new Map(Object.values(functions).map((f) => [f.Properties.FunctionName as string, f.Properties]));
    const expected = [...SYNC_STEPS.map((s) => [s, SYNC_STEP_ROLE[s]] as const), ...FAILBACK_STEPS.map((s) => [s, FAILBACK_STEP_ROLE[s]] as const)];
    expect(byName.size).toBe(expected.length);
    for (const [step, kind] of expected) {
      const fn = byName.get(vpgStepFunctionName(SITE, vpg, step));
      expect({ step, role: fn?.Role, vpg: fn?.Environment.Variables[STEP_ENV.vpg], timeout: fn?.Timeout }).toEqual({
        step,
        role: { 'Fn::GetAtt': [roleId(template(), STEP_ROLE_PREFIX[kind]), 'Arn'] },
        vpg,
        // the VPG lease counts on no step outliving this when it lets a newcomer take over a stopped holder
        timeout: STEP_MAX_SECONDS,
      });
    }
  });

  it("sync: creates (tagged) and reads, never deletes an object, destroys nothing but this VPG's zSAT instances", () => {
    const sync = role('sync');
    expect(sync.flatMap(actionsOf).filter((a) => a.startsWith('s3:Delete'))).toEqual([]);
    // PollZsat terminates a zSAT that has reported done (its vCPUs go to the zSATs waiting on the quota)
    expect(rendered(sync.filter((s) => actionsOf(s).some((a) => EC2_DESTROY.includes(a))))).toEqual([
      {
        sid: 'FinishedZsatInstance',
        actions: ['ec2:TerminateInstances'],
        resources: [expect.stringMatching(/:instance\/\*$/)],
        condition: { StringEquals: { ...owned, [`aws:ResourceTag/${TAG.role}`]: ['zsat'], [`aws:ResourceTag/${TAG.zerto}`]: ['ZERTO_EC2_RESOURCE'] } },
      },
    ]);
    expect(s3Reads(sync)).toEqual(reads(vpg));
    expect(puts(sync)).toEqual([
      // a commit never overwrites a checkpoint
      { key: `vpgs/${vpg}/checkpoints/*`, condition: IF_NONE_MATCH },
      ...lease(vpg),
      { key: `vpgs/${vpg}/syncs/*`, condition: undefined },
    ]);
  });

  it('sync: launches zSATs only from the zSAT template, tagged with our Owner, the VPG, the role and the ZERTO_TAG', () => {
    const sync = role('sync');
    const runs = rendered(withAction(sync, 'ec2:RunInstances'));
    const zsatTemplate = expect.stringMatching(/:launch-template\/\{Import:.*ZsatLaunchTemplate/);
    const tagged = (zerto: string) => ({
      StringEquals: {
        [`aws:RequestTag/${TAG.owner}`]: SITE,
        [`aws:RequestTag/${TAG.vpg}`]: vpg,
        [`aws:RequestTag/${TAG.role}`]: 'zsat',
        [`aws:RequestTag/${TAG.zerto}`]: zerto,
      },
    });
    expect(runs).toEqual([
      {
        sid: 'RunInstancesZsatEc2',
        actions: ['ec2:RunInstances'],
        resources: [expect.stringMatching(/:instance\/\*$/), expect.stringMatching(/:network-interface\/\*$/)],
        condition: { StringEquals: { ...tagged('ZERTO_EC2_RESOURCE').StringEquals, 'ec2:LaunchTemplate': zsatTemplate } },
      },
      {
        sid: 'RunInstancesZsatEbs',
        actions: ['ec2:RunInstances'],
        resources: [expect.stringMatching(/:volume\/\*$/)],
        condition: tagged('ZERTO_EBS_RESOURCE'),
      },
      {
        sid: 'RunZsatSources',
        actions: ['ec2:RunInstances'],
        resources: [
          expect.stringMatching(/::image\/\*$/),
          expect.stringMatching(/::snapshot\/\*$/),
          expect.stringMatching(/:subnet\/\*$/),
          expect.stringMatching(/:security-group\/\*$/),
          zsatTemplate,
        ],
        condition: { StringEquals: { 'ec2:LaunchTemplate': zsatTemplate } },
      },
    ]);
    const snapshots = rendered(withAction(sync, 'ec2:CreateSnapshots')).find((s) => s.sid === 'CreateSnapshotsSyncSnapshotEbs');
    expect(snapshots?.condition).toEqual({
      StringEquals: {
        [`aws:RequestTag/${TAG.owner}`]: SITE,
        [`aws:RequestTag/${TAG.vpg}`]: vpg,
        [`aws:RequestTag/${TAG.role}`]: 'sync-snapshot',
        [`aws:RequestTag/${TAG.zerto}`]: 'ZERTO_EBS_RESOURCE',
      },
    });
    // a zSAT volume comes from this VPG's own sync snapshot, and is attached only to this VPG's zSAT
    const fromSnapshot = rendered(withAction(sync, 'ec2:CreateVolume')).find((s) => s.resources.some((r) => r.includes(':snapshot/')));
    expect(fromSnapshot?.condition).toEqual({
      StringEquals: { ...owned, [`aws:ResourceTag/${TAG.role}`]: ['sync-snapshot'], [`aws:ResourceTag/${TAG.zerto}`]: ['ZERTO_EBS_RESOURCE'] },
    });
    for (const s of withAction(sync, 'ec2:AttachVolume'))
      expect(s.Condition?.StringEquals).toMatchObject({ ...owned, [`aws:ResourceTag/${TAG.role}`]: ['zsat'] });
    const tagging = withAction(sync, 'ec2:CreateTags');
    expect(tagging.map((s) => s.Condition)).toEqual([{ StringEquals: { 'ec2:CreateAction': ['CreateSnapshots', 'CreateVolume', 'RunInstances'] } }]);
  });

  it("sync: snapshots only the VPG's own instances, passes only its zSAT role, reads EBS blocks of its own snapshots", () => {
    const sync = role('sync');
    const selected = rendered(withAction(sync, 'ec2:CreateSnapshots').filter((s) => resourcesOf(s).some((r) => flatten(r).includes(':instance/'))));
    expect(selected).toEqual(
      vpg === 'web'
        ? [
            {
              sid: 'SnapshotSelectedTags',
              actions: ['ec2:CreateSnapshots'],
              resources: [expect.stringMatching(/:instance\/\*$/)],
              condition: { StringEquals: { 'aws:ResourceTag/app': 'web' } },
            },
          ]
        : [
            {
              sid: 'SnapshotSelectedIds',
              actions: ['ec2:CreateSnapshots'],
              resources: [expect.stringMatching(/:instance\/i-0123456789abcdef0$/)],
              condition: undefined,
            },
          ],
    );
    expect(rendered(withAction(sync, 'iam:PassRole')).map((s) => s.resources)).toEqual([[expect.stringMatching(/^\{GetAtt:ZsatAgentRole[0-9A-F]+\.Arn\}$/)]]);
    const ebs = withAction(sync, 'ebs:GetSnapshotBlock');
    expect(ebs.map((s) => s.Condition)).toEqual([{ StringEquals: owned }]);
  });

  it('sync: asks Step Functions about its own VPG only (lease holders, running syncs), and starts only its own sync (a continuation)', () => {
    const states = rendered(role('sync').filter((s) => actionsOf(s).some((a) => a.startsWith('states:'))));
    expect(states).toEqual([
      {
        sid: 'SyncContinues',
        actions: ['states:StartExecution'],
        resources: [expect.stringMatching(new RegExp(`:stateMachine:lifeboat-${SITE}-${vpg}-sync$`))],
        condition: undefined,
      },
      {
        sid: 'LeaseHolderState',
        actions: ['states:DescribeExecution'],
        resources: [
          expect.stringMatching(new RegExp(`:execution:lifeboat-${SITE}-${vpg}-sync:\\*$`)),
          expect.stringMatching(new RegExp(`:execution:lifeboat-${SITE}-${vpg}-failback:\\*$`)),
        ],
        condition: undefined,
      },
      {
        sid: 'ListSyncs',
        actions: ['states:ListExecutions'],
        resources: [expect.stringMatching(new RegExp(`:stateMachine:lifeboat-${SITE}-${vpg}-sync$`))],
        condition: undefined,
      },
    ]);
  });

  it('compaction: no EC2 at all; the only deleter of checkpoints and packs; rewrites a checkpoint only with If-Match', () => {
    const compaction = role('compaction');
    expect(compaction.flatMap(actionsOf).filter((a) => a.startsWith('ec2:') || a.startsWith('ebs:') || a.startsWith('iam:'))).toEqual([]);
    expect(s3Reads(compaction)).toEqual(reads(vpg));
    expect(puts(compaction)).toEqual([
      { key: `vpgs/${vpg}/checkpoints/*`, condition: IF_MATCH },
      { key: `vpgs/${vpg}/journal/*`, condition: undefined },
      ...lease(vpg),
    ]);
    expect(deletes(compaction)).toEqual([`vpgs/${vpg}/checkpoints/*`, `vpgs/${vpg}/gc/*`, `vpgs/${vpg}/journal/*`, `vpgs/${vpg}/packs/*`]);
  });

  it("cleanup: destroys only this VPG's zSATs and sync snapshots, deletes only its syncs' working files", () => {
    const cleanup = role('cleanup');
    const destroys = rendered(cleanup.filter((s) => actionsOf(s).some((a) => EC2_DESTROY.includes(a))));
    const condition = (roles: string[], zerto: string) => ({
      StringEquals: { ...owned, [`aws:ResourceTag/${TAG.role}`]: roles, [`aws:ResourceTag/${TAG.zerto}`]: [zerto] },
    });
    expect(destroys).toEqual([
      {
        sid: 'DestroyInstance',
        actions: ['ec2:TerminateInstances', 'ec2:DetachVolume'],
        resources: [expect.stringMatching(/:instance\/\*$/)],
        condition: condition(['zsat'], 'ZERTO_EC2_RESOURCE'),
      },
      {
        sid: 'DestroyVolume',
        actions: ['ec2:DeleteVolume', 'ec2:DetachVolume'],
        resources: [expect.stringMatching(/:volume\/\*$/)],
        condition: condition(['zsat'], 'ZERTO_EBS_RESOURCE'),
      },
      {
        sid: 'DestroySnapshot',
        actions: ['ec2:DeleteSnapshot'],
        resources: [expect.stringMatching(/::snapshot\/\*$/)],
        condition: condition(['sync-snapshot'], 'ZERTO_EBS_RESOURCE'),
      },
    ]);
    expect(cleanup.flatMap(actionsOf).filter((a) => /^ec2:(Run|Create)/.test(a))).toEqual([]);
    expect(deletes(cleanup)).toEqual([`vpgs/${vpg}/syncs/*`]);
    expect(puts(cleanup)).toEqual([{ key: `vpgs/${vpg}/gc/*`, condition: IF_NONE_MATCH }, ...lease(vpg)]);
    expect(rendered(withAction(cleanup, 'states:DescribeExecution')).flatMap((s) => s.resources)).toEqual([
      expect.stringMatching(new RegExp(`:execution:lifeboat-${SITE}-${vpg}-sync:\\*$`)),
    ]);
  });

  it('failback: ZImporters only from their template, recovered VMs with their snapshots and images, importer snapshots, all tagged with the VPG', () => {
    const failback = role('failback');
    const creates = rendered(failback.filter((s) => s.Condition?.StringEquals?.[`aws:RequestTag/${TAG.owner}`] !== undefined));
    expect(creates.map((s) => [s.sid, s.condition])).toEqual(
      (
        [
          ['RunInstancesZimporterEc2', 'zimporter', 'ZERTO_EC2_RESOURCE'],
          ['RunInstancesZimporterEbs', 'zimporter', 'ZERTO_EBS_RESOURCE'],
          ['RunInstancesRecoveredVmEc2', 'recovered-vm', 'ZERTO_EC2_RESOURCE'],
          ['RunInstancesRecoveredVmEbs', 'recovered-vm', 'ZERTO_EBS_RESOURCE'],
          ['CreateVolumeZimporterEbs', 'zimporter', 'ZERTO_EBS_RESOURCE'],
          ['CreateSnapshotZimporterEbs', 'zimporter', 'ZERTO_EBS_RESOURCE'],
          ['CreateSnapshotRecoveredVmEbs', 'recovered-vm', 'ZERTO_EBS_RESOURCE'],
          ['RegisterImageRecoveredVmEc2', 'recovered-vm', 'ZERTO_EC2_RESOURCE'],
        ] as const
      ).map(([sid, r, zerto]) => [
        sid,
        {
          StringEquals: {
            [`aws:RequestTag/${TAG.owner}`]: SITE,
            [`aws:RequestTag/${TAG.vpg}`]: vpg,
            [`aws:RequestTag/${TAG.role}`]: r,
            [`aws:RequestTag/${TAG.zerto}`]: zerto,
            ...(sid === 'RunInstancesZimporterEc2'
              ? { 'ec2:LaunchTemplate': expect.stringMatching(/:launch-template\/\{Import:.*ImporterLaunchTemplate/) }
              : {}),
          },
        },
      ]),
    );
    expect(rendered(withAction(failback, 'iam:PassRole')).map((s) => s.resources)).toEqual([
      [expect.stringMatching(/^\{GetAtt:ImporterAgentRole[0-9A-F]+\.Arn\}$/)],
    ]);
  });

  it("failback: destroys only this VPG's ZImporters and recovered VMs, stops only this VPG's own instances", () => {
    const failback = role('failback');
    const destroys = failback.filter((s) => actionsOf(s).some((a) => EC2_DESTROY.includes(a) && a !== 'ec2:StopInstances'));
    // instances, volumes, and snapshots: the importers' and the recovered VMs' images' own
    expect(destroys.map((s) => s.Condition?.StringEquals?.[`aws:ResourceTag/${TAG.role}`])).toEqual([
      ['zimporter', 'recovered-vm'],
      ['zimporter', 'recovered-vm'],
      ['zimporter', 'recovered-vm'],
    ]);
    for (const s of destroys) expect(s.Condition?.StringEquals).toMatchObject(owned);
    // an image is registered only from this VPG's recovered snapshots, and only its own recovered VMs' images are deregistered
    const images = rendered(
      failback.filter(
        (s) =>
          actionsOf(s).some((a) => a === 'ec2:DeregisterImage' || a === 'ec2:RegisterImage') && !s.Condition?.StringEquals?.[`aws:RequestTag/${TAG.owner}`],
      ),
    );
    expect(images.map((s) => [s.sid, s.actions, s.resources.map((r) => /([a-z-]+)\/\*$/.exec(r)?.[1]), s.condition])).toEqual([
      [
        'ImageFromSnapshot',
        ['ec2:RegisterImage'],
        ['snapshot'],
        { StringEquals: { ...owned, [`aws:ResourceTag/${TAG.role}`]: ['recovered-vm'], [`aws:ResourceTag/${TAG.zerto}`]: ['ZERTO_EBS_RESOURCE'] } },
      ],
      [
        'DeregisterImage',
        ['ec2:DeregisterImage'],
        ['image'],
        { StringEquals: { ...owned, [`aws:ResourceTag/${TAG.role}`]: ['recovered-vm'], [`aws:ResourceTag/${TAG.zerto}`]: ['ZERTO_EC2_RESOURCE'] } },
      ],
    ]);
    expect(rendered(withAction(failback, 'kms:DescribeKey')).map((s) => s.sid)).toEqual(['EbsKmsUse', 'RecoveryKeyExists']);
    const stops = rendered(withAction(failback, 'ec2:StopInstances'));
    expect(stops).toEqual(
      vpg === 'web'
        ? [
            {
              sid: 'LiveStopSelectedTags',
              actions: ['ec2:StopInstances'],
              resources: [expect.stringMatching(/:instance\/\*$/)],
              condition: { StringEquals: { 'aws:ResourceTag/app': 'web' } },
            },
          ]
        : [
            {
              sid: 'LiveStopSelectedIds',
              actions: ['ec2:StopInstances'],
              resources: [expect.stringMatching(/:instance\/i-0123456789abcdef0$/)],
              condition: undefined,
            },
          ],
    );
    expect(rendered(withAction(failback, 'states:StartExecution')).flatMap((s) => s.resources)).toEqual([
      expect.stringMatching(new RegExp(`:stateMachine:lifeboat-${SITE}-${vpg}-sync$`)),
    ]);
    expect(s3Reads(failback)).toEqual(reads(vpg));
    expect(puts(failback)).toEqual([
      { key: `vpgs/${vpg}/imports/*`, condition: undefined },
      ...lease(vpg),
      { key: `vpgs/${vpg}/readers/*`, condition: undefined },
    ]);
    expect(deletes(failback)).toEqual([`vpgs/${vpg}/imports/*`, `vpgs/${vpg}/readers/*`]);
  });

  it('workers: a zSAT only creates its packs and results (If-None-Match), a ZImporter writes only its progress and results; neither deletes nor touches EC2', () => {
    const zsat = roleStatements(template(), 'ZsatAgentRole');
    const importer = roleStatements(template(), 'ImporterAgentRole');
    for (const s of [...zsat, ...importer]) {
      for (const a of actionsOf(s))
        expect({ a, ok: /^(s3:(GetObject|PutObject|ListBucket|GetObject\*|GetBucket\*|List\*)|kms:)$/.test(a) || a.startsWith('kms:') }).toEqual({
          a,
          ok: true,
        });
    }
    expect(s3Reads(zsat).filter((s) => s.resources.some((r) => r.startsWith(STORE)))).toEqual(reads(vpg));
    expect(puts(zsat)).toEqual([
      { key: `vpgs/${vpg}/packs/*`, condition: IF_NONE_MATCH },
      { key: `vpgs/${vpg}/syncs/*/progress/*`, condition: undefined },
      { key: `vpgs/${vpg}/syncs/*/results/*`, condition: IF_NONE_MATCH },
    ]);
    expect(puts(importer)).toEqual([
      { key: `vpgs/${vpg}/imports/*/progress/*`, condition: undefined },
      { key: `vpgs/${vpg}/imports/*/results/*`, condition: undefined },
    ]);
    expect(Object.keys(template().findResources('AWS::IAM::InstanceProfile')).sort()).toEqual([
      expect.stringMatching(/^ImporterAgentInstanceProfile/),
      expect.stringMatching(/^ZsatAgentInstanceProfile/),
    ]);
  });

  it('fit IAM quotas: inline policies of a role within 10,240 characters, managed policies within 6,144 and 10 a role', () => {
    const roles = [...Object.values(STEP_ROLE_PREFIX), 'ZsatAgentRole', 'ImporterAgentRole'];
    for (const prefix of roles) {
      const { inline, managed } = rolePolicies(template(), prefix);
      const inlineSize = inline.reduce((n, d) => n + iamSize(d), 0);
      expect({
        prefix,
        inlineWithin: inlineSize <= 10_240,
        managedWithin: managed.every((d) => iamSize(d) <= 6_144),
        managedCount: managed.length <= 10,
      }).toEqual({
        prefix,
        inlineWithin: true,
        managedWithin: true,
        managedCount: true,
      });
      expect(inlineSize).toBeGreaterThan(500);
    }
  });
});

describe('isolation between VPGs', () => {
  it("no role of one VPG names the other's prefix, state machines, instances, selection or functions", () => {
    const text = (t: Template) => JSON.stringify(t.toJSON());
    for (const [mine, theirs, markers] of [
      [web, 'db', ['vpgs/db/', `lifeboat-${SITE}-db-`, 'i-0123456789abcdef0']],
      [db, 'web', ['vpgs/web/', `lifeboat-${SITE}-web-`, 'aws:ResourceTag/app']],
    ] as const) {
      for (const marker of markers) expect({ theirs, marker, found: text(mine).includes(marker) }).toEqual({ theirs, marker, found: false });
    }
  });

  it('the site stack keeps no step function and no step role: only the sweeper and the RPO probe run there', () => {
    const names = Object.values(site.findResources('AWS::Lambda::Function'))
      .map((f) => f.Properties.FunctionName)
      .sort();
    expect(names).toEqual([`lifeboat-${SITE}-rpo-probe`, `lifeboat-${SITE}-sweeper`]);
  });

  it('bundles each step once for every VPG: the two VPGs run the same code asset per step', () => {
    const codeByName = (t: Template) =>
      new Map(Object.values(t.findResources('AWS::Lambda::Function')).map((f) => [f.Properties.FunctionName as string, JSON.stringify(f.Properties.Code)]));
    const webCode = codeByName(web);
    const dbCode = codeByName(db);
    const steps = [...SYNC_STEPS, ...FAILBACK_STEPS];
    for (const step of steps) {
      expect({ step, same: webCode.get(vpgStepFunctionName(SITE, 'web', step)) === dbCode.get(vpgStepFunctionName(SITE, 'db', step)) }).toEqual({
        step,
        same: true,
      });
    }
    expect(new Set(steps.map((s) => webCode.get(vpgStepFunctionName(SITE, 'web', s)))).size).toBe(steps.length);
  });
});

describe('vpgStepFunctionName', () => {
  it('is lifeboat-<site>-<vpg>-<step> when that fits the 64 characters of a Lambda name', () => {
    expect(vpgStepFunctionName('site-a', 'web', 'begin')).toBe('lifeboat-site-a-web-begin');
    const longest = vpgStepFunctionName('s'.repeat(20), 'v'.repeat(14), 'failback-final-sync');
    expect(longest).toBe(`lifeboat-${'s'.repeat(20)}-${'v'.repeat(14)}-failback-final-sync`);
    expect(longest).toHaveLength(64);
  });

  it('falls back to a deterministic short form that keeps site and VPG apart', () => {
    const a = vpgStepFunctionName('a'.repeat(32), 'b'.repeat(32), 'failback-final-sync');
    expect(a).toMatch(/^lifeboat-[0-9a-f]{10}-failback-final-sync$/);
    expect(a.length).toBeLessThanOrEqual(64);
    expect(vpgStepFunctionName('a'.repeat(32), 'b'.repeat(32), 'failback-final-sync')).toBe(a);
    expect(vpgStepFunctionName('a'.repeat(32), 'c'.repeat(32), 'failback-final-sync')).not.toBe(a);
  });
});
