/**
 * Security rules over EVERY IAM policy of the app (site and VPG stacks, any role anyone adds): ownership is a
 * security boundary in IAM too. Generic on purpose: a new role (failback, sweeper, ...) is checked the day it lands.
 */
import { TAG } from '../../runtime/core/tags';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { parseConfig } from '../../lib/config';
import { addLifeboat } from '../../lib/lifeboat-app';
import { stubSources } from './stub-handlers';
import { FULL_CONFIG, MINIMAL_CONFIG, SITE } from './synth-fixture';
import { actionsOf, flatten, resourcesOf, type Statement } from './template-helpers';

const EC2_DESTRUCTIVE = [
  'ec2:DeleteSnapshot',
  'ec2:DeleteVolume',
  'ec2:DetachVolume',
  'ec2:TerminateInstances',
  'ec2:StopInstances',
  'ec2:AttachVolume',
  'ec2:ModifyInstanceAttribute',
  'ec2:DeleteNetworkInterface',
  'ec2:DeleteSecurityGroup',
  'ec2:DeleteLaunchTemplate',
];
const S3_DESTRUCTIVE = [
  's3:DeleteObject',
  's3:DeleteObjectVersion',
  's3:DeleteBucket',
  's3:PutBucketPolicy',
  's3:PutLifecycleConfiguration',
  's3:PutObjectRetention',
  's3:BypassGovernanceRetention',
];
/** The kinds each create action brings into being (the others it names are sources it reads). */
const CREATES: Record<string, string[]> = {
  'ec2:RunInstances': ['instance', 'volume', 'network-interface'],
  'ec2:CreateVolume': ['volume'],
  'ec2:CreateSnapshot': ['snapshot'],
  'ec2:CreateSnapshots': ['snapshot'],
  'ec2:CreateSecurityGroup': ['security-group'],
  'ec2:CreateNetworkInterface': ['network-interface'],
  'ec2:CreateImage': ['image', 'snapshot'],
  'ec2:ImportSnapshot': ['snapshot'],
  'ebs:StartSnapshot': ['snapshot'],
};

type Found = Statement & { where: string };

const SOURCES = stubSources();
function synthesize(json: unknown) {
  const config = parseConfig(json, 'test');
  const stacks = addLifeboat(new App(), config, SOURCES);
  return { config, site: Template.fromStack(stacks.site), vpgs: stacks.vpgs.map((s) => Template.fromStack(s)) };
}

/** Every Allow statement of every policy: AWS::IAM::Policy, ManagedPolicy and inline role policies, in all stacks. */
function allStatements(templates: Record<string, Template>): Found[] {
  const out: Found[] = [];
  for (const [stack, t] of Object.entries(templates)) {
    const docs: Array<[string, { Statement: Statement[] }]> = [];
    for (const [id, r] of Object.entries(t.findResources('AWS::IAM::Policy'))) docs.push([id, r.Properties.PolicyDocument]);
    for (const [id, r] of Object.entries(t.findResources('AWS::IAM::ManagedPolicy'))) docs.push([id, r.Properties.PolicyDocument]);
    for (const [id, r] of Object.entries(t.findResources('AWS::IAM::Role'))) {
      for (const p of r.Properties.Policies ?? []) docs.push([`${id}/${p.PolicyName}`, p.PolicyDocument]);
    }
    for (const [id, doc] of docs) for (const s of doc.Statement) if (s.Effect === 'Allow') out.push({ ...s, where: `${stack}/${id}` });
  }
  return out;
}

