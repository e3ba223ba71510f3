/**
 * cdk-nag (AwsSolutions pack) for the Lifeboat app. Every finding we accept is acknowledged on the construct
 * it concerns (never on the whole app), one finding id at a time, with the reason a reviewer would want:
 * what the wildcard is, and what bounds it (an Owner-tag condition, our own bucket or key, an AWS limit).
 */
import { Stack, Validations, type App } from 'aws-cdk-lib';
import type { PolicyValidationPluginReport } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { SiteConfig } from './config';
import type { LifeboatStacks } from './lifeboat-app';

type Ack = { id: string; reason: string };

const ec2 = (region: 'regional' | 'global', kind: string) =>
  `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:${region === 'regional' ? '<AWS::AccountId>' : ''}:${kind}/*]`;

const DESCRIBE: Ack = {
  id: 'AwsSolutions-IAM5[Resource::*]',
  reason: 'EC2 Describe* actions support no resource-level permissions; the only actions on "*" are read-only Describe calls (test/lib/security.test.ts proves it)',
};
const DESTROY_OURS = (kinds: readonly string[]): Ack[] =>
  kinds.map((kind) => ({
    id: ec2(kind === 'snapshot' ? 'global' : 'regional', kind),
    reason: `EC2 ${kind}s are created and deleted at run time, so their ids are unknown at deploy: every action on them is conditioned on aws:ResourceTag/Owner (destroy) or aws:RequestTag/Owner (create) = the site id`,
  }));
const RUN_SOURCES: Ack[] = ['image', 'subnet', 'security-group', 'key-pair'].map((kind) => ({
  id: ec2(kind === 'image' ? 'global' : 'regional', kind),
  reason: `RunInstances authorizes on the ${kind} it launches from, read not changed; the launch is confined to the site's own launch templates`,
}));
const KMS: Ack[] = ['kms:ReEncrypt*', 'kms:GenerateDataKey*'].map((action) => ({
  id: `AwsSolutions-IAM5[Action::${action}]`,
  reason: `CDK's grantEncryptDecrypt on the site's own replica-store key (resource = that key only); ${action} is the action family S3 SSE-KMS uses`,
}));

function ack(scope: IConstruct, acks: readonly Ack[]): void {
  Validations.of(scope).acknowledge(...acks);
}

/**
 * A resolved value as cdk-nag writes it in a finding id: pseudo parameters as `<AWS::Region>`, attributes as
 * `<LogicalId.Arn>`, joins flattened. Names built from tokens thus give ids that match what `cdk synth` checks.
 */
function nagText(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (typeof v?.Ref === 'string') return `<${v.Ref}>`;
  if (Array.isArray(v?.['Fn::GetAtt'])) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
  if (Array.isArray(v?.['Fn::Join'])) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(nagText).join(sep);
  }
  throw new Error(`cannot name ${JSON.stringify(value)} as cdk-nag does`);
}

function resourceId(scope: IConstruct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${nagText(Stack.of(scope).resolve(resource))}]`;
}

export function acknowledgeNagFindings(stacks: LifeboatStacks, config: SiteConfig): void {
  const { site } = stacks;
  // The store as the site stack names it: `<LogicalId.Arn>` when it creates the bucket, the ARN of store.bucketName otherwise.
  const store = site.store.bucket;
  ack(site.steps.role, [
    DESCRIBE,
    ...DESTROY_OURS(['instance', 'volume', 'snapshot', 'network-interface']),
    ...RUN_SOURCES,
    ...KMS,
    {
      id: resourceId(site, store.arnForObjects('*')),
      reason: 'the sync steps serve every VPG of the site, so they reach the whole replica store, and nothing but it (object versions cannot be deleted)',
    },
  ]);
  ack(site.sweeper.role, [
    DESCRIBE,
    ...DESTROY_OURS(['instance', 'volume', 'snapshot']),
    { id: resourceId(site, store.arnForObjects('vpgs/*')), reason: 'the sweeper reads (GetObject only) the checkpoint manifests of every VPG of the site, to keep the snapshots they reference' },
  ]);
  ack(site.steps.role, [
    {
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:stateMachine:lifeboat-${config.siteId}-*-failback]`,
      reason: "journal compaction waits while a failback of the VPG runs: it lists (read-only) the executions of this site's failback state machines, named lifeboat-<site>-<vpg>-failback",
    },
  ]);
  for (const fn of [...Object.values(site.steps.functions), ...Object.values(site.failbackSteps.functions), site.sweeper.fn.fn]) {
    ack(fn, [{ id: 'AwsSolutions-L1', reason: 'Node.js 22 is the runtime the bundles target and the offline cloud runs them on; moving to a newer runtime is a deliberate, tested upgrade' }]);
  }
  for (const [i, vpg] of stacks.vpgs.entries()) {
    const prefix = `vpgs/${config.vpgs[i].name}/`;
    ack(vpg.agentRole.role, [
      ...KMS,
      { id: resourceId(vpg, vpg.replicaBucket.arnForObjects(`${prefix}*`)), reason: `the VPG's agents reach only their own prefix ${prefix} of the store; object keys (packs, jobs) are made at run time` },
      ...['s3:GetObject*', 's3:GetBucket*', 's3:List*'].map((action) => ({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: "CDK's Asset.grantRead, read-only, on the CDK asset bucket: the agent downloads its own bundle at boot",
      })),
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
        reason: 'read-only access to the CDK bootstrap asset bucket, where the agent bundle is published',
      },
    ]);
    const machines = [
      { machine: vpg.sync.stateMachine, functions: Object.values(vpg.stepFunctions) },
      { machine: vpg.failback.stateMachine, functions: Object.values(vpg.failbackFunctions) },
    ];
    for (const { machine, functions } of machines) {
      ack(machine.role, [
        { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'CloudWatch Logs delivery actions (logs:CreateLogDelivery, ...) support no resource-level permissions; Step Functions needs them to log executions' },
        ...functions.map((fn) => ({ id: resourceId(vpg, `${fn.functionArn}:*`), reason: 'invoke any version or alias of our own step function (CDK LambdaInvoke grant); the function itself is named' })),
      ]);
      ack(machine, [
        { id: 'AwsSolutions-SF1', reason: 'logs ERROR events only: ALL would copy every payload (volume ids, plans) into CloudWatch; execution history keeps every event for 90 days' },
        { id: 'AwsSolutions-SF2', reason: 'X-Ray adds cost and nothing the execution history, the JSON step logs and the failed-executions alarm do not already show' },
      ]);
    }
    const grants = vpg.node.tryFindChild('StepGrants');
    if (grants) {
      ack(grants, [
        {
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:lifeboat-${config.siteId}-${config.vpgs[i].name}-sync:*]`,
          reason: "a failback follows the final sync it started (DescribeExecution): execution names are made at run time, the state machine is this VPG's own sync",
        },
        {
          id: ec2('regional', 'instance'),
          reason: "a live failback stops the VPG's protected instances (StopInstances only), selected by the VPG's own tag condition: they are the customer's instances, so they carry the selection tags, not our Owner",
        },
      ]);
    }
  }
}

/** Registers the AwsSolutions pack as a policy validation plugin: `cdk synth` fails on any unacknowledged finding. */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}

/** The AwsSolutions report of a construct tree (tests). */
export function nagReport(scope: IConstruct): PolicyValidationPluginReport {
  return new AwsSolutionsChecks(scope).validateScope(scope);
}
