/**
 * The replica bucket's policy guards it against the protected side (lib/replica-bucket-guard.ts): its Deny
 * statements, the protected path on exactly the protected-side roles, and IAM's decision (@cloud-copilot/iam-simulate)
 * on concrete requests with the bucket policy as the resource policy: a protected role, even one granted s3:* on
 * everything, cannot delete or overwrite what it must not; the recovery side's roles keep what they need.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { ACCOUNT, PARTITION, REGION, resolveValue, roleArn, type PolicyDoc } from './iam-resolve';
import { decide, decisions, type Decision } from './iam-decide';
import { FULL_CONFIG, MINIMAL_CONFIG, SITE, synthesize } from './synth-fixture';
import { flatten, roleId } from './template-helpers';

const BUCKET = `lifeboat-${SITE}-${ACCOUNT}-${REGION}`;
const bucketArn = `arn:${PARTITION}:s3:::${BUCKET}`;
const object = (key: string) => `${bucketArn}/${key}`;
const PACK = `vpgs/web/packs/${'ab'.repeat(32)}.pack`;
const INDEX = `vpgs/web/packs/${'ab'.repeat(32)}.idx.json`;
const CHECKPOINT = 'vpgs/web/checkpoints/cp-20260101T000000Z-a.json';
const SUMMARY = 'vpgs/web/checkpoints/cp-20260101T000000Z-a.summary.json';
const PROTECTED = `arn:${PARTITION}:iam::*:role/lifeboat-${SITE}/protected/*`;

let site: Template;
let web: Template;
let db: Template;
let policy: PolicyDoc;

beforeAll(() => {
  const full = synthesize(FULL_CONFIG);
  site = full.site;
  [web, db] = full.vpgs;
  const [replica] = Object.values(site.findResources('AWS::S3::BucketPolicy')).filter((p) => flatten(p.Properties.Bucket).includes('ReplicaStoreBucket'));
  policy = resolveValue(site, replica.Properties.PolicyDocument) as PolicyDoc;
});

describe('the replica bucket policy', () => {
  it('denies the protected path deletes, overwrites, compaction inputs and every configuration change', () => {
    const bySid = Object.fromEntries(policy.Statement.filter((s) => s.Sid).map((s) => [s.Sid, s]));
    const protectedSide = { ArnLike: { 'aws:PrincipalArn': PROTECTED } };
    expect(bySid.ProtectedSideDeletesOnlySyncWorkingFiles).toEqual({
      Sid: 'ProtectedSideDeletesOnlySyncWorkingFiles',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 's3:DeleteObject',
      NotResource: object('vpgs/*/syncs/*'),
      Condition: protectedSide,
    });
    expect(bySid.ProtectedSideNeverOverwritesCheckpointsOrPacks).toMatchObject({
      Effect: 'Deny',
      Action: 's3:PutObject',
      Resource: [object('vpgs/*/checkpoints/*'), object('vpgs/*/packs/*')],
      Condition: { ...protectedSide, Null: { 's3:if-none-match': 'true' } },
    });
    expect(bySid.ProtectedSideNeverWritesCompactionInputs).toMatchObject({
      Effect: 'Deny',
      Resource: [object('vpgs/*/journal/*'), object('vpgs/*/released/*')],
      Condition: protectedSide,
    });
    const config = bySid.ProtectedSideNeverChangesConfigOrHistory;
    expect(config).toMatchObject({ Effect: 'Deny', Resource: [bucketArn, object('*')], Condition: protectedSide });
    expect(config.Action).toEqual(
      expect.arrayContaining(['s3:PutBucket*', 's3:DeleteBucket*', 's3:PutLifecycleConfiguration', 's3:PutObjectRetention', 's3:PutObjectLegalHold']),
    );
    expect(config.Action).toEqual(expect.arrayContaining(['s3:BypassGovernanceRetention', 's3:DeleteObjectVersion', 's3:PutObjectAcl']));
  });

  it('never denies anyone but the protected path (nor plain HTTP): the deployer and CloudFormation keep the policy theirs', () => {
    for (const s of policy.Statement.filter((x) => x.Effect === 'Deny')) {
      expect(s).not.toHaveProperty('NotPrincipal');
      const condition = s.Condition as Record<string, Record<string, unknown>>;
      const plainHttp = condition.Bool?.['aws:SecureTransport'] === 'false';
      expect({ sid: s.Sid, guarded: plainHttp || condition.ArnLike?.['aws:PrincipalArn'] === PROTECTED }).toEqual({ sid: s.Sid, guarded: true });
    }
  });

  it('is not written for a bucket the config names (its owner adds the statements: docs/security.md)', () => {
    const named = synthesize({ ...MINIMAL_CONFIG, store: { bucketName: 'my-dr-bucket' } });
    const policies = Object.values(named.site.findResources('AWS::S3::BucketPolicy')).map((p) => flatten(p.Properties.Bucket));
    expect(policies.filter((b) => !b.includes('AccessLogs'))).toEqual([]);
  });
});

describe('the protected path', () => {
  it("is on each VPG's zSAT agent, sync and cleanup roles, and on no other role of the app", () => {
    for (const [vpg, t] of [
      ['web', web],
      ['db', db],
    ] as const) {
      const path = `/lifeboat-${SITE}/protected/${vpg}/`;
      const roles = t.findResources('AWS::IAM::Role');
      const withPath = Object.keys(roles).filter((id) => roles[id].Properties.Path !== undefined);
      expect(withPath.sort()).toEqual([roleId(t, 'StepRolesCleanup'), roleId(t, 'StepRolesSync'), roleId(t, 'ZsatAgentRole')].sort());
      for (const id of withPath) expect(roles[id].Properties.Path).toBe(path);
    }
    expect(Object.values(site.findResources('AWS::IAM::Role')).filter((r) => r.Properties.Path !== undefined)).toEqual([]);
  });
});

/** IAM's decision for a role of `template` with the bucket policy as the resource policy. */
const withBucket = (template: Template, role: string, action: string, key: string | null, context: Record<string, string> = {}) =>
  decide(template, role, action, key === null ? bucketArn : object(key), context, policy);

