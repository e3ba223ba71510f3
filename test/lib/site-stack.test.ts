/**
 * Template tests of the site stack: what matters for a DR system that runs in someone's account —
 * tags, encryption, no public exposure, the worker launch templates and the step functions.
 */
import { DEFAULT_VPC_RESOURCE_TYPE } from '../../runtime/core/workers/default-vpc';
import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import { SYNC_STEPS } from '../../runtime/core/sync/contract';
import { STEP_ENV } from '../../runtime/core/step-env';
import { FAILBACK_STEPS } from '../../runtime/core/failback/contract';
import { TAG, zertoTagFor } from '../../runtime/core/tags';
import type { LifeboatStacks } from '../../lib/lifeboat-app';
import { pascalCase } from '../../lib/step-lambdas';
import { parseSweeperEnv } from '../../runtime/core/step-env';
import { ACCOUNT, PARTITION, REGION, resolveValue } from './iam-resolve';
import { replicaBucketName } from '../../lib/replica-bucket';
import { parseConfig } from '../../lib/config';
import { FULL_CONFIG, MINIMAL_CONFIG, SITE, synthesize } from './synth-fixture';
import { flatten } from './template-helpers';
import { vpgStepFunctionName } from '../../runtime/core/resource-names';

let stacks: LifeboatStacks;
let site: Template;
let web: Template;
let db: Template;
let minimalSite: Template;
let minimalStacks: LifeboatStacks;

beforeAll(() => {
  const full = synthesize(FULL_CONFIG);
  ({ stacks, site } = full);
  [web, db] = full.vpgs;
  const minimal = synthesize(MINIMAL_CONFIG);
  minimalStacks = minimal.stacks;
  minimalSite = minimal.site;
});

const tagsOf = (list: Array<{ Key: string; Value: string }>) => Object.fromEntries(list.map((t) => [t.Key, t.Value]));

describe('stacks', () => {
  it('are named after the site and the VPGs, the VPG stacks depending on the site stack', () => {
    expect(stacks.site.stackName).toBe('Lifeboat-site-t');
    expect(stacks.vpgs.map((s) => s.stackName)).toEqual(['Lifeboat-site-t-web', 'Lifeboat-site-t-db']);
    for (const vpg of stacks.vpgs) expect(vpg.dependencies).toContain(stacks.site);
  });
});

describe('replica bucket', () => {
  it('is encrypted with its KMS key, private, TLS-only, versioned, object-locked, and aborts stale uploads', () => {
    site.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            Match.objectLike({ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() } }),
          ],
        },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        VersioningConfiguration: { Status: 'Enabled' },
        ObjectLockEnabled: true,
        ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 7 } } },
        LifecycleConfiguration: {
          Rules: Match.arrayWith([Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' })]),
        },
        LoggingConfiguration: Match.objectLike({ DestinationBucketName: Match.anyValue() }),
      }),
    });
  });

  it('denies every request without TLS', () => {
    site.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  it('uses SSE-S3 and no object lock by default', () => {
    const buckets = Object.values(minimalSite.findResources('AWS::S3::Bucket'));
    expect(buckets).toHaveLength(2);
    for (const b of buckets) {
      expect(b.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault).toEqual({ SSEAlgorithm: 'AES256' });
      expect(b.Properties.ObjectLockEnabled).toBeUndefined();
      expect(b.DeletionPolicy).toBe('Retain');
    }
  });
});

describe('replica bucket name', () => {
  const byDefault = `lifeboat-${SITE}-{Ref:AWS::AccountId}-{Ref:AWS::Region}`;

  it('is lifeboat-<site>-<account>-<region> by default, built the same way in every VPG stack, which imports neither bucket nor functions', () => {
    const [bucket] = Object.entries(site.findResources('AWS::S3::Bucket'))
      .filter(([id]) => id.startsWith('ReplicaStoreBucket'))
      .map(([, b]) => b);
    expect(flatten(bucket.Properties.BucketName)).toBe(byDefault);
    for (const vpg of [web, db]) {
      const text = JSON.stringify(vpg.toJSON());
      expect(text).toContain(`lifeboat-${SITE}-`);
      const imports = [...text.matchAll(/"Fn::ImportValue":"([^"]+)"/g)].map((m) => m[1]);
      expect(imports.length).toBeGreaterThan(0); // the alert topic and the step role still come by reference
      for (const name of imports) expect({ name, byName: /ReplicaStoreBucket|Steps[A-Za-z]+Function/.test(name) }).toEqual({ name, byName: false });
    }
  });

  it('is store.bucketName when the config names a bucket: nothing is created, the VPG stacks use that name', () => {
    const named = synthesize({ ...MINIMAL_CONFIG, store: { bucketName: 'my-dr-bucket' } });
    expect(Object.keys(named.site.findResources('AWS::S3::Bucket'))).toEqual([]);
    expect(replicaBucketName(new Stack(), 'x', named.config.store)).toBe('my-dr-bucket');
    const agent = named.vpgs[0].findResources('AWS::IAM::Policy');
    expect(JSON.stringify(agent)).toContain(':s3:::my-dr-bucket/vpgs/web/*');
  });

  it('fails the synth, naming the way out, when the site id is too long for the default name', () => {
    const store = parseConfig(MINIMAL_CONFIG, 'test').store;
    expect(replicaBucketName(new Stack(), 'a'.repeat(26), store)).toMatch(/^lifeboat-a{26}-/);
    expect(() => replicaBucketName(new Stack(), 'a'.repeat(27), store)).toThrow(/at most 26 characters or set store\.bucketName/);
  });
});

