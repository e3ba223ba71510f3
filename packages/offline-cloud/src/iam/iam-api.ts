/**
 * IAM's read APIs for what the assembly deployed, over IAM's Query protocol (form-encoded Action, XML answers in
 * the 2010-05-08 namespace; a global service signed for us-east-1): ListRoles, GetRole, ListRolePolicies,
 * GetRolePolicy, ListAttachedRolePolicies, GetPolicy, GetPolicyVersion
 * (https://docs.aws.amazon.com/IAM/latest/APIReference/API_Operations.html). Policy documents are URL-encoded,
 * as IAM returns them (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRolePolicy.html).
 * Every list fits one page (IsTruncated false).
 */
import { randomUUID } from 'node:crypto';
import { AwsError, type CloudRequest, type CloudResponse, type Service } from '../service';
import { escapeXml } from '../ec2/xml';
import { AWS_MANAGED_POLICIES } from './aws-managed-policies';
import type { AuthzCheck } from './evaluate';
import type { IamRegistry, PolicyDocument, RoleRecord } from './registry';

const XMLNS = 'https://iam.amazonaws.com/doc/2010-05-08/';
const AWS_POLICY_DATE = '2015-04-09T15:03:43Z';

type Xml = string | number | boolean | undefined | Xml[] | { [k: string]: Xml };

function render(value: Xml): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return value.map((v) => `<member>${render(v)}</member>`).join('');
  if (typeof value === 'object')
    return Object.entries(value)
      .map(([k, v]) => (v === undefined ? '' : `<${k}>${render(v)}</${k}>`))
      .join('');
  return escapeXml(String(value));
}

const encodeDocument = (doc: PolicyDocument) => encodeURIComponent(JSON.stringify(doc));

function roleXml(r: RoleRecord): Xml {
  return {
    Path: r.path,
    RoleName: r.roleName,
    RoleId: r.roleId,
    Arn: r.arn,
    CreateDate: r.createDate,
    AssumeRolePolicyDocument: encodeDocument(r.assumeRolePolicyDocument),
    MaxSessionDuration: 3600,
  };
}

const noSuchEntity = (message: string) => new AwsError('NoSuchEntity', message, 404);

function requireRole(iam: IamRegistry, account: string, name: string | null): RoleRecord {
  const role = name ? iam.role(account, name) : undefined;
  if (!role) throw noSuchEntity(`The role with name ${name ?? ''} cannot be found.`);
  return role;
}

function requirePolicy(
  iam: IamRegistry,
  account: string,
  arn: string | null,
): { name: string; arn: string; id: string; path: string; date: string; document: PolicyDocument; attachments: number } {
  const attachments = iam.rolesOf(account).filter((r) => arn && r.managedPolicyArns.includes(arn)).length;
  const found = arn ? iam.policies.get(arn) : undefined;
  const own = found?.arn.split(':')[4] === account ? found : undefined;
  if (own) return { name: own.policyName, arn: own.arn, id: own.policyId, path: own.path, date: own.createDate, document: own.document, attachments };
  const managed = arn ? AWS_MANAGED_POLICIES[arn] : undefined;
  if (arn && managed) {
    const m = /^arn:aws:iam::aws:policy(\/.*\/|\/)([^/]+)$/.exec(arn)!;
    return {
      name: m[2],
      arn,
      id: `ANPA${Buffer.from(m[2]).toString('hex').slice(0, 16).toUpperCase()}`,
      path: m[1],
      date: AWS_POLICY_DATE,
      document: managed,
      attachments,
    };
  }
  throw noSuchEntity(`Policy ${arn ?? ''} does not exist or is not attachable.`);
}

/** IAM is global, but each account sees only its own roles and policies. */
type Operation = (p: URLSearchParams, account: string) => Xml;

export function createIamService(iam: IamRegistry): Service {
  const ops: Record<string, Operation> = {
    ListRoles: (p, account) => ({
      IsTruncated: false,
      Roles: iam
        .rolesOf(account)
        .filter((r) => r.path.startsWith(p.get('PathPrefix') ?? '/'))
        .map(roleXml),
    }),
    GetRole: (p, account) => ({ Role: roleXml(requireRole(iam, account, p.get('RoleName'))) }),
    ListRolePolicies: (p, account) => ({ IsTruncated: false, PolicyNames: Object.keys(requireRole(iam, account, p.get('RoleName')).inlinePolicies) }),
    GetRolePolicy: (p, account) => {
      const role = requireRole(iam, account, p.get('RoleName'));
      const name = p.get('PolicyName') ?? '';
      const doc = role.inlinePolicies[name];
      if (!doc) throw noSuchEntity(`The role policy with name ${name} cannot be found.`);
      return { RoleName: role.roleName, PolicyName: name, PolicyDocument: encodeDocument(doc) };
    },
    ListAttachedRolePolicies: (p, account) => ({
      IsTruncated: false,
      AttachedPolicies: requireRole(iam, account, p.get('RoleName')).managedPolicyArns.map((arn) => ({ PolicyName: arn.split('/').pop(), PolicyArn: arn })),
    }),
    GetPolicy: (p, account) => {
      const pol = requirePolicy(iam, account, p.get('PolicyArn'));
      return {
        Policy: {
          PolicyName: pol.name,
          PolicyId: pol.id,
          Arn: pol.arn,
          Path: pol.path,
          DefaultVersionId: 'v1',
          AttachmentCount: pol.attachments,
          IsAttachable: true,
          CreateDate: pol.date,
          UpdateDate: pol.date,
        },
      };
    },
    GetPolicyVersion: (p, account) => {
      const pol = requirePolicy(iam, account, p.get('PolicyArn'));
      const version = p.get('VersionId') ?? '';
      if (version !== 'v1') throw noSuchEntity(`Policy ${pol.arn} version ${version} does not exist or is not attachable.`);
      return { PolicyVersion: { Document: encodeDocument(pol.document), VersionId: 'v1', IsDefaultVersion: true, CreateDate: pol.date } };
    },
  };
  const error = (status: number, code: string, message: string): CloudResponse => ({
    status,
    headers: { 'content-type': 'text/xml' },
    body: `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  });
  return {
    names: ['iam'],
    throttleCode: 'Throttling',
    error,
    async handle(req: CloudRequest): Promise<CloudResponse> {
      const params = queryParams(req);
      const action = params.get('Action') ?? '';
      const op = ops[action];
      if (!op) return error(400, 'InvalidAction', `The action ${action || '(none)'} is not valid for this web service.`);
      const result = render(op(params, req.account));
      const body = `<${action}Response xmlns="${XMLNS}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`;
      return { status: 200, headers: { 'content-type': 'text/xml' }, body };
    },
  };
}

function queryParams(req: CloudRequest): URLSearchParams {
  const params = new URLSearchParams(req.query);
  new URLSearchParams(req.body.toString('utf8')).forEach((v, k) => params.set(k, v));
  return params;
}

/** The authorization an IAM read needs (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html). */
export function iamChecks(req: CloudRequest, iam: IamRegistry): AuthzCheck[] {
  const p = queryParams(req);
  const action = p.get('Action') ?? '';
  const roleName = p.get('RoleName');
  const resource = roleName ? (iam.role(req.account, roleName)?.arn ?? `arn:aws:iam::${req.account}:role/${roleName}`) : (p.get('PolicyArn') ?? '*');
  return [{ action: `iam:${action}`, resource, context: {} }];
}
