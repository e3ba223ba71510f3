/**
 * Fifty VPGs in one site (issue 15, item 5): the synthesized app, every stack, checked against AWS's quotas as AWS
 * counts them. Policies are measured resolved (test/lib/iam-resolve.ts: references as the ARNs CloudFormation gives
 * them), then with the longest partition and region there are, so a size that fits here fits in any account.
 * The site runs in a landing zone's network (a VPC and a private subnet in each of three zones, made on the offline
 * cloud first, as a user has them before writing the config); the same assembly is then deployed there, and the
 * offline cloud refuses what IAM, EC2 and CloudFormation refuse at deploy.
 */
process.env.CDK_VALIDATION = 'false';
import { App } from 'aws-cdk-lib';
import { CreateSubnetCommand, CreateVpcCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { Template } from 'aws-cdk-lib/assertions';
import { nameViolation } from '@lifeboat/offline-cloud/src/assembly/name-rules';
import { startTestCloud, type TestCloud } from '@lifeboat/offline-cloud/src/testing';
import { parseConfig, type SiteConfig } from '../../lib/config';
import { addLifeboat } from '../../lib/lifeboat-app';
import { iamSize, resolveValue, rolePolicies, type PolicyDoc } from './iam-resolve';
import { STUB_SOURCES } from './template-helpers';
import { siteStackName, vpgStackName } from '../../runtime/core/resource-names';

const SITE = 'acme-dr-eu-central1';
/** Realistic names, some at the 32 characters a VPG name may have; half by tags, half by instance ids. */
const vpgName = (i: number) =>
  i % 5 === 0
    ? `core-banking-ledger-primary-db${String(i).padStart(2, '0')}`
    : `${['payments', 'web-frontend', 'erp-finance', 'data-warehouse'][i % 4]}-prod-${String(i).padStart(2, '0')}`;
const instanceId = (i: number, j: number) => `i-0${(i * 16 + j).toString(16).padStart(16, '0')}`;
const configFor = (net: Network) => ({
  siteId: SITE,
  vpgs: Array.from({ length: 50 }, (_, i) => {
    const ids = Array.from({ length: 6 }, (_, j) => instanceId(i, j));
    return {
      name: vpgName(i),
      ...(i % 2 === 0
        ? {
            instances: { ids },
            recovery: {
              subnetId: net.subnetIds[i % net.subnetIds.length],
              securityGroupIds: ['sg-0123456789abcdef0', 'sg-0fedcba9876543210'],
              instanceType: 'm6i.xlarge',
              privateIps: { [ids[0]]: `10.20.${i}.10`, [ids[1]]: `10.20.${i}.11` },
              bootOrder: [ids[0], ids[1]],
            },
          }
        : { instances: { tags: { 'app:tier': `${vpgName(i)}-tier`, Environment: 'production' } }, recovery: { instanceType: 'm6i.large' } }),
      syncIntervalMinutes: 15 + (i % 4) * 15,
      journalHours: 48,
    };
  }),
  store: { encryption: 'kms' },
  agent: { vpcId: net.vpcId, subnetIds: net.subnetIds, maxZsats: 12 },
  alerts: { email: 'dr-team@example.com' },
});

interface Network {
  readonly vpcId: string;
  readonly subnetIds: string[];
}

/** A VPC with one subnet in each of three zones. */
async function landingZone(ec2: EC2Client): Promise<Network> {
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }))).Vpc!.VpcId!;
  const subnetIds: string[] = [];
  for (const [i, zone] of ['us-east-1a', 'us-east-1b', 'us-east-1c'].entries()) {
    subnetIds.push((await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.20.${i}.0/24`, AvailabilityZone: zone }))).Subnet!.SubnetId!);
  }
  return { vpcId, subnetIds };
}

// IAM quotas: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
const INLINE_PER_ROLE = 10_240; // all of a role's inline policies together, white space not counted
const MANAGED_POLICY = 6_144;
const MANAGED_PER_ROLE = 10;
const ROLES_PER_ACCOUNT = 1_000;
const MANAGED_POLICIES_PER_ACCOUNT = 1_500;
const INSTANCE_PROFILES_PER_ACCOUNT = 1_000;
// Lambda: 4 KB for all of a function's environment variables (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html)
const LAMBDA_ENVIRONMENT = 4_096;
// CloudFormation: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
const TEMPLATE_BYTES = 1_048_576; // a template uploaded to S3 (cdk deploy does so above 50 KB)
const RESOURCES_PER_STACK = 500;
const OUTPUTS_PER_STACK = 200;
// CloudWatch: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html (Dashboards)
const WIDGETS_PER_DASHBOARD = 500;
const METRICS_PER_WIDGET = 500;
const METRICS_PER_DASHBOARD = 2_500;

/**
 * Names the offline cloud's rules (packages/offline-cloud/src/assembly/name-rules.ts, each from its resource schema
 * and API reference) do not cover, by resource type: the property, its length limit and its characters.
 */
const OTHER_NAMES: Record<string, { property: string; max: number; pattern: RegExp; source: string }> = {
  // https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html (AlarmName 1-255)
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this pattern looks for
  'AWS::CloudWatch::Alarm': { property: 'AlarmName', max: 255, pattern: /^[^\u0000-\u001f]+$/, source: 'PutMetricAlarm' },
  // https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html (A-Z, a-z, 0-9, "-", "_"; at most 255)
  'AWS::CloudWatch::Dashboard': { property: 'DashboardName', max: 255, pattern: /^[A-Za-z0-9_-]+$/, source: 'PutDashboard' },
  // https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html (Name 1-64, [\.\-_A-Za-z0-9]+)
  'AWS::Events::Rule': { property: 'Name', max: 64, pattern: /^[.\-_A-Za-z0-9]+$/, source: 'PutRule' },
  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateLaunchTemplate.html (3-128, [a-zA-Z0-9\(\)\.\-/_]+)
  'AWS::EC2::LaunchTemplate': { property: 'LaunchTemplateName', max: 128, pattern: /^[a-zA-Z0-9().\-/_]{3,}$/, source: 'CreateLaunchTemplate' },
  // https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html (1-256 of A-Z, a-z, 0-9, "-", "_")
  'AWS::SNS::Topic': { property: 'TopicName', max: 256, pattern: /^[A-Za-z0-9_-]+$/, source: 'CreateTopic' },
  // https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html (PolicyName 1-128, [\w+=,.@-]+)
  'AWS::IAM::ManagedPolicy': { property: 'ManagedPolicyName', max: 128, pattern: /^[\w+=,.@-]+$/, source: 'CreatePolicy' },
  // https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateInstanceProfile.html (1-128, [\w+=,.@-]+)
  'AWS::IAM::InstanceProfile': { property: 'InstanceProfileName', max: 128, pattern: /^[\w+=,.@-]+$/, source: 'CreateInstanceProfile' },
};
// https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html (StackName: [a-zA-Z][-a-zA-Z0-9]*, at most 128)
const STACK_NAME = /^[a-zA-Z][-a-zA-Z0-9]{0,127}$/;

/** A resolved value as it would be in the account with the longest partition and region names AWS has. */
function longest<T>(value: T): T {
  return JSON.parse(JSON.stringify(value).replaceAll('arn:aws:', 'arn:aws-us-gov:').replaceAll('us-east-1', 'ap-southeast-2')) as T;
}

interface Stack {
  readonly name: string;
  readonly template: Template;
  readonly json: Record<string, any>;
}

let cloud: TestCloud;
let CONFIG: ReturnType<typeof configFor>;
let config: SiteConfig;
let assemblyDir: string;
let stacks: Stack[];

beforeAll(async () => {
  cloud = await startTestCloud({ noDefaultVpc: true });
  CONFIG = configFor(await landingZone(cloud.ec2));
  config = parseConfig(CONFIG, 'test');
  const app = new App();
  const lifeboat = addLifeboat(app, config, STUB_SOURCES);
  const assembly = app.synth();
  assemblyDir = assembly.directory;
  stacks = [lifeboat.site, ...lifeboat.vpgs].map((s) => {
    const json = assembly.getStackArtifact(s.artifactId).template as Record<string, any>;
    return { name: s.stackName, template: Template.fromJSON(json), json };
  });
}, 180_000);
afterAll(async () => cloud?.stop());

const resourcesOf = (stack: Stack, type: string) => Object.entries<any>(stack.json.Resources).filter(([, r]) => r.Type === type);

describe('fifty VPGs in one site: IAM quotas', () => {
  it('synthesizes the site stack and one stack per VPG', () => {
    expect(stacks.map((s) => s.name)).toEqual([siteStackName(SITE), ...config.vpgs.map((v) => vpgStackName(SITE, v.name))]);
  });

  it('keeps every role within its policy quotas: inline together within 10,240 characters, each managed policy within 6,144, at most 10 a role', () => {
    const over: string[] = [];
    let largestInline = 0;
    for (const stack of stacks) {
      for (const [id] of resourcesOf(stack, 'AWS::IAM::Role')) {
        const { inline, managed } = rolePolicies(stack.template, id);
        const inlineSize = inline.reduce((n, d) => n + iamSize(longest(d)), 0);
        largestInline = Math.max(largestInline, inlineSize);
        if (inlineSize > INLINE_PER_ROLE) over.push(`${stack.name}/${id}: inline policies ${inlineSize} characters`);
        for (const d of managed)
          if (iamSize(longest(d)) > MANAGED_POLICY) over.push(`${stack.name}/${id}: a managed policy of ${iamSize(longest(d))} characters`);
        const attached = managed.length + ((stack.json.Resources[id].Properties.ManagedPolicyArns ?? []) as unknown[]).length;
        if (attached > MANAGED_PER_ROLE) over.push(`${stack.name}/${id}: ${attached} managed policies`);
      }
    }
    expect(over).toEqual([]);
    // the measure is live: the step roles carry thousands of characters
    expect(largestInline).toBeGreaterThan(5_000);
  });

  it("spreads the sweeper's per-VPG grants over managed policies, so its inline policy is the same as with one VPG", () => {
    const site = stacks[0];
    const [sweeperRole] = resourcesOf(site, 'AWS::IAM::Role').filter(([id]) => id.startsWith('SweeperRole'));
    const { inline, managed } = rolePolicies(site.template, sweeperRole[0]);
    // every VPG's two state machines, exactly named, in exactly one managed policy; none in the inline policy
    const machines = (docs: PolicyDoc[]) =>
      docs
        .flatMap((d) => d.Statement.filter((s) => s.Action === 'states:ListExecutions').flatMap((s) => s.Resource as string[]))
        .map((arn) => arn.split(':stateMachine:')[1]);
    expect(machines(inline)).toEqual([]);
    expect(machines(managed).sort()).toEqual(config.vpgs.flatMap((v) => [`lifeboat-${SITE}-${v.name}-sync`, `lifeboat-${SITE}-${v.name}-failback`]).sort());
    expect(managed.length).toBeGreaterThan(1);
    const one = parseConfig({ ...CONFIG, vpgs: CONFIG.vpgs.slice(0, 1) }, 'test');
    const oneSite = Template.fromStack(addLifeboat(new App(), one, STUB_SOURCES).site);
    const oneInline = rolePolicies(oneSite, 'SweeperRole').inline;
    expect(inline.map((d) => iamSize(d))).toEqual(oneInline.map((d) => iamSize(d)));
  });

  it('uses few of the account-wide quotas: roles, customer managed policies, instance profiles', () => {
    const count = (type: string) => stacks.reduce((n, s) => n + resourcesOf(s, type).length, 0);
    const roles = count('AWS::IAM::Role');
    // nine a VPG (two worker roles, four step roles, two state machine roles, the schedule's) and the site's two
    expect(roles).toBe(9 * 50 + 2);
    expect(roles).toBeLessThan(ROLES_PER_ACCOUNT / 2);
    expect(count('AWS::IAM::ManagedPolicy')).toBeLessThan(MANAGED_POLICIES_PER_ACCOUNT / 10);
    expect(count('AWS::IAM::InstanceProfile')).toBe(2 * 50);
    expect(count('AWS::IAM::InstanceProfile')).toBeLessThan(INSTANCE_PROFILES_PER_ACCOUNT / 5);
  });

  it("keeps every function's environment within Lambda's 4 KB", () => {
    const over: string[] = [];
    for (const stack of stacks) {
      for (const [id, fn] of resourcesOf(stack, 'AWS::Lambda::Function')) {
        const variables = longest(resolveValue(stack.template, fn.Properties.Environment?.Variables ?? {})) as Record<string, string>;
        const size = Object.entries(variables).reduce((n, [k, v]) => n + k.length + String(v).length, 0);
        if (size > LAMBDA_ENVIRONMENT) over.push(`${stack.name}/${id}: ${size}`);
      }
    }
    expect(over).toEqual([]);
  });
});

describe('fifty VPGs in one site: names and CloudFormation limits', () => {
  it('gives every named resource a name within its limits and characters', () => {
    const bad: string[] = [];
    for (const stack of stacks) {
      if (!STACK_NAME.test(stack.name)) bad.push(`stack ${stack.name}`);
      for (const [id, resource] of Object.entries<any>(stack.json.Resources)) {
        const props = resolveValue(stack.template, resource.Properties ?? {}) as Record<string, unknown>;
        const violation = nameViolation(id, resource.Type, longest(props));
        if (violation) bad.push(`${stack.name}/${id}: ${violation}`);
        const rule = OTHER_NAMES[resource.Type];
        const name = rule ? props[rule.property] : undefined;
        if (rule && typeof name === 'string' && (name.length > rule.max || !rule.pattern.test(name)))
          bad.push(`${stack.name}/${id}: ${rule.property} "${name}" (${name.length}; ${rule.source} allows ${rule.max})`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('names the longest generated names as expected: each state machine within 80, a 32-character VPG name included', () => {
    const machines = stacks.flatMap((s) => resourcesOf(s, 'AWS::StepFunctions::StateMachine').map(([, r]) => r.Properties.StateMachineName as string));
    expect(machines).toHaveLength(100);
    const longestMachine = machines.reduce((a, b) => (b.length > a.length ? b : a));
    expect(longestMachine).toBe(`lifeboat-${SITE}-core-banking-ledger-primary-db00-failback`);
    expect(longestMachine.length).toBeLessThanOrEqual(80);
    const functions = stacks.flatMap((s) => resourcesOf(s, 'AWS::Lambda::Function').map(([, r]) => r.Properties.FunctionName as string));
    expect(new Set(functions).size).toBe(functions.length);
  });

  it('logs every state machine to its own log group under /aws/vendedlogs/states/', () => {
    const groups: string[] = [];
    for (const stack of stacks) {
      for (const [, machine] of resourcesOf(stack, 'AWS::StepFunctions::StateMachine')) {
        const [destination] = machine.Properties.LoggingConfiguration.Destinations;
        const [logGroupId] = destination.CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'];
        const name = stack.json.Resources[logGroupId].Properties.LogGroupName as string;
        expect(name).toBe(`/aws/vendedlogs/states/${machine.Properties.StateMachineName}`);
        groups.push(name);
      }
    }
    expect(new Set(groups).size).toBe(100);
  });

  it("keeps every template within CloudFormation's size, resource and output quotas", () => {
    for (const stack of stacks) {
      expect({ stack: stack.name, bytes: JSON.stringify(stack.json).length <= TEMPLATE_BYTES }).toEqual({ stack: stack.name, bytes: true });
      expect(Object.keys(stack.json.Resources).length).toBeLessThanOrEqual(RESOURCES_PER_STACK);
      expect(Object.keys(stack.json.Outputs ?? {}).length).toBeLessThanOrEqual(OUTPUTS_PER_STACK);
    }
  });

  it("keeps the site dashboard within CloudWatch's widget and metric quotas", () => {
    const [[, dashboard]] = resourcesOf(stacks[0], 'AWS::CloudWatch::Dashboard');
    const body = JSON.parse(String(resolveValue(stacks[0].template, dashboard.Properties.DashboardBody))) as {
      widgets: Array<{ properties: { metrics?: unknown[] } }>;
    };
    const metrics = body.widgets.map((w) => w.properties.metrics?.length ?? 0);
    expect(body.widgets.length).toBeLessThanOrEqual(WIDGETS_PER_DASHBOARD);
    expect(Math.max(...metrics)).toBeLessThanOrEqual(METRICS_PER_WIDGET);
    expect(metrics.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(METRICS_PER_DASHBOARD);
    // one RPO graph a VPG
    expect(body.widgets.length).toBeGreaterThan(50);
  });
});

describe('fifty VPGs in one site: deployed on the offline cloud', () => {
  it('deploys every stack (IAM quotas and name rules enforced at deploy), with both state machines of every VPG', async () => {
    await cloud.cloud.sfn.deployAssembly(assemblyDir);
    const deployed = cloud.cloud.sfn.deployedStacks();
    expect(deployed.map((s) => [s.stackName, s.status])).toEqual(stacks.map((s) => [s.name, 'CREATE_COMPLETE']));
    const machines: string[] = [];
    let nextToken: string | undefined;
    do {
      const { ListStateMachinesCommand } = await import('@aws-sdk/client-sfn');
      const page = await cloud.sfn.send(new ListStateMachinesCommand({ nextToken }));
      machines.push(...(page.stateMachines ?? []).map((m) => m.name!));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(machines.sort()).toEqual(config.vpgs.flatMap((v) => [`lifeboat-${SITE}-${v.name}-failback`, `lifeboat-${SITE}-${v.name}-sync`]).sort());
  }, 120_000);
});
