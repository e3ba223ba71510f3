/**
 * What the offline cloud records of an assembly's identities and hands out: the credentials route (role ARN, role
 * name, 404), IMDS credentials for an instance with an instance profile (none without), a Lambda function's
 * environment credentials, and IAM's read APIs (Query protocol, signed for us-east-1; @aws-sdk/client-iam is not in
 * node_modules, so the requests are signed here with @smithy/signature-v4).
 */
import { DescribeImagesCommand, RunInstancesCommand, waitUntilInstanceRunning } from '@aws-sdk/client-ec2';
import { startTestCloud, type TestCloud } from '../src/testing';
import { signedIamQuery } from './helpers/iam-query';
import { credentialsOf, role, type RoleCredentials, writeAssembly } from './helpers/iam-assembly';

const ACCOUNT = '000000000000';
const AGENT_POLICY = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }] };

const assembly = writeAssembly({
  Managed: { Type: 'AWS::IAM::ManagedPolicy', Properties: { ManagedPolicyName: 'AgentExtra', PolicyDocument: AGENT_POLICY } },
  Agent: role('Agent', 'ec2.amazonaws.com', [{ Effect: 'Allow', Action: 'ec2:DescribeInstances', Resource: '*' }], { ManagedPolicyArns: [{ Ref: 'Managed' }] }),
  AgentPolicy: { Type: 'AWS::IAM::Policy', Properties: { PolicyName: 'extra', Roles: [{ Ref: 'Agent' }], PolicyDocument: AGENT_POLICY } },
  Profile: { Type: 'AWS::IAM::InstanceProfile', Properties: { Roles: [{ Ref: 'Agent' }] } },
  FnRole: role('FnRole', 'lambda.amazonaws.com', [], { ManagedPolicyArns: ['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'] }),
  Fn: {
    Type: 'AWS::Lambda::Function',
    Properties: {
      FunctionName: 'whoami',
      Role: { 'Fn::GetAtt': ['FnRole', 'Arn'] },
      Handler: 'index.handler',
      Code: {
        ZipFile:
          'exports.handler = async () => ({ key: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY, token: process.env.AWS_SESSION_TOKEN });',
      },
    },
  },
});

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud({ assemblyDir: assembly });
});
afterAll(() => t?.stop());

describe('the credentials route', () => {
  test("answers a deployed role's credentials by ARN and by name, exactly the four fields", async () => {
    const byArn = await credentialsOf(t.url, { roleArn: `arn:aws:iam::${ACCOUNT}:role/Agent` });
    expect(byArn.status).toBe(200);
    expect(Object.keys(byArn.json as object).sort()).toEqual(['AccessKeyId', 'Expiration', 'SecretAccessKey', 'SessionToken']);
    const c = byArn.json as RoleCredentials;
    expect(c.AccessKeyId).toMatch(/^ASIA[0-9A-F]{16}$/);
    expect(Date.parse(c.Expiration)).toBeGreaterThan(Date.now());
    const byName = await credentialsOf(t.url, { roleName: 'Agent' });
    expect((byName.json as RoleCredentials).AccessKeyId).toBe(c.AccessKeyId);
  });

  test('answers 404 for a role the assembly did not deploy', async () => {
    expect((await credentialsOf(t.url, { roleName: 'NoSuchRole' })).status).toBe(404);
    expect((await credentialsOf(t.url, { roleArn: `arn:aws:iam::${ACCOUNT}:role/NoSuchRole` })).status).toBe(404);
  });
});

