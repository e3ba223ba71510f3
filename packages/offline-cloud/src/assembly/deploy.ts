/**
 * deployAssembly: deploys the stacks of a synthesized CDK assembly into the offline cloud in
 * dependency order, as `cdk deploy --all` would: publishes file assets to the emulated S3, resolves
 * parameters and intrinsics, creates resources in reference order, and records outputs and exports
 * for Fn::ImportValue. Re-deploying is idempotent (functions and state machines update in place).
 */
import fs from 'node:fs';
import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { SNSClient } from '@aws-sdk/client-sns';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { FileAsset } from './manifest';
import { NO_VALUE, referencedIds, ResolveScope, resolveValue } from './intrinsics';
import { Assembly, fillPlaceholders, inDependencyOrder, readAssembly, StackArtifact, type StackEnvironment } from './manifest';
import { createBucketIn, DeployedResource, DeployHost, provision, ResourceFailure } from './provisioners';
import { zipFolder } from './zip';
import { CUSTOM_PROPERTIES, isCustomResource } from './custom-resources';

export interface DeployedStack {
  stackName: string;
  resources: Record<string, DeployedResource>;
  outputs: Record<string, unknown>;
  /** Export name → value. */
  exports: Record<string, unknown>;
  /** CloudFormation's stack status; absent on records saved before it was kept (= CREATE_COMPLETE). */
  status?: 'CREATE_COMPLETE' | 'UPDATE_COMPLETE' | 'ROLLBACK_COMPLETE' | 'UPDATE_ROLLBACK_COMPLETE';
  /** Why the stack rolled back: the failed resource's status reason. */
  statusReason?: string;
}

/** One account and region a stack deploys into: the services there, and the stacks deployed there so far. */
export interface DeployTarget {
  host: DeployHost;
  /** Stacks deployed so far in this account and region, by stack name; updated in place. */
  stacks: Map<string, DeployedStack>;
}

export interface DeployOptions {
  /** The target of a stack's environment (an environment-agnostic stack names neither account nor region). */
  targetFor(env: StackEnvironment): DeployTarget;
  /** Credentials of the account's administrator, which deploys (as `cdk deploy` with that account's credentials). */
  credentialsFor(accountId: string): { accessKeyId: string; secretAccessKey: string };
  endpoint: string;
}

const SSM_IMAGE_PARAMETER = 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>';

/**
 * Each stack deploys into the account and region of its environment (`env` in CDK; manifest.json's
 * `aws://ACCOUNT/REGION`); an environment-agnostic one into the default account and region, as `cdk deploy`
 * with the default profile would. Its file assets are published into that environment's bootstrap bucket.
 */
export async function deployAssembly(dir: string, opts: DeployOptions): Promise<void> {
  const assembly = readAssembly(dir);
  const published = new Set<string>();
  for (const stack of assembly.stacks) {
    const target = opts.targetFor(stack.environment);
    const { host } = target;
    const clientConfig = { endpoint: opts.endpoint, region: host.region, credentials: opts.credentialsFor(host.accountId) };
    const s3 = new S3Client({ ...clientConfig, forcePathStyle: true });
    const ec2 = new EC2Client(clientConfig);
    const sns = new SNSClient(clientConfig);
    const cloudwatch = new CloudWatchClient(clientConfig);
    try {
      const assets = assembly.assets.filter((a) => stack.dependencies.includes(a.manifestId) || stack.assetManifests.includes(a.manifestId));
      const assetFolders = await publishAssets(assets, s3, host, published);
      host.log(`deploy: stack ${stack.stackName} (${host.accountId}, ${host.region})`);
      const deployed = await deployStack(stack, { ...target, assembly, assetFolders, s3, ec2, sns, cloudwatch });
      target.stacks.set(stack.stackName, deployed);
    } finally {
      s3.destroy();
      ec2.destroy();
      sns.destroy();
      cloudwatch.destroy();
    }
  }
}

