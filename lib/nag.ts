/**
 * cdk-nag (AwsSolutions pack) for the Lifeboat app. Every finding we accept is acknowledged on the construct
 * it concerns (never on the whole app), one finding id at a time, with the reason a reviewer would want:
 * what the wildcard is, and what bounds it (an Owner-tag condition, our own bucket or key, an AWS limit).
 */
import { Stack, Validations, type App } from 'aws-cdk-lib';
import type { PolicyValidationPluginReport } from 'aws-cdk-lib';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { executionsArn } from './step-permissions';
import { watchedMachineNames } from './sweeper-watch';
import { agentWrites } from './vpg-agent-role';
import type { SiteConfig } from './config';
import type { LifeboatStacks } from './lifeboat-app';
import { failbackStateMachineName, syncStateMachineName } from '../lambda/core/resource-names';

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
    reason: `EC2 ${kind}s are created and deleted at run time, so their ids are unknown at deploy: every create, attach or destroy on them is conditioned on our Owner, VPG, Lifeboat role and ZERTO_TAG (aws:RequestTag / aws:ResourceTag); a live failback's stop, on the VPG's own selection tags`,
  }));
const RUN_SOURCES = (kinds: readonly string[]): Ack[] =>
  kinds.map((kind) => ({
    id: ec2(kind === 'image' ? 'global' : 'regional', kind),
    reason: `RunInstances authorizes on the ${kind} it launches from, read not changed; the instances it creates must carry our Owner, VPG and role tags`,
  }));
const NODE_RUNTIME: Ack = {
  id: 'AwsSolutions-L1',
  reason: 'Node.js 22 is the runtime the bundles target and the offline cloud runs them on; moving to a newer runtime is a deliberate, tested upgrade',
};
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

/** Acknowledges each object pattern a role reaches in the store, with what bounds it. */
function storeAcks(scope: IConstruct, bucket: IBucket, keys: Readonly<Record<string, string>>): Ack[] {
  return Object.entries(keys).map(([key, reason]) => ({ id: resourceId(scope, bucket.arnForObjects(key)), reason }));
}

const EXECUTIONS = (scope: IConstruct, machine: string, why: string): Ack => ({
  id: resourceId(scope, executionsArn(Stack.of(scope), machine)),
  reason: `${why}: execution names are made at run time; the state machine (${machine}) is named`,
});

const RUNTIME_IDS = 'object keys (sync ids, execution ids, pack hashes) are made at run time';

/** lib/kms-permissions.ts without `kms.keyArns`: the account's keys, only through EC2/EBS, CreateGrant only for AWS resources. */
const EBS_KMS_KEYS: Ack = {
  id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*]',
  reason: "the protected volumes' keys are the customer's and unknown at deploy (config kms.keyArns names them exactly): use is limited to EC2/EBS on the role's behalf (kms:ViaService), grants to AWS resources (kms:GrantIsForAWSResource), and each key's own policy must still allow it",
};