describe('IMDS', () => {
  const imds = (id: string, p: string) => fetch(`${t.url}/_imds/${id}/latest/meta-data/iam/security-credentials/${p}`);
  async function launch(withProfile: boolean): Promise<string> {
    const imageId = (await t.ec2.send(new DescribeImagesCommand({}))).Images![0].ImageId!;
    const profile = t.cloud.ctx.iam!.instanceProfiles.values().next().value!;
    const run = await t.ec2.send(
      new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1, ...(withProfile ? { IamInstanceProfile: { Arn: profile.arn } } : {}) }),
    );
    const id = run.Instances![0].InstanceId!;
    await waitUntilInstanceRunning({ client: t.ec2, maxWaitTime: 30, minDelay: 1 }, { InstanceIds: [id] });
    return id;
  }

  test("an instance with an instance profile lists its role and gets its credentials in AWS's JSON", async () => {
    const id = await launch(true);
    const list = await imds(id, '');
    expect(list.status).toBe(200);
    expect(await list.text()).toBe('Agent');
    const creds = (await (await imds(id, 'Agent')).json()) as Record<string, string>;
    expect(Object.keys(creds).sort()).toEqual(['AccessKeyId', 'Code', 'Expiration', 'LastUpdated', 'SecretAccessKey', 'Token', 'Type']);
    expect(creds).toMatchObject({ Code: 'Success', Type: 'AWS-HMAC' });
    const route = (await credentialsOf(t.url, { roleName: 'Agent' })).json as RoleCredentials;
    expect(creds.AccessKeyId).toBe(route.AccessKeyId);
  });

  test('an instance without a profile has no credentials', async () => {
    const id = await launch(false);
    expect((await imds(id, '')).status).toBe(404);
    expect((await imds(id, 'Agent')).status).toBe(404);
  });
});

test("a Lambda function runs with its execution role's credentials in its environment", async () => {
  const env = (await t.cloud.sfn.invokeFunction('whoami', {})) as { key: string; secret: string; token: string };
  const route = (await credentialsOf(t.url, { roleName: 'FnRole' })).json as RoleCredentials;
  expect(env).toEqual({ key: route.AccessKeyId, secret: route.SecretAccessKey, token: route.SessionToken });
});

const iamQuery = (params: Record<string, string>) => signedIamQuery(t.url, params);

const field = (xml: string, name: string) => [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => m[1]);

describe('IAM read APIs', () => {
  test('ListRoles lists each role with its trust policy URL-encoded; GetRole answers one', async () => {
    const listed = await iamQuery({ Action: 'ListRoles' });
    expect(listed.status).toBe(200);
    expect(field(listed.body, 'RoleName').sort()).toEqual(['Agent', 'FnRole']);
    const trust = JSON.parse(decodeURIComponent(field(listed.body, 'AssumeRolePolicyDocument')[0]));
    expect(trust.Statement[0].Principal.Service).toMatch(/amazonaws\.com$/);
    const got = await iamQuery({ Action: 'GetRole', RoleName: 'Agent' });
    expect(field(got.body, 'Arn')).toEqual([`arn:aws:iam::${ACCOUNT}:role/Agent`]);
    expect((await iamQuery({ Action: 'GetRole', RoleName: 'Nope' })).body).toContain('<Code>NoSuchEntity</Code>');
  });

  test('inline policies: ListRolePolicies and GetRolePolicy', async () => {
    const names = field((await iamQuery({ Action: 'ListRolePolicies', RoleName: 'Agent' })).body, 'member');
    expect(names.sort()).toEqual(['extra', 'main']);
    const doc = field((await iamQuery({ Action: 'GetRolePolicy', RoleName: 'Agent', PolicyName: 'extra' })).body, 'PolicyDocument')[0];
    expect(JSON.parse(decodeURIComponent(doc))).toEqual(AGENT_POLICY);
  });

  test('managed policies: ListAttachedRolePolicies, GetPolicy, GetPolicyVersion (customer and AWS managed)', async () => {
    const arn = `arn:aws:iam::${ACCOUNT}:policy/AgentExtra`;
    expect(field((await iamQuery({ Action: 'ListAttachedRolePolicies', RoleName: 'Agent' })).body, 'PolicyArn')).toEqual([arn]);
    const policy = (await iamQuery({ Action: 'GetPolicy', PolicyArn: arn })).body;
    expect(field(policy, 'DefaultVersionId')).toEqual(['v1']);
    expect(field(policy, 'AttachmentCount')).toEqual(['1']);
    const version = (await iamQuery({ Action: 'GetPolicyVersion', PolicyArn: arn, VersionId: 'v1' })).body;
    expect(JSON.parse(decodeURIComponent(field(version, 'Document')[0]))).toEqual(AGENT_POLICY);
    const basic = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';
    const aws = (await iamQuery({ Action: 'GetPolicyVersion', PolicyArn: basic, VersionId: 'v1' })).body;
    expect(JSON.parse(decodeURIComponent(field(aws, 'Document')[0])).Statement[0].Action).toContain('logs:PutLogEvents');
  });
});
