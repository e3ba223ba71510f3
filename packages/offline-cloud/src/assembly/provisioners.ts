/**
 * Creates one CloudFormation resource in the offline cloud. What the cloud emulates is created through
 * the real AWS SDK clients against the cloud's own endpoint (the same code path as a user's):
 * S3 buckets, EC2 launch templates, security groups and network resources (network-provisioners.ts), SNS (sns-provisioners.ts), CloudWatch alarms (cloudwatch-provisioners.ts). Lambda functions, state machines and schedules
 * are registered with the Step Functions service. Everything else is recorded with a synthetic id.
 */
import type { SNSClient } from '@aws-sdk/client-sns';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { provisionAlarm } from './cloudwatch-provisioners';
import { provisionSns } from './sns-provisioners';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CreateLaunchTemplateCommand, CreateSecurityGroupCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { CreateLaunchTemplateCommandInput } from '@aws-sdk/client-ec2';
import { type BucketLocationConstraint, CreateBucketCommand, PutBucketTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import type { FunctionConfig } from '../lambda/runtime';
import type { ScheduleSpec } from '../sfn/schedule';
import { loggingDestinations, policyOverflow } from './log-delivery-policy';
import type { TemplateResource } from './manifest';
import { provisionNetwork, replaceDefaultEgress } from './network-provisioners';
import type { IamRegistry } from '../iam/registry';
import * as iamDeploy from '../iam/deploy-iam';
import { nameViolation } from './name-rules';
import { applyBucketConfiguration, objectLockAtCreation } from './bucket-config-provisioner';
import { CUSTOM_PROPERTIES, CustomResourceResponses, isCustomResource, runCustomResource } from './custom-resources';

export type Tag = { Key: string; Value: string };

export interface DeployedResource {
  logicalId: string;
  type: string;
  physicalId: string;
  attributes: Record<string, unknown>;
  /** false = recorded only (the cloud does not emulate this type). */
  emulated: boolean;
}

/** What deploying needs from the Step Functions service that hosts it. */
export interface DeployHost {
  readonly region: string;
  readonly accountId: string;
  readonly dataDir: string;
  registerFunction(config: FunctionConfig): void;
  putStateMachine(input: { name: string; arn: string; definition: string; roleArn?: string; tags: Tag[] }): void;
  putSchedule(spec: ScheduleSpec): void;
  log(message: string): void;
  /** Where IAM resources and bucket policies are recorded (unset: recorded only, nothing evaluates them). */
  readonly iam?: IamRegistry;
  /** Runs a function of this account and region (a custom resource's ServiceToken). */
  invokeFunction(arn: string, payload: unknown): Promise<unknown>;
  hasFunction(arn: string): boolean;
  /** Where custom resource functions answer (unset: custom resources are recorded only). */
  readonly customResources?: { responses: CustomResourceResponses; endpoint: () => string };
}

export interface ProvisionEnv {
  host: DeployHost;
  stackName: string;
  assemblyDir: string;
  /** S3 object key of a zip asset → its folder in the assembly. */
  assetFolders: Map<string, string>;
  s3: S3Client;
  ec2: EC2Client;
  sns: SNSClient;
  cloudwatch: CloudWatchClient;
  previous?: DeployedResource;
  /** Log groups the account's log delivery resource policy already names (log-delivery-policy.ts). */
  logDeliveryGroups(): string[];
}

/** A resource CloudFormation would fail to create (CREATE_FAILED, with its status reason). */
export class ResourceFailure extends Error {
  constructor(
    readonly logicalId: string,
    readonly type: string,
    readonly reason: string,
  ) {
    super(`${logicalId} (${type}) CREATE_FAILED: ${reason}`);
    this.name = 'ResourceFailure';
  }
}

/** CreateBucket in a region: outside us-east-1 it names the region (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html). */
export function createBucketIn(s3: S3Client, bucket: string, region: string, objectLock = false): Promise<unknown> {
  const location = region === 'us-east-1' ? undefined : { LocationConstraint: region as BucketLocationConstraint };
  return s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: location, ObjectLockEnabledForBucket: objectLock || undefined }));
}

/** CloudFormation-style generated name: <stack>-<logicalId>-<stable suffix>. */
export function generatedName(stackName: string, logicalId: string, maxLength = 64, lower = false): string {
  const suffix = createHash('sha256').update(`${stackName}/${logicalId}`).digest('hex').slice(0, 12).toUpperCase();
  let name = `${stackName.slice(0, 30)}-${logicalId.slice(0, maxLength - 45)}-${suffix}`.slice(0, maxLength);
  if (lower) name = name.toLowerCase().replace(/[^a-z0-9.-]/g, '-');
  return name;
}