describe('tags', () => {
  it('every bucket, security group and launch template carries its ZERTO_TAG and our Owner', () => {
    const expectTagged = (tags: Array<{ Key: string; Value: string }>, zerto: string) =>
      expect(tagsOf(tags)).toMatchObject({ [TAG.zerto]: zerto, [TAG.owner]: SITE });
    const buckets = Object.values(site.findResources('AWS::S3::Bucket'));
    expect(buckets).toHaveLength(2);
    for (const b of buckets) expectTagged(b.Properties.Tags, zertoTagFor('site', 'bucket'));
    const groups = Object.values(site.findResources('AWS::EC2::SecurityGroup'));
    expect(groups).toHaveLength(2);
    for (const g of groups) expectTagged(g.Properties.Tags, 'ZERTO_VPC_RESOURCE');
    const templates = Object.values(site.findResources('AWS::EC2::LaunchTemplate'));
    expect(templates).toHaveLength(2);
    for (const t of templates) {
      expect(t.Properties.TagSpecifications).toHaveLength(1);
      expect(t.Properties.TagSpecifications[0].ResourceType).toBe('launch-template');
      expectTagged(t.Properties.TagSpecifications[0].Tags, zertoTagFor('site', 'launch-template'));
    }
  });

  it('the templates tag what they launch at creation, per the tag table', () => {
    for (const [name, role] of [
      ['lifeboat-site-t-zsat', 'zsat'],
      ['lifeboat-site-t-zimporter', 'zimporter'],
    ] as const) {
      const [lt] = Object.values(site.findResources('AWS::EC2::LaunchTemplate', { Properties: { LaunchTemplateName: name } }));
      const specs = lt.Properties.LaunchTemplateData.TagSpecifications as Array<{ ResourceType: string; Tags: Array<{ Key: string; Value: string }> }>;
      expect(specs.map((s) => s.ResourceType).sort()).toEqual(['instance', 'network-interface', 'volume']);
      for (const spec of specs) {
        expect(tagsOf(spec.Tags)).toEqual({
          [TAG.zerto]: zertoTagFor(role, spec.ResourceType as 'instance'),
          [TAG.owner]: SITE,
          [TAG.role]: role,
        });
      }
    }
  });

  it('no resource carries a ZERTO_TAG the table does not give it (no blanket tagging)', () => {
    for (const template of [web, db]) {
      // IAM policies name the tag in their conditions; no resource of a VPG stack carries it as a tag
      const tagged = Object.values(template.toJSON().Resources as Record<string, any>).filter(
        (r) => !/^AWS::IAM::(Managed)?Policy$/.test(r.Type) && JSON.stringify(r.Properties ?? {}).includes(TAG.zerto),
      );
      expect(tagged).toEqual([]);
    }
  });
});