/** Uploads each file asset (folders zipped) to its bootstrap bucket once; returns zip object key → folder. */
async function publishAssets(assets: FileAsset[], s3: S3Client, host: DeployHost, published: Set<string>): Promise<Map<string, string>> {
  const folders = new Map<string, string>();
  const buckets = new Set<string>();
  for (const asset of assets) {
    const isFolder = fs.existsSync(asset.sourcePath) && fs.statSync(asset.sourcePath).isDirectory();
    for (const d of asset.destinations) {
      const bucket = fillPlaceholders(d.bucketName, host.accountId, host.region);
      const key = fillPlaceholders(d.objectKey, host.accountId, host.region);
      if (isFolder) folders.set(key, asset.sourcePath);
      if (published.has(`${bucket}/${key}`)) continue;
      published.add(`${bucket}/${key}`);
      if (!buckets.has(bucket)) {
        await createBucketIn(s3, bucket, host.region).catch((err: Error) => {
          if (err.name !== 'BucketAlreadyOwnedByYou' && err.name !== 'BucketAlreadyExists') throw err;
        });
        buckets.add(bucket);
      }
      const body = isFolder ? zipFolder(asset.sourcePath) : fs.readFileSync(asset.sourcePath);
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    }
  }
  return folders;
}

interface StackContext extends DeployTarget {
  assembly: Assembly;
  assetFolders: Map<string, string>;
  s3: S3Client;
  ec2: EC2Client;
  sns: SNSClient;
  cloudwatch: CloudWatchClient;
}

async function deployStack(stack: StackArtifact, c: StackContext): Promise<DeployedStack> {
  const { host } = c;
  const template = stack.template;
  const previous = c.stacks.get(stack.stackName);
  const parameters = await resolveParameters(stack, c.ec2);
  const resources: Record<string, DeployedResource> = {};
  const conditionCache = new Map<string, boolean>();
  const scope: ResolveScope = {
    region: host.region,
    ref: (name) => {
      const pseudo = pseudoParameter(name, stack.stackName, host);
      if (pseudo !== undefined) return pseudo;
      if (name in parameters) return parameters[name];
      const res = resources[name];
      if (!res) throw new Error(`${stack.stackName}: Ref to ${name}, which is not deployed (yet)`);
      return res.physicalId;
    },
    getAtt: (id, attribute) => {
      const res = resources[id];
      if (!res) throw new Error(`${stack.stackName}: Fn::GetAtt ${id}.${attribute}: no such resource deployed`);
      if (isCustomResource(res.type) && res.emulated) {
        // only the answer's own Data keys (not what every JS object inherits, not the stored request properties)
        if (!Object.hasOwn(res.attributes, attribute) || attribute === CUSTOM_PROPERTIES) {
          // what CloudFormation says when a custom resource's Data lacks the attribute
          throw new Error(`${stack.stackName}: CustomResource attribute error: Vendor response doesn't contain ${attribute} key in object ${id}`);
        }
        return res.attributes[attribute];
      }
      return res.attributes[attribute] ?? res.physicalId;
    },
    importValue: (name) => {
      for (const s of c.stacks.values()) if (name in s.exports) return s.exports[name];
      throw new Error(`${stack.stackName}: no export named ${name}`);
    },
    condition: (name) => {
      if (!conditionCache.has(name)) conditionCache.set(name, resolveValue(template.Conditions?.[name], scope) === true);
      return conditionCache.get(name)!;
    },
    findInMap: (map, top, second) => template.Mappings?.[map]?.[top]?.[second],
  };

  // The log groups vended delivery already writes to: every other stack's, and this one's so far.
  const logDeliveryGroups = () =>
    [...[...c.stacks.values()].filter((s) => s.stackName !== stack.stackName).map((s) => s.resources), resources]
      .flatMap((r) => Object.values(r))
      .flatMap((r) => (r.attributes.LoggingDestinations as string[] | undefined) ?? []);
  for (const logicalId of resourceOrder(template.Resources)) {
    const resource = template.Resources[logicalId];
    if (resource.Condition && !scope.condition(resource.Condition)) continue;
    const props = resolveValue(resource.Properties ?? {}, scope) as Record<string, unknown>;
    try {
      resources[logicalId] = await provision(logicalId, resource, props, {
        host,
        stackName: stack.stackName,
        assemblyDir: c.assembly.dir,
        assetFolders: c.assetFolders,
        s3: c.s3,
        ec2: c.ec2,
        sns: c.sns,
        cloudwatch: c.cloudwatch,
        previous: previous?.resources[logicalId],
        logDeliveryGroups,
      });
    } catch (err) {
      if (err instanceof ResourceFailure) throw rolledBack(stack.stackName, previous, err, c);
      throw err;
    }
  }

  const outputs: Record<string, unknown> = {};
  const exports: Record<string, unknown> = {};
  for (const [name, output] of Object.entries(template.Outputs ?? {})) {
    if (output.Condition && !scope.condition(output.Condition)) continue;
    const value = resolveValue(output.Value, scope);
    if (value === NO_VALUE) continue;
    outputs[name] = value;
    if (output.Export) exports[String(resolveValue(output.Export.Name, scope))] = value;
  }
  return { stackName: stack.stackName, resources, outputs, exports, status: previous ? 'UPDATE_COMPLETE' : 'CREATE_COMPLETE' };
}