const matchesAny = (action: string, list: readonly string[]) =>
  list.some((wanted) => action === '*' || new RegExp(`^${action.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(wanted));
const ec2Kind = (resource: unknown) => /:ec2:.*:([a-z-]+)\/[^/]*$/.exec(flatten(resource))?.[1];
const row = (s: Found) => ({ where: s.where, actions: actionsOf(s), resources: resourcesOf(s).map(flatten), condition: s.Condition });

for (const [name, config] of [
  ['full', FULL_CONFIG],
  ['minimal', MINIMAL_CONFIG],
] as const) {
  describe(`every IAM policy of the ${name} app`, () => {
    let statements: Found[];
    let templates: Record<string, Template>;
    const siteId = config.siteId;
    beforeAll(() => {
      const app = synthesize(config);
      templates = { site: app.site, ...Object.fromEntries(app.vpgs.map((t, i) => [app.config.vpgs[i].name, t])) };
      statements = allStatements(templates);
    });

    it('has statements to check (the collector sees the policies)', () => {
      expect(statements.length).toBeGreaterThan(10);
      expect(statements.some((s) => actionsOf(s).includes('ec2:TerminateInstances'))).toBe(true);
    });

    it('conditions every destructive EC2 action on our Owner, a ZERTO_TAG, a Lifeboat role and (per-VPG roles) the VPG, never on "*"', () => {
      const destructive = statements.filter((s) => actionsOf(s).some((a) => matchesAny(a, EC2_DESTRUCTIVE)) && !isLiveFailbackStop(s));
      expect(destructive.length).toBeGreaterThan(0);
      for (const s of destructive) {
        const stack = s.where.split('/')[0];
        const vpgCondition = stack === 'site' ? {} : { [`aws:ResourceTag/${TAG.vpg}`]: stack };
        expect(row(s)).toEqual({
          ...row(s),
          condition: expect.objectContaining({
            StringEquals: expect.objectContaining({
              [`aws:ResourceTag/${TAG.owner}`]: siteId,
              [`aws:ResourceTag/${TAG.zerto}`]: expect.arrayContaining([expect.stringMatching(/^ZERTO_(EC2|EBS)_RESOURCE$/)]),
              [`aws:ResourceTag/${TAG.role}`]: expect.arrayContaining([expect.stringMatching(/^(zsat|zimporter|sync-snapshot|recovered-vm)$/)]),
              ...vpgCondition,
            }),
          }),
        });
        // the site's sweeper serves every VPG, but only resources that carry a VPG tag
        if (stack === 'site') expect(s.Condition?.Null).toEqual({ [`aws:ResourceTag/${TAG.vpg}`]: 'false' });
        expect(row(s).resources).not.toContain('*');
      }
    });

    /**
     * The one destructive action on resources that are not ours: a live failback stops the VPG's protected
     * instances (the customer's: they carry the VPG's selection tags, never our Owner). Only StopInstances,
     * only on the VPG's instance ids or under its exact selection tags.
     */
    function isLiveFailbackStop(s: Found): boolean {
      if (actionsOf(s).join() !== 'ec2:StopInstances') return false;
      const resources = resourcesOf(s).map(flatten);
      const byIds = resources.every((r) => /:instance\/i-[0-9a-f]+$/.test(r)) && !s.Condition;
      const selections = config.vpgs.map((v) =>
        Object.fromEntries(Object.entries((v.instances as { tags?: Record<string, string> }).tags ?? {}).map(([k, val]) => [`aws:ResourceTag/${k}`, val])),
      );
      const byTags =
        JSON.stringify(Object.keys(s.Condition ?? {})) === '["StringEquals"]' &&
        selections.some((sel) => Object.keys(sel).length > 0 && JSON.stringify(sel) === JSON.stringify(s.Condition!.StringEquals));
      return byIds || byTags;
    }

    it("stops protected instances (live failback) only by the VPG's ids or exact selection tags", () => {
      const stops = statements.filter((s) => actionsOf(s).includes('ec2:StopInstances') && !s.Condition?.StringEquals?.[`aws:ResourceTag/${TAG.owner}`]);
      for (const s of stops) expect({ where: s.where, scoped: isLiveFailbackStop(s) }).toEqual({ where: s.where, scoped: true });
    });

    /** Objects of the replica store, by reference (site stack) or by its default name (VPG stacks). */
    const storeObject = (key: string) =>
      new RegExp(
        `^(\\{GetAtt:ReplicaStoreBucket[0-9A-F]+\\.Arn\\}|arn:\\{Ref:AWS::Partition\\}:s3:::lifeboat-${siteId}-\\{Ref:AWS::AccountId\\}-\\{Ref:AWS::Region\\})/${key}$`,
      );

    it('limits every destructive S3 action to objects of our own replica bucket, under vpgs/', () => {
      const destructive = statements.filter((s) => actionsOf(s).some((a) => matchesAny(a, S3_DESTRUCTIVE)));
      expect(destructive.length).toBeGreaterThan(0);
      for (const s of destructive) {
        expect(actionsOf(s).filter((a) => a !== 's3:DeleteObject' && a !== 's3:PutObject')).toEqual([]);
        for (const r of row(s).resources) expect({ where: s.where, r }).toEqual({ where: s.where, r: expect.stringMatching(storeObject('vpgs/.*\\*')) });
      }
    });

    it('deletes checkpoints and packs only in the compaction roles; working files only in roles of their own VPG or the sweeper', () => {
      for (const s of statements.filter((s) => actionsOf(s).includes('s3:DeleteObject'))) {
        for (const r of row(s).resources) {
          const key = r.replace(/^.*?\/vpgs\//, 'vpgs/');
          if (/\/(checkpoints|packs)\//.test(key))
            expect({ where: s.where, key, compaction: /StepRolesCompaction/.test(s.where) }).toEqual({ where: s.where, key, compaction: true });
          const stack = s.where.split('/')[0];
          if (stack !== 'site') expect({ where: s.where, key }).toEqual({ where: s.where, key: expect.stringMatching(new RegExp(`^vpgs/${stack}/`)) });
          else expect({ where: s.where, key }).toEqual({ where: s.where, key: expect.stringMatching(/^vpgs\/\*\/(syncs|imports|readers)\/\*$/) });
        }
      }
    });

    it('writes a pack, a result, a commit or a gc note only as a create (If-None-Match), a checkpoint rewrite only with If-Match', () => {
      const writes = statements.filter((s) => actionsOf(s).includes('s3:PutObject'));
      expect(writes.length).toBeGreaterThan(0);
      for (const s of writes) {
        for (const r of row(s).resources) {
          const conditional = /\/(packs|checkpoints|gc)\/\*$|\/results\/\*$/.test(r) && !/\/imports\//.test(r);
          if (!conditional) continue;
          expect({ where: s.where, r, condition: s.Condition }).toEqual({
            where: s.where,
            r,
            condition: { Null: { [/StepRolesCompaction/.test(s.where) && r.endsWith('/checkpoints/*') ? 's3:if-match' : 's3:if-none-match']: 'false' } },
          });
        }
      }
    });

    it('conditions every create on aws:RequestTag/Owner = the site id (for the kinds it creates)', () => {
      for (const s of statements) {
        for (const action of actionsOf(s).filter((a) => a in CREATES || a === '*' || a === 'ec2:*')) {
          for (const resource of resourcesOf(s)) {
            const kind = ec2Kind(resource);
            const creates = kind === undefined || (CREATES[action] ?? []).includes(kind);
            if (!creates) continue; // a source it launches or copies from (image, subnet, template...)
            expect({ where: s.where, action, condition: s.Condition }).toEqual({
              where: s.where,
              action,
              condition: expect.objectContaining({ StringEquals: expect.objectContaining({ [`aws:RequestTag/${TAG.owner}`]: siteId }) }),
            });
          }
        }
      }
    });

    it('allows CreateTags only as part of a create (ec2:CreateAction), so nothing foreign can be re-tagged into ours', () => {
      for (const s of statements.filter((s) => actionsOf(s).some((a) => matchesAny(a, ['ec2:CreateTags', 'ec2:DeleteTags'])))) {
        expect(actionsOf(s)).not.toContain('ec2:DeleteTags');
        expect(s.Condition?.StringEquals?.['ec2:CreateAction']).toEqual(expect.any(Array));
      }
    });

    it('allows nothing but reads and log delivery on "*" without a condition', () => {
      const readOnly =
        /^(ec2:Describe|logs:(CreateLogDelivery|GetLogDelivery|UpdateLogDelivery|DeleteLogDelivery|ListLogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups)$|xray:(PutTraceSegments|PutTelemetryRecords|GetSamplingRules|GetSamplingTargets)$)/;
      for (const s of statements.filter((s) => resourcesOf(s).includes('*') && !s.Condition)) {
        for (const a of actionsOf(s)) expect({ where: s.where, action: a, readOnly: readOnly.test(a) }).toEqual({ where: s.where, action: a, readOnly: true });
      }
    });

    it("keeps each VPG's agents to their own store prefix: no delete, no EC2, no other VPG", () => {
      for (const vpg of config.vpgs.map((v) => v.name)) {
        const agent = allStatements({ [vpg]: templates[vpg] }).filter((s) => /AgentRole/.test(s.where));
        expect(agent.length).toBeGreaterThan(0);
        for (const s of agent) {
          for (const a of actionsOf(s)) expect({ a, ok: /^(s3:(Get|Put|List)|kms:)/.test(a) }).toEqual({ a, ok: true });
          // the store, by reference (site stack) or by its name (VPG stacks)
          for (const r of resourcesOf(s)
            .map(flatten)
            .filter((r) => /ReplicaStoreBucket|:s3:::lifeboat-/.test(r))) {
            if (r.includes('/')) expect(r).toMatch(new RegExp(`/vpgs/${vpg}/[a-z*/]*\\*$`));
            // listing only under its prefix, or with no prefix: S3's check before a missing key's 404 (API_GetObject.html)
            else expect([{ StringLike: { 's3:prefix': [`vpgs/${vpg}/*`] } }, { Null: { 's3:prefix': 'true' } }]).toContainEqual(s.Condition);
          }
        }
      }
    });

    it('launch templates require IMDSv2, give a public IP only in the default VPC (its only way to S3) and encrypt every volume', () => {
      const templatesFound = Object.values(templates.site.findResources('AWS::EC2::LaunchTemplate'));
      expect(templatesFound).toHaveLength(2);
      for (const t of templatesFound) {
        const data = t.Properties.LaunchTemplateData;
        expect(data.MetadataOptions.HttpTokens).toBe('required');
        // A public IP only in the default VPC (no vpcId in the config), whose only path to S3 is its internet gateway.
        const inDefaultVpc = !('agent' in config);
        expect(data.NetworkInterfaces.map((n: { AssociatePublicIpAddress: boolean }) => n.AssociatePublicIpAddress)).toEqual([inDefaultVpc]);
        expect(data.BlockDeviceMappings.every((b: { Ebs: { Encrypted: boolean } }) => b.Ebs.Encrypted === true)).toBe(true);
      }
    });

    it('the replica bucket blocks public access, denies plain HTTP and encrypts', () => {
      const [bucket] = Object.entries(templates.site.findResources('AWS::S3::Bucket'))
        .filter(([id]) => id.startsWith('ReplicaStoreBucket'))
        .map(([, b]) => b);
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toMatch(/^(aws:kms|AES256)$/);
      const policies = Object.values(templates.site.findResources('AWS::S3::BucketPolicy'));
      const tls = policies
        .flatMap((p) => p.Properties.PolicyDocument.Statement)
        .filter((s: Statement) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false');
      expect(tls.length).toBeGreaterThan(0);
    });
  });
}

describe('object lock', () => {
  it('is off by default and, when configured, locks every object in the chosen mode for the chosen days', () => {
    const compliance = synthesize({ ...MINIMAL_CONFIG, store: { objectLock: { mode: 'COMPLIANCE', days: 7 } } }).site;
    const [bucket] = Object.entries(compliance.findResources('AWS::S3::Bucket'))
      .filter(([id]) => id.startsWith('ReplicaStoreBucket'))
      .map(([, b]) => b);
    expect(bucket.Properties.ObjectLockEnabled).toBe(true);
    expect(bucket.Properties.ObjectLockConfiguration).toEqual({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 7 } } });
    // object lock needs versioning
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    const plain = synthesize(MINIMAL_CONFIG).site;
    const [unlocked] = Object.entries(plain.findResources('AWS::S3::Bucket'))
      .filter(([id]) => id.startsWith('ReplicaStoreBucket'))
      .map(([, b]) => b);
    expect(unlocked.Properties.ObjectLockEnabled).toBeUndefined();
    expect(SITE).toBe(FULL_CONFIG.siteId);
  });
});
