/**
 * A role's policy documents as IAM would store them: CloudFormation values of a synthesized template resolved with
 * fixed account, region and partition, references to other resources as the ARNs CloudFormation would give them,
 * cross-stack imports as plausible ids. For the IAM simulator and for IAM's size quotas.
 */
import { createHash } from 'node:crypto';
import type { Template } from 'aws-cdk-lib/assertions';
import { roleId } from './template-helpers';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const PARTITION = 'aws';

export interface PolicyDoc {
  Version: string;
  Statement: Array<Record<string, unknown>>;
}

const hex = (text: string, n: number) => createHash('sha256').update(text).digest('hex').slice(0, n);

/** What a cross-stack import stands for, from its export's name (CDK names exports after the value they carry). */
function imported(name: string): string {
  if (/LaunchTemplate/.test(name)) return `lt-${hex(name, 17)}`;
  if (/SecurityGroup/.test(name)) return `sg-${hex(name, 17)}`;
  if (/Key[0-9A-F]+Arn/.test(name)) return `arn:${PARTITION}:kms:${REGION}:${ACCOUNT}:key/${hex(name, 8)}-0000-4000-8000-${hex(name, 12)}`;
  if (/Topic/.test(name)) return `arn:${PARTITION}:sns:${REGION}:${ACCOUNT}:${hex(name, 8)}`;
  throw new Error(`no stand-in for the import ${name}`);
}

function arnOf(template: Template, id: string): string {
  const resource = (template.toJSON().Resources as Record<string, { Type: string; Properties?: Record<string, unknown> }>)[id];
  const type = resource?.Type;
  switch (type) {
    case 'AWS::IAM::Role':
      // a role's path is part of its ARN (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns)
      return `arn:${PARTITION}:iam::${ACCOUNT}:role${String(resource.Properties?.Path ?? '/')}${id}`;
    case 'AWS::IAM::InstanceProfile':
      return `arn:${PARTITION}:iam::${ACCOUNT}:instance-profile/${id}`;
    case 'AWS::Logs::LogGroup':
      return `arn:${PARTITION}:logs:${REGION}:${ACCOUNT}:log-group:${id}:*`;
    case 'AWS::Lambda::Function':
      return `arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:function:${id}`;
    case 'AWS::Events::Rule':
      return `arn:${PARTITION}:events:${REGION}:${ACCOUNT}:rule/${id}`;
    case 'AWS::StepFunctions::StateMachine':
      return `arn:${PARTITION}:states:${REGION}:${ACCOUNT}:stateMachine:${id}`;
    case 'AWS::SNS::Topic':
      return `arn:${PARTITION}:sns:${REGION}:${ACCOUNT}:${id}`;
    case 'AWS::KMS::Key':
      return `arn:${PARTITION}:kms:${REGION}:${ACCOUNT}:key/${hex(id, 8)}-0000-4000-8000-${hex(id, 12)}`;
    case 'AWS::S3::Bucket':
      return `arn:${PARTITION}:s3:::${resource.Properties?.BucketName ? String(resolveValue(template, resource.Properties.BucketName)) : id.toLowerCase()}`;
    default:
      throw new Error(`no ARN stand-in for ${id} (${type})`);
  }
}

const PSEUDO: Record<string, string> = { 'AWS::Partition': PARTITION, 'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT, 'AWS::URLSuffix': 'amazonaws.com' };

/** A template value with every intrinsic resolved. */
export function resolveValue(template: Template, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveValue(template, v));
  if (value === null || typeof value !== 'object') return value;
  const v = value as Record<string, unknown>;
  if ('Ref' in v) {
    const name = String(v.Ref);
    if (name in PSEUDO) return PSEUDO[name];
    const parameters = (template.toJSON().Parameters ?? {}) as Record<string, { Default?: string }>;
    if (name in parameters) return parameters[name].Default ?? name;
    return `ref-${name}`;
  }
  if ('Fn::GetAtt' in v) {
    const [id, attribute] = v['Fn::GetAtt'] as [string, string];
    if (attribute === 'Arn') return arnOf(template, id);
    return `${id}.${attribute}`;
  }
  if ('Fn::ImportValue' in v) return imported(String(resolveValue(template, v['Fn::ImportValue'])));
  if ('Fn::Join' in v) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => String(resolveValue(template, p))).join(sep);
  }
  if ('Fn::Sub' in v) {
    const body = v['Fn::Sub'];
    if (typeof body !== 'string') throw new Error('Fn::Sub with variables is not expected in a policy');
    return body.replace(/\$\{([^}]+)\}/g, (_m, name: string) => String(resolveValue(template, { Ref: name })));
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolveValue(template, x)]));
}

export interface RolePolicies {
  /** The role's inline policies (AWS::IAM::Policy attached to it), resolved. */
  readonly inline: PolicyDoc[];
  /** Its customer managed policies (CDK moves statements there when the inline policy grows large), resolved. */
  readonly managed: PolicyDoc[];
}

/** The ARN of the role whose logical id starts with `prefix` (its path included), as CloudFormation would give it. */
export function roleArn(template: Template, prefix: string): string {
  return arnOf(template, roleId(template, prefix));
}

/** The resolved policies of the role whose logical id starts with `prefix`. */
export function rolePolicies(template: Template, prefix: string): RolePolicies {
  const id = roleId(template, prefix);
  const pick = (type: string) =>
    Object.values(template.findResources(type))
      .filter((p) => ((p.Properties.Roles ?? []) as Array<{ Ref?: string }>).some((r) => r.Ref === id))
      .map((p) => resolveValue(template, p.Properties.PolicyDocument) as PolicyDoc);
  const role = template.findResources('AWS::IAM::Role')[id];
  const ownInline = ((role.Properties.Policies ?? []) as Array<{ PolicyDocument: unknown }>).map((p) => resolveValue(template, p.PolicyDocument) as PolicyDoc);
  return { inline: [...pick('AWS::IAM::Policy'), ...ownInline], managed: pick('AWS::IAM::ManagedPolicy') };
}

/** Characters IAM counts against its quotas: the JSON without white space. */
export function iamSize(doc: PolicyDoc): number {
  return JSON.stringify(doc).replace(/\s/g, '').length;
}