export async function provision(logicalId: string, resource: TemplateResource, props: Record<string, unknown>, env: ProvisionEnv): Promise<DeployedResource> {
  const { region, accountId } = env.host;
  const done = (physicalId: string, attributes: Record<string, unknown>, emulated = true): DeployedResource => ({
    logicalId,
    type: resource.Type,
    physicalId,
    attributes,
    emulated,
  });
  const reuse = env.previous?.type === resource.Type ? env.previous : undefined;
  const violation = nameViolation(logicalId, resource.Type, props);
  if (violation) throw new ResourceFailure(logicalId, resource.Type, violation);
  switch (resource.Type) {
    case 'AWS::S3::Bucket': {
      if (reuse) return reuse;
      const name = (props.BucketName as string) ?? generatedName(env.stackName, logicalId, 63, true);
      await createBucketIn(env.s3, name, region, objectLockAtCreation(props)).catch((err: Error) => {
        // another account's bucket of that name fails the resource, as CloudFormation's CREATE_FAILED would
        if (err.name === 'BucketAlreadyExists') throw new ResourceFailure(logicalId, resource.Type, `${name} already exists`);
        if (err.name !== 'BucketAlreadyOwnedByYou') throw err;
      });
      await applyBucketConfiguration(env.s3, name, props);
      const tags = props.Tags as Tag[] | undefined;
      if (tags?.length) {
        // s3rver answers NotImplemented to bucket tagging: keep the tags on the record and carry on.
        await env.s3.send(new PutBucketTaggingCommand({ Bucket: name, Tagging: { TagSet: tags } })).catch((err: Error) => {
          if (err.name !== 'NotImplemented') throw err;
          env.host.log(`deploy: the S3 emulator does not store bucket tags; ${name}'s tags are only on the stack record`);
        });
      }
      return done(name, {
        Tags: tags ?? [],
        Arn: `arn:aws:s3:::${name}`,
        DomainName: `${name}.s3.amazonaws.com`,
        RegionalDomainName: `${name}.s3.${region}.amazonaws.com`,
        WebsiteURL: `http://${name}.s3-website-${region}.amazonaws.com`,
      });
    }
    case 'AWS::EC2::LaunchTemplate': {
      if (reuse) return reuse;
      const name = (props.LaunchTemplateName as string) ?? generatedName(env.stackName, logicalId, 128);
      const out = await env.ec2.send(
        new CreateLaunchTemplateCommand({
          LaunchTemplateName: name,
          LaunchTemplateData: props.LaunchTemplateData as CreateLaunchTemplateCommandInput['LaunchTemplateData'],
          TagSpecifications: props.TagSpecifications as CreateLaunchTemplateCommandInput['TagSpecifications'],
          VersionDescription: props.VersionDescription as string | undefined,
        }),
      );
      const lt = out.LaunchTemplate!;
      return done(lt.LaunchTemplateId!, {
        LaunchTemplateId: lt.LaunchTemplateId,
        LatestVersionNumber: String(lt.LatestVersionNumber ?? 1),
        DefaultVersionNumber: String(lt.DefaultVersionNumber ?? 1),
        LaunchTemplateName: name,
      });
    }
    case 'AWS::EC2::SecurityGroup': {
      if (reuse) return reuse;
      const tags = props.Tags as Tag[] | undefined;
      const out = await env.ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: (props.GroupName as string) ?? generatedName(env.stackName, logicalId, 255),
          Description: String(props.GroupDescription ?? logicalId),
          VpcId: props.VpcId as string | undefined,
          TagSpecifications: tags?.length ? [{ ResourceType: 'security-group', Tags: tags }] : undefined,
        }),
      );
      const egress = props.SecurityGroupEgress as Record<string, unknown>[] | undefined;
      if (egress?.length) await replaceDefaultEgress(env.ec2, out.GroupId!, egress);
      return done(out.GroupId!, { GroupId: out.GroupId, VpcId: props.VpcId });
    }
    case 'AWS::Lambda::Function': {
      const name = (props.FunctionName as string) ?? generatedName(env.stackName, logicalId, 64);
      const arn = `arn:aws:lambda:${region}:${accountId}:function:${name}`;
      const variables = (props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
      env.host.registerFunction({
        name,
        arn,
        codeDir: functionCodeDir(resource, props, env, name),
        handler: (props.Handler as string) ?? 'index.handler',
        timeoutSeconds: Number(props.Timeout ?? 3),
        memorySize: Number(props.MemorySize ?? 128),
        roleArn: props.Role as string | undefined,
        environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v)])),
      });
      return done(name, { Arn: arn });
    }
    case 'AWS::StepFunctions::StateMachine': {
      const name = (props.StateMachineName as string) ?? generatedName(env.stackName, logicalId, 80);
      const arn = `arn:aws:states:${region}:${accountId}:stateMachine:${name}`;
      const destinations = loggingDestinations(props);
      const overflow = policyOverflow(region, accountId, env.logDeliveryGroups(), destinations);
      if (overflow) throw new ResourceFailure(logicalId, resource.Type, overflow);
      let definition = typeof props.DefinitionString === 'string' ? props.DefinitionString : JSON.stringify(props.Definition ?? {});
      for (const [key, value] of Object.entries((props.DefinitionSubstitutions as Record<string, unknown>) ?? {})) {
        definition = definition.split('${' + key + '}').join(typeof value === 'string' ? value : JSON.stringify(value));
      }
      env.host.putStateMachine({ name, arn, definition, roleArn: props.RoleArn as string | undefined, tags: (props.Tags as Tag[]) ?? [] });
      return done(arn, { Arn: arn, Name: name, StateMachineRevisionId: 'INITIAL', LoggingDestinations: destinations });
    }
    case 'AWS::Logs::LogGroup': {
      // Recorded only (no Logs service here), but named and addressed as CloudFormation would.
      const name = (props.LogGroupName as string) ?? generatedName(env.stackName, logicalId, 512);
      return done(name, { Arn: `arn:aws:logs:${region}:${accountId}:log-group:${name}:*` }, false);
    }
    case 'AWS::SNS::Topic':
    case 'AWS::SNS::TopicPolicy':
    case 'AWS::SNS::Subscription': {
      if (reuse) return reuse;
      const made = (await provisionSns(resource.Type, logicalId, env.stackName, props, env.sns))!;
      return done(made.physicalId, made.attributes);
    }
    case 'AWS::CloudWatch::Alarm': {
      // a redeploy puts it again: an update overwrites the configuration and keeps the state (PutMetricAlarm)
      const made = await provisionAlarm(logicalId, env.stackName, props, env.host, env.cloudwatch);
      return done(made.physicalId, made.attributes);
    }
    case 'AWS::Events::Rule':
    case 'AWS::Scheduler::Schedule':
      return provisionSchedule(logicalId, resource.Type, props, env, done);
    case 'AWS::CloudFormation::CustomResource':
      return provisionCustomResource(logicalId, resource.Type, props, env, done);
    case 'AWS::IAM::Role':
    case 'AWS::IAM::Policy':
    case 'AWS::IAM::ManagedPolicy':
    case 'AWS::IAM::InstanceProfile':
    case 'AWS::S3::BucketPolicy':
      if (env.host.iam) return provisionIam(logicalId, resource.Type, props, env, done);
      return recordOnly(logicalId, resource.Type, env, done);
    default: {
      if (isCustomResource(resource.Type)) return provisionCustomResource(logicalId, resource.Type, props, env, done);
      if (reuse) return reuse;
      const net = await provisionNetwork(logicalId, resource.Type, props, env.ec2);
      return net ? done(net.physicalId, net.attributes) : recordOnly(logicalId, resource.Type, env, done);
    }
  }
}