describe('worker launch templates', () => {
  const zsat = () => Object.values(site.findResources('AWS::EC2::LaunchTemplate', { Properties: { LaunchTemplateName: 'lifeboat-site-t-zsat' } }))[0];

  it('require IMDSv2, expose instance tags, never map a public IP, encrypt the root volume, terminate on shutdown', () => {
    const data = zsat().Properties.LaunchTemplateData;
    expect(data.MetadataOptions).toEqual({ HttpEndpoint: 'enabled', HttpTokens: 'required', HttpPutResponseHopLimit: 1, InstanceMetadataTags: 'enabled' });
    expect(data.NetworkInterfaces).toEqual([
      // no subnet: the launching step passes this interface with the subnet of the volumes' zone
      {
        DeviceIndex: 0,
        AssociatePublicIpAddress: false,
        DeleteOnTermination: true,
        Groups: [{ 'Fn::GetAtt': [expect.stringMatching(/^ZsatSecurityGroup/), 'GroupId'] }],
      },
    ]);
    expect(data.BlockDeviceMappings).toEqual([{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeType: 'gp3', DeleteOnTermination: true } }]);
    expect(data.InstanceInitiatedShutdownBehavior).toBe('terminate');
    expect(data.InstanceType).toBe('c6i.large');
  });

  it('boot the agent bundle from its asset with a plain bash script: no emulator hook, output to its log and the console, a shutdown safety net', () => {
    const userData = flatten(zsat().Properties.LaunchTemplateData.UserData);
    expect(userData.startsWith('#!/bin/bash\n')).toBe(true);
    expect(userData).not.toMatch(/offline/i);
    const cp = userData.split('\n').find((l) => l.startsWith('aws s3 cp '));
    expect(cp).toMatch(
      /^aws s3 cp "s3:\/\/cdk-hnb659fds-assets-\$\{AWS::AccountId\}-\$\{AWS::Region\}\/[0-9a-f]{64}\.js" \/opt\/lifeboat\/agent\.js --region \{Ref:AWS::Region\}$/,
    );
    expect(cp).toContain(`/${stacks.site.agent.asset.assetHash}.js"`);
    const lines = userData.split('\n');
    // the safety net is armed before anything that can fail: the first command after the shebang
    expect(lines[1]).toBe("trap 'shutdown -h +30' EXIT");
    expect(lines).toContain('exec > >(tee -a /var/log/lifeboat-agent.log) 2>&1');
    expect(lines).toContain('export AWS_REGION={Ref:AWS::Region}');
    // a Node.js still supported upstream (24, else 22), run by its namespaced name
    expect(lines).toContain('dnf install -y nodejs24 || dnf install -y nodejs22');
    expect(userData).not.toMatch(/nodejs20|node-20|install -y nodejs$/m);
    // one line per step on the console, so GetConsoleOutput shows how far a worker got
    expect(lines.flatMap((l) => /^echo "lifeboat-boot: (\S+)/.exec(l)?.[1] ?? [])).toEqual(['1/3', '2/3', '3/3', 'done;']);
  });

  it('pick the AMI from the SSM parameter of Amazon Linux 2023 for the instance type architecture', () => {
    const params = site.toJSON().Parameters as Record<string, { Default?: string }>;
    const defaults = Object.values(params).map((p) => p.Default);
    expect(defaults).toEqual(
      expect.arrayContaining([expect.stringMatching(/al2023-ami-kernel-.*-x86_64$/), expect.stringMatching(/al2023-ami-kernel-.*-arm64$/)]),
    );
  });

  it('have security groups with no inbound and HTTPS-only outbound in the configured VPC', () => {
    const groups = Object.values(site.findResources('AWS::EC2::SecurityGroup'));
    for (const g of groups) {
      expect(g.Properties.SecurityGroupIngress).toBeUndefined();
      expect(g.Properties.VpcId).toBe('vpc-0123456789abcdef0');
      expect(g.Properties.SecurityGroupEgress).toEqual([expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0' })]);
    }
    site.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  it('without a VPC, name the default VPC found at deploy (never a group without a VpcId), still HTTPS-only out', () => {
    const [lookupId] = Object.keys(minimalSite.findResources(DEFAULT_VPC_RESOURCE_TYPE));
    expect(lookupId).toBeDefined();
    const groups = Object.values(minimalSite.findResources('AWS::EC2::SecurityGroup'));
    expect(groups).toHaveLength(2);
    for (const g of groups) {
      expect(g.Properties.VpcId).toEqual({ 'Fn::GetAtt': [lookupId, 'VpcId'] });
      expect(g.Properties.SecurityGroupIngress).toBeUndefined();
      expect(g.Properties.SecurityGroupEgress).toEqual([expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0' })]);
    }
    // the default subnets' only way to S3 is the internet gateway: a public IP, which lets nothing in (no inbound rule)
    const [lt] = Object.values(minimalSite.findResources('AWS::EC2::LaunchTemplate', { Properties: { LaunchTemplateName: 'lifeboat-site-m-zsat' } }));
    expect(lt.Properties.LaunchTemplateData.NetworkInterfaces[0].AssociatePublicIpAddress).toBe(true);
    // the lookup's function may only describe VPCs
    const lookup = minimalSite.findResources(DEFAULT_VPC_RESOURCE_TYPE)[lookupId];
    expect(flatten(lookup.Properties.ServiceToken)).toMatch(/DefaultVpcFunction.*Arn/);
    // egress is HTTPS-only in the default VPC too: nothing left to warn about
    Annotations.fromStack(minimalStacks.site).hasNoWarning('*', Match.stringLikeRegexp('egress'));
  });

  it('with a VPC, look nothing up, and create the offered S3 gateway endpoint on the given route tables', () => {
    site.resourceCountIs(DEFAULT_VPC_RESOURCE_TYPE, 0);
    site.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcId: 'vpc-0123456789abcdef0',
      VpcEndpointType: 'Gateway',
      RouteTableIds: ['rtb-0123456789abcdef0'],
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.s3']] },
    });
    minimalSite.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
  });
});

describe('functions', () => {
  it('the site runs only the sweeper and the RPO probe: Node.js 22 on arm64, JSON logs into retained log groups', () => {
    site.resourceCountIs('AWS::Lambda::Function', 2);
    for (const name of [`lifeboat-${SITE}-sweeper`, `lifeboat-${SITE}-rpo-probe`]) {
      site.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: name,
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        LoggingConfig: Match.objectLike({ LogFormat: 'JSON' }),
      });
    }
    const logGroups = Object.values(site.findResources('AWS::Logs::LogGroup'));
    expect(logGroups).toHaveLength(2);
    for (const lg of logGroups) {
      expect(lg.Properties.RetentionInDays).toBeGreaterThan(0);
      expect(lg.DeletionPolicy).toBe('Retain');
    }
  });

  it("each VPG's step functions: one per step, 5 minutes, 512 MB, each in its own retained log group", () => {
    const functions = SYNC_STEPS.length + FAILBACK_STEPS.length;
    for (const [template, vpg] of [
      [web, 'web'],
      [db, 'db'],
    ] as const) {
      template.resourceCountIs('AWS::Lambda::Function', functions);
      for (const step of SYNC_STEPS) {
        template.hasResourceProperties('AWS::Lambda::Function', {
          FunctionName: vpgStepFunctionName(SITE, vpg, step),
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          Timeout: 300,
          MemorySize: 512,
          LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: Match.stringLikeRegexp(`^SyncSteps${pascalCase(step)}Logs`) } },
        });
      }
      // the step functions' groups and the two state machines' execution logs
      const logGroups = Object.values(template.findResources('AWS::Logs::LogGroup'));
      expect(logGroups).toHaveLength(functions + 2);
      for (const lg of logGroups) expect(lg.DeletionPolicy).toBe('Retain');
    }
  });

  it('get the site, their VPG, the bucket, templates, security groups and subnet from STEP_ENV', () => {
    const fn = Object.values(web.findResources('AWS::Lambda::Function')).find(
      (f) => f.Properties.FunctionName === vpgStepFunctionName(SITE, 'web', 'spawn-zsat'),
    )!;
    const env = fn.Properties.Environment.Variables;
    expect(env[STEP_ENV.siteId]).toBe(SITE);
    expect(env[STEP_ENV.vpg]).toBe('web');
    expect(flatten(env[STEP_ENV.bucket])).toBe(`lifeboat-${SITE}-{Ref:AWS::AccountId}-{Ref:AWS::Region}`);
    expect(env[STEP_ENV.zsatLaunchTemplate]).toBe('lifeboat-site-t-zsat');
    expect(env[STEP_ENV.importerLaunchTemplate]).toBe('lifeboat-site-t-zimporter');
    expect(JSON.parse(env[STEP_ENV.zsatSubnets])).toEqual(['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1']);
    // the importer has no network keys: it runs in the agent's subnets
    expect(JSON.parse(env[STEP_ENV.importerSubnets])).toEqual(['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1']);
    expect(env[STEP_ENV.importerSubnetsKey]).toBe('agent.subnetIds');
    expect(flatten(env[STEP_ENV.zsatSecurityGroup])).toMatch(/^\{Import:Lifeboat-site-t:ExportsOutputFnGetAttZsatSecurityGroup/);
    expect(env[STEP_ENV.bucketRegion]).toEqual({ Ref: 'AWS::Region' });
  });

  it('the sweeper watches, from its own environment, every state machine and VPG of the site, with the configured grace as a floor', () => {
    const fn = Object.values(site.findResources('AWS::Lambda::Function')).find((f) => f.Properties.FunctionName === `lifeboat-${SITE}-sweeper`)!;
    const env = resolveValue(site, fn.Properties.Environment.Variables) as Record<string, string>;
    const arn = (name: string) => `arn:${PARTITION}:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;
    expect(parseSweeperEnv(env)).toEqual({
      stateMachineArns: ['web', 'db'].flatMap((v) => [arn(`lifeboat-${SITE}-${v}-sync`), arn(`lifeboat-${SITE}-${v}-failback`)]),
      vpgs: ['web', 'db'],
      minGraceMinutes: 120,
      // the configured dry run is in the environment too: no event can turn deletion on
      dryRun: false,
    });
    // the schedule still sends its settings; the handler lets an event only narrow them
    const rule = Object.values(site.findResources('AWS::Events::Rule')).find((r) => flatten(r.Properties.Targets[0].Arn).includes('Sweeper'))!;
    expect(JSON.parse(String(resolveValue(site, rule.Properties.Targets[0].Input)))).toMatchObject({ graceMinutes: 120, dryRun: false });
  });
});