/**
 * A resource failed: CloudFormation rolls the stack back (a new stack to ROLLBACK_COMPLETE with nothing in
 * it, an update to UPDATE_ROLLBACK_COMPLETE as it was) and `cdk deploy` fails with the resource's reason.
 * Known difference: what this deploy already created in the emulators before the failure is not deleted.
 */
function rolledBack(stackName: string, previous: DeployedStack | undefined, failure: ResourceFailure, c: StackContext): Error {
  const status = previous ? 'UPDATE_ROLLBACK_COMPLETE' : 'ROLLBACK_COMPLETE';
  const record: DeployedStack = previous ?? { stackName, resources: {}, outputs: {}, exports: {} };
  c.stacks.set(stackName, { ...record, status, statusReason: failure.message });
  c.host.log(`deploy: stack ${stackName} ${status}: ${failure.message}`);
  return new Error(`stack ${stackName} failed to deploy (${status}): ${failure.message}`);
}

/** Defaults, except an SSM AMI parameter resolves to the first image the emulated EC2 lists. */
async function resolveParameters(stack: StackArtifact, ec2: EC2Client): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [name, p] of Object.entries(stack.template.Parameters ?? {})) {
    if (p.Type === SSM_IMAGE_PARAMETER) {
      const images = await ec2.send(new DescribeImagesCommand({}));
      const imageId = images.Images?.[0]?.ImageId;
      if (!imageId) throw new Error(`${stack.stackName}: parameter ${name} needs an AMI, but the emulated EC2 lists none`);
      out[name] = imageId;
    } else {
      out[name] = p.Default;
    }
  }
  return out;
}

function pseudoParameter(name: string, stackName: string, host: DeployHost): unknown {
  switch (name) {
    case 'AWS::AccountId':
      return host.accountId;
    case 'AWS::Region':
      return host.region;
    case 'AWS::Partition':
      return 'aws';
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    case 'AWS::StackName':
      return stackName;
    case 'AWS::StackId':
      return `arn:aws:cloudformation:${host.region}:${host.accountId}:stack/${stackName}/offline`;
    case 'AWS::NotificationARNs':
      return [];
    default:
      return undefined;
  }
}

/** Resources ordered so each comes after those it references (Ref, GetAtt, Sub) or DependsOn. */
export function resourceOrder(resources: Record<string, { Properties?: unknown; DependsOn?: string | string[] }>): string[] {
  const items = Object.entries(resources).map(([id, r]) => {
    const refs = referencedIds(r.Properties ?? {});
    for (const d of [r.DependsOn ?? []].flat()) refs.add(d);
    return { id, dependencies: [...refs].filter((x) => x !== id && x in resources) };
  });
  return inDependencyOrder(items).map((i) => i.id);
}