export function acknowledgeNagFindings(stacks: LifeboatStacks, config: SiteConfig): void {
  const { site } = stacks;
  const siteId = config.siteId;
  ack(site.sweeper.role, [
    DESCRIBE,
    ...DESTROY_OURS(['instance', 'volume', 'snapshot']),
    ...storeAcks(site, site.store.bucket, {
      'vpgs/*': 'the sweeper reads (GetObject only) every VPG of the site: the checkpoints keep their snapshots',
      'vpgs/*/syncs/*': `it deletes the working files of syncs that are gone, never a checkpoint or a pack; ${RUNTIME_IDS}`,
      'vpgs/*/imports/*': `it deletes the working files of imports that are gone, never a checkpoint or a pack; ${RUNTIME_IDS}`,
      'vpgs/*/readers/*': `it deletes reader registrations of executions that are gone, never a checkpoint or a pack; ${RUNTIME_IDS}`,
      'vpgs/*/gc/*': `it creates (If-None-Match only) a note that a sync it found gone may have left packs, for that VPG's next compaction; ${RUNTIME_IDS}`,
    }),
  ]);
  // Its per-VPG grants live in managed policies of their own (lib/sweeper-watch.ts): each acknowledges its VPGs.
  site.sweeper.watchPolicies.forEach((policy, i) =>
    ack(
      policy,
      site.sweeper.watchGroups[i].flatMap((vpg) => watchedMachineNames(siteId, vpg).map((m) => EXECUTIONS(site, m, 'the sweeper asks whether an execution still runs (DescribeExecution, read-only)'))),
    ),
  );
  ack(site.sweeper.fn.fn, [NODE_RUNTIME]);
  if (site.defaultVpc) {
    ack(site.defaultVpc.role, [{ id: DESCRIBE.id, reason: 'the default-VPC lookup calls ec2:DescribeVpcs only, which supports no resource-level permissions' }]);
    ack(site.defaultVpc.fn.fn, [NODE_RUNTIME]);
  }
  for (const [i, vpg] of stacks.vpgs.entries()) {
    const name = config.vpgs[i].name;
    const prefix = `vpgs/${name}/`;
    const bucket = vpg.replicaBucket;
    const sync = syncStateMachineName(siteId, name);
    const failback = failbackStateMachineName(siteId, name);
    const readOwn = { [`${prefix}*`]: `reads (GetObject only) its own VPG's prefix ${prefix} of the store, nothing of another VPG; ${RUNTIME_IDS}` };
    const leaseHolders = [
      EXECUTIONS(vpg, sync, "the lease asks whether its holder, a sync of this VPG, still runs (DescribeExecution, read-only)"),
      EXECUTIONS(vpg, failback, 'the lease asks whether its holder, a failback of this VPG, still runs (DescribeExecution, read-only)'),
    ];
    const roles = vpg.stepRoles;
    ack(roles.sync, [
      DESCRIBE,
      ...DESTROY_OURS(['instance', 'volume', 'snapshot', 'network-interface']),
      ...RUN_SOURCES(['image', 'subnet', 'security-group']),
      ...KMS,
      EBS_KMS_KEYS,
      ...storeAcks(vpg, bucket, {
        ...readOwn,
        [`${prefix}syncs/*`]: `writes its own syncs' working files (plans, jobs) under ${prefix}syncs/; ${RUNTIME_IDS}`,
        [`${prefix}checkpoints/*`]: `creates checkpoints only with If-None-Match (s3:if-none-match): a commit can never overwrite one; ${RUNTIME_IDS}`,
      }),
      ...leaseHolders,
    ]);
    ack(roles.compaction, [
      ...KMS,
      ...storeAcks(vpg, bucket, {
        ...readOwn,
        [`${prefix}checkpoints/*`]: `journal compaction, the one deleter of this VPG's expired checkpoints, rewrites the oldest kept one only with If-Match; ${RUNTIME_IDS}`,
        [`${prefix}packs/*`]: `journal compaction deletes this VPG's packs no kept checkpoint references; ${RUNTIME_IDS}`,
        [`${prefix}journal/*`]: 'journal compaction writes and deletes its own crash-safety marker under journal/',
        [`${prefix}gc/*`]: `journal compaction deletes the notes of packs failed syncs left, once collected; ${RUNTIME_IDS}`,
      }),
      ...leaseHolders,
    ]);
    ack(roles.cleanup, [
      DESCRIBE,
      ...DESTROY_OURS(['instance', 'volume', 'snapshot']),
      ...KMS,
      ...storeAcks(vpg, bucket, {
        ...readOwn,
        [`${prefix}syncs/*`]: `cleanup deletes its own VPG's sync working files (never checkpoints or packs); ${RUNTIME_IDS}`,
        [`${prefix}gc/*`]: `a failed sync's cleanup creates (If-None-Match only) a note of the packs it may have orphaned; ${RUNTIME_IDS}`,
      }),
      EXECUTIONS(vpg, sync, "cleanup deletes a leftover only when its sync id names a real sync of this VPG (DescribeExecution, read-only)"),
    ]);
    ack(roles.failback, [
      DESCRIBE,
      ...DESTROY_OURS(['instance', 'volume', 'snapshot', 'network-interface']),
      ...RUN_SOURCES(['image', 'subnet', 'security-group']),
      ...KMS,
      EBS_KMS_KEYS,
      ...storeAcks(vpg, bucket, {
        ...readOwn,
        [`${prefix}imports/*`]: `writes and removes its own imports' working files (jobs) under ${prefix}imports/; ${RUNTIME_IDS}`,
        [`${prefix}readers/*`]: `registers and removes the failback as a reader of a checkpoint (compaction leaves it alone); ${RUNTIME_IDS}`,
      }),
      ...leaseHolders,
    ]);
    const agentRead = [
      ...KMS,
      ...['s3:GetObject*', 's3:GetBucket*', 's3:List*'].map((action) => ({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: "CDK's Asset.grantRead, read-only, on the CDK asset bucket: the agent downloads its own bundle at boot",
      })),
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
        reason: 'read-only access to the CDK bootstrap asset bucket, where the agent bundle is published',
      },
    ];
    const zsatWrites = agentWrites('zsat', prefix);
    const importerWrites = agentWrites('zimporter', prefix);
    ack(vpg.zsatAgentRole.role, [
      ...agentRead,
      ...storeAcks(vpg, bucket, {
        ...readOwn,
        ...Object.fromEntries(zsatWrites.createOnly.map((k) => [k, `a zSAT only creates (If-None-Match, s3:if-none-match) its job's packs and results, never overwrites; ${RUNTIME_IDS}`])),
        ...Object.fromEntries(zsatWrites.rewrite.map((k) => [k, `a zSAT rewrites its own job's progress (heartbeats) only; ${RUNTIME_IDS}`])),
      }),
    ]);
    ack(vpg.importerAgentRole.role, [
      ...agentRead,
      ...storeAcks(vpg, bucket, {
        ...readOwn,
        ...Object.fromEntries(importerWrites.rewrite.map((k) => [k, `a ZImporter writes only its own import's progress and results; ${RUNTIME_IDS}`])),
      }),
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
      for (const fn of functions) ack(fn, [NODE_RUNTIME]);
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