type Done = (physicalId: string, attributes: Record<string, unknown>, emulated?: boolean) => DeployedResource;

async function provisionCustomResource(
  logicalId: string,
  type: string,
  props: Record<string, unknown>,
  env: ProvisionEnv,
  done: Done,
): Promise<DeployedResource> {
  const cr = env.host.customResources;
  if (!cr) return recordOnly(logicalId, type, env, done);
  const previous = env.previous && isCustomResource(env.previous.type) ? env.previous : undefined;
  const outcome = await runCustomResource(logicalId, type, props, {
    region: env.host.region,
    accountId: env.host.accountId,
    stackName: env.stackName,
    endpoint: cr.endpoint(),
    responses: cr.responses,
    invokeFunction: (arn, payload) => env.host.invokeFunction(arn, payload),
    hasFunction: (arn) => env.host.hasFunction(arn),
    previous: previous
      ? { physicalId: previous.physicalId, properties: previous.attributes[CUSTOM_PROPERTIES] as Record<string, unknown> | undefined }
      : undefined,
  });
  if (!outcome.ok) throw new ResourceFailure(logicalId, type, outcome.reason);
  return done(outcome.physicalId, { ...outcome.data, [CUSTOM_PROPERTIES]: props });
}

function provisionSchedule(logicalId: string, type: string, props: Record<string, unknown>, env: ProvisionEnv, done: Done): DeployedResource {
  const { region, accountId } = env.host;
  const isRule = type === 'AWS::Events::Rule';
  const name = (props.Name as string) ?? generatedName(env.stackName, logicalId, 64);
  const arn = isRule ? `arn:aws:events:${region}:${accountId}:rule/${name}` : `arn:aws:scheduler:${region}:${accountId}:schedule/default/${name}`;
  const expression = props.ScheduleExpression as string | undefined;
  const enabled = (props.State ?? 'ENABLED') === 'ENABLED';
  const targets = (isRule ? ((props.Targets as Record<string, unknown>[] | undefined) ?? []) : [props.Target as Record<string, unknown>]).filter(Boolean);
  for (const target of targets) {
    const targetArn = String(target.Arn ?? '');
    if (!expression || !/^arn:[^:]+:states:[^:]*:[^:]*:stateMachine:/.test(targetArn)) continue;
    const input = typeof target.Input === 'string' ? target.Input : scheduledEvent(arn, region, accountId);
    env.host.putSchedule({ id: `${env.stackName}/${logicalId}/${String(target.Id ?? 'target')}`, expression, stateMachineArn: targetArn, input, enabled });
  }
  return done(name, { Arn: arn });
}