/** A role under the protected path granted s3:* on everything (someone widened it): only the bucket's Deny stands. */
async function widened(action: string, key: string | null, context: Record<string, string> = {}, account = ACCOUNT): Promise<Decision> {
  const result = await runSimulation(
    {
      identityPolicies: [{ name: 'everything', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] } }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: policy,
      request: {
        action,
        principal: `arn:${PARTITION}:sts::${account}:assumed-role/Widened/session`,
        resource: { accountId: ACCOUNT, resource: key === null ? bucketArn : object(key) },
        contextVariables: {
          'aws:SecureTransport': 'true',
          'aws:PrincipalArn': `arn:${PARTITION}:iam::${account}:role/lifeboat-${SITE}/protected/web/Widened`,
          'aws:PrincipalAccount': account,
          ...context,
        },
      },
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
  return result.overallResult;
}

describe('IAM with the bucket policy', () => {
  it('a protected role granted s3:* still cannot delete, overwrite or reconfigure; it can still create and clean up', async () => {
    const noneMatch = { 's3:if-none-match': '*' };
    expect(
      await decisions({
        'DeleteObject a checkpoint': () => widened('s3:DeleteObject', CHECKPOINT),
        'DeleteObject a summary': () => widened('s3:DeleteObject', SUMMARY),
        'DeleteObject a pack': () => widened('s3:DeleteObject', PACK),
        'DeleteObject an index': () => widened('s3:DeleteObject', INDEX),
        'DeleteObject the lease': () => widened('s3:DeleteObject', 'vpgs/web/lease.json'),
        'PutObject a checkpoint': () => widened('s3:PutObject', CHECKPOINT),
        'PutObject a pack': () => widened('s3:PutObject', PACK),
        'PutObject an index': () => widened('s3:PutObject', INDEX),
        'PutObject the journal marker': () => widened('s3:PutObject', 'vpgs/web/journal/compaction.json', noneMatch),
        'PutObject a release record': () => widened('s3:PutObject', 'vpgs/web/released/vol-1.json', noneMatch),
        'DeleteObjectVersion a pack': () => widened('s3:DeleteObjectVersion', PACK),
        PutObjectRetention: () => widened('s3:PutObjectRetention', CHECKPOINT),
        PutObjectLegalHold: () => widened('s3:PutObjectLegalHold', CHECKPOINT),
        BypassGovernanceRetention: () => widened('s3:BypassGovernanceRetention', CHECKPOINT),
        PutBucketPolicy: () => widened('s3:PutBucketPolicy', null),
        DeleteBucketPolicy: () => widened('s3:DeleteBucketPolicy', null),
        PutBucketVersioning: () => widened('s3:PutBucketVersioning', null),
        PutLifecycleConfiguration: () => widened('s3:PutLifecycleConfiguration', null),
        PutBucketObjectLockConfiguration: () => widened('s3:PutBucketObjectLockConfiguration', null),
        'the same from another account': () => widened('s3:DeleteObject', PACK, {}, '210987654321'),
        'create a pack with If-None-Match': () => widened('s3:PutObject', PACK, noneMatch),
        'create a checkpoint with If-None-Match': () => widened('s3:PutObject', CHECKPOINT, noneMatch),
        "DeleteObject a sync's plan": () => widened('s3:DeleteObject', 'vpgs/web/syncs/s-1/plans/vol-1.json'),
        'GetObject a checkpoint': () => widened('s3:GetObject', CHECKPOINT),
      }),
    ).toEqual({
      'DeleteObject a checkpoint': 'ExplicitlyDenied',
      'DeleteObject a summary': 'ExplicitlyDenied',
      'DeleteObject a pack': 'ExplicitlyDenied',
      'DeleteObject an index': 'ExplicitlyDenied',
      'DeleteObject the lease': 'ExplicitlyDenied',
      'PutObject a checkpoint': 'ExplicitlyDenied',
      'PutObject a pack': 'ExplicitlyDenied',
      'PutObject an index': 'ExplicitlyDenied',
      'PutObject the journal marker': 'ExplicitlyDenied',
      'PutObject a release record': 'ExplicitlyDenied',
      'DeleteObjectVersion a pack': 'ExplicitlyDenied',
      PutObjectRetention: 'ExplicitlyDenied',
      PutObjectLegalHold: 'ExplicitlyDenied',
      BypassGovernanceRetention: 'ExplicitlyDenied',
      PutBucketPolicy: 'ExplicitlyDenied',
      DeleteBucketPolicy: 'ExplicitlyDenied',
      PutBucketVersioning: 'ExplicitlyDenied',
      PutLifecycleConfiguration: 'ExplicitlyDenied',
      PutBucketObjectLockConfiguration: 'ExplicitlyDenied',
      'the same from another account': 'ExplicitlyDenied',
      'create a pack with If-None-Match': 'Allowed',
      'create a checkpoint with If-None-Match': 'Allowed',
      "DeleteObject a sync's plan": 'Allowed',
      'GetObject a checkpoint': 'Allowed',
    });
  });

  it("the deployed roles keep what their steps do: sync commits, cleanup deletes a sync's files, compaction deletes", async () => {
    expect(roleArn(web, 'StepRolesSync')).toMatch(new RegExp(`:role/lifeboat-${SITE}/protected/web/StepRolesSync`));
    expect(
      await decisions({
        'sync creates a checkpoint': () => withBucket(web, 'StepRolesSync', 's3:PutObject', CHECKPOINT, { 's3:if-none-match': '*' }),
        'sync replaces the lease': () => withBucket(web, 'StepRolesSync', 's3:PutObject', 'vpgs/web/lease.json', { 's3:if-match': '"e"' }),
        "cleanup deletes a sync's job": () => withBucket(web, 'StepRolesCleanup', 's3:DeleteObject', 'vpgs/web/syncs/s-1/jobs/z-1.json'),
        'zSAT creates a pack': () => withBucket(web, 'ZsatAgentRole', 's3:PutObject', PACK, { 's3:if-none-match': '*' }),
        'compaction deletes a pack': () => withBucket(web, 'StepRolesCompaction', 's3:DeleteObject', PACK),
        'compaction rewrites a checkpoint': () => withBucket(web, 'StepRolesCompaction', 's3:PutObject', CHECKPOINT, { 's3:if-match': '"e"' }),
        'failback deletes its reader record': () => withBucket(web, 'StepRolesFailback', 's3:DeleteObject', 'vpgs/web/readers/r-1.json'),
        'cleanup deletes a gc note': () => withBucket(web, 'StepRolesCleanup', 's3:DeleteObject', 'vpgs/web/gc/s-1.json'),
      }),
    ).toEqual({
      'sync creates a checkpoint': 'Allowed',
      'sync replaces the lease': 'Allowed',
      "cleanup deletes a sync's job": 'Allowed',
      'zSAT creates a pack': 'Allowed',
      'compaction deletes a pack': 'Allowed',
      'compaction rewrites a checkpoint': 'Allowed',
      'failback deletes its reader record': 'Allowed',
      'cleanup deletes a gc note': 'ExplicitlyDenied',
    });
  });
});