/** The event EventBridge passes to a target that has no Input of its own. */
function scheduledEvent(ruleArn: string, region: string, account: string): string {
  return JSON.stringify({ version: '0', 'detail-type': 'Scheduled Event', source: 'aws.events', account, region, resources: [ruleArn], detail: {} });
}

const IAM_PROVISIONERS: Record<
  string,
  (props: Record<string, unknown>, env: iamDeploy.IamProvisionEnv) => { physicalId: string; attributes: Record<string, unknown> }
> = {
  'AWS::IAM::Role': iamDeploy.provisionRole,
  'AWS::IAM::Policy': iamDeploy.provisionInlinePolicy,
  'AWS::IAM::ManagedPolicy': iamDeploy.provisionManagedPolicy,
  'AWS::IAM::InstanceProfile': iamDeploy.provisionInstanceProfile,
  'AWS::S3::BucketPolicy': iamDeploy.provisionBucketPolicy,
};

/** IAM resources go to the registry; a quota IAM enforces fails the resource, and so the deploy, as in CloudFormation. */
function provisionIam(logicalId: string, type: string, props: Record<string, unknown>, env: ProvisionEnv, done: Done): DeployedResource {
  const iamEnv: iamDeploy.IamProvisionEnv = {
    iam: env.host.iam!,
    accountId: env.host.accountId,
    generatedName: (max) => generatedName(env.stackName, logicalId, max),
  };
  try {
    const out = IAM_PROVISIONERS[type](props, iamEnv);
    return done(out.physicalId, out.attributes);
  } catch (err) {
    if (err instanceof iamDeploy.IamDeployError) {
      throw new Error(`${env.stackName}: ${logicalId} (${type}) CREATE_FAILED: ${err.message} (Service: Iam, Status Code: 409, Error Code: ${err.code})`, {
        cause: err,
      });
    }
    throw err;
  }
}

function recordOnly(logicalId: string, type: string, env: ProvisionEnv, done: Done): DeployedResource {
  const { region, accountId } = env.host;
  const [, service = 'custom', kind = 'resource'] = type.split('::');
  const physicalId = `${env.stackName}-${logicalId}`;
  const arn = `arn:aws:${service.toLowerCase()}:${region}:${accountId}:${kind.toLowerCase()}/${logicalId}`;
  return done(physicalId, { Arn: arn }, false);
}

/** The folder holding a function's code: asset metadata, else the asset its S3Key names, else inline ZipFile. */
function functionCodeDir(resource: TemplateResource, props: Record<string, unknown>, env: ProvisionEnv, name: string): string {
  const assetPath = resource.Metadata?.['aws:asset:path'];
  if (typeof assetPath === 'string') return path.resolve(env.assemblyDir, assetPath);
  const code = (props.Code ?? {}) as { S3Key?: string; ZipFile?: string };
  if (code.S3Key && env.assetFolders.has(code.S3Key)) return env.assetFolders.get(code.S3Key)!;
  if (typeof code.ZipFile === 'string') {
    const dir = path.join(env.host.dataDir, 'lambda-inline', name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'index.js'), code.ZipFile);
    return dir;
  }
  env.host.log(`deploy: function ${name} has no code the offline cloud can find; invocations will fail`);
  return path.join(env.assemblyDir, 'missing-code', name);
}
