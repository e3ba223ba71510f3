/**
 * CloudFormation's limits at deploy on the offline cloud: a resource whose name breaks its type's limits
 * fails (CREATE_FAILED with CloudFormation's status reason) and the stack rolls back; names at the limits
 * deploy; state machines logging to log groups outside /aws/vendedlogs/ overflow the account's 5,120-
 * character CloudWatch Logs resource policy as in AWS, and the same number under /aws/vendedlogs/ do not.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Harness, startHarness } from './fixtures/sfn-app/harness';
import { LOGS_RESOURCE_POLICY_MAX_CHARS, logDeliveryPolicy } from '../src/assembly/log-delivery-policy';

let h: Harness;
let n = 0;

beforeAll(async () => {
  h = await startHarness();
}, 90_000);

afterAll(async () => {
  await h?.close();
});

const PASS_ASL = JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', End: true } } });
const stateMachine = (name?: string, logGroupId?: string) => ({
  Type: 'AWS::StepFunctions::StateMachine',
  Properties: {
    ...(name ? { StateMachineName: name } : {}),
    DefinitionString: PASS_ASL,
    ...(logGroupId
      ? {
          LoggingConfiguration: {
            Level: 'ERROR',
            IncludeExecutionData: false,
            Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [logGroupId, 'Arn'] } } }],
          },
        }
      : {}),
  },
});
const bucket = (BucketName: string) => ({ Type: 'AWS::S3::Bucket', Properties: { BucketName } });
const fn = (FunctionName: string) => ({
  Type: 'AWS::Lambda::Function',
  Properties: { FunctionName, Handler: 'index.handler', Code: { ZipFile: 'exports.handler = async () => 1;' } },
});
const role = (RoleName: string) => ({ Type: 'AWS::IAM::Role', Properties: { RoleName, AssumeRolePolicyDocument: {} } });
const logGroup = (LogGroupName?: string) => ({ Type: 'AWS::Logs::LogGroup', Properties: LogGroupName ? { LogGroupName } : {} });

/** Writes a one-stack assembly and deploys it; returns the stack name. */
async function deploy(resources: Record<string, unknown>): Promise<{ stackName: string; result: Promise<void> }> {
  const stackName = `Limits${++n}`;
  const dir = path.join(h.dir, `asm-${n}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${stackName}.template.json`), JSON.stringify({ Resources: resources }));
  fs.writeFileSync(
    path.join(dir, 'manifest.json'),
    JSON.stringify({ artifacts: { [stackName]: { type: 'aws:cloudformation:stack', properties: { templateFile: `${stackName}.template.json` } } } }),
  );
  const result = h.sfn.deployAssembly(dir);
  result.catch(() => undefined);
  return { stackName, result };
}

const stackRecord = (name: string) => h.sfn.deployedStacks().find((s) => s.stackName === name);

async function expectRefused(resources: Record<string, unknown>, reason: string): Promise<void> {
  const { stackName, result } = await deploy(resources);
  await expect(result).rejects.toThrow(reason);
  expect(stackRecord(stackName)).toMatchObject({ status: 'ROLLBACK_COMPLETE', resources: {}, statusReason: expect.stringContaining(reason) });
}

const schema = (id: string, prop: string, detail: string) => `Properties validation failed for resource ${id} with message: #/${prop}: ${detail}`;

describe('name limits', () => {
  test.each([
    ['a state machine name of 81 characters', { Sm: stateMachine('s'.repeat(81)) }, schema('Sm', 'StateMachineName', 'expected maxLength: 80, actual: 81')],
    [
      'a state machine name with a space',
      { Sm: stateMachine('bad name') },
      "Invalid State Machine Name: 'bad name' (Service: AWSStepFunctions; Status Code: 400; Error Code: InvalidName",
    ],
    ['a bucket name of 64 characters', { B: bucket('b'.repeat(64)) }, schema('B', 'BucketName', 'expected maxLength: 63, actual: 64')],
    ['a bucket name with capitals', { B: bucket('My-Bucket') }, schema('B', 'BucketName', 'failed validation constraint for keyword [pattern]')],
    [
      'a bucket name with adjacent periods',
      { B: bucket('my..bucket') },
      'The specified bucket is not valid. (Service: S3; Status Code: 400; Error Code: InvalidBucketName',
    ],
    ['a bucket name formatted as an IP address', { B: bucket('192.168.5.4') }, 'Error Code: InvalidBucketName'],
    ['a bucket name of 2 characters', { B: bucket('ab') }, 'Error Code: InvalidBucketName'],
    ['a Lambda function name of 65 characters', { F: fn('f'.repeat(65)) }, schema('F', 'FunctionName', 'expected maxLength: 64, actual: 65')],
    ['a Lambda function name with a period', { F: fn('my.function') }, "Value 'my.function' at 'functionName' failed to satisfy constraint"],
    ['an IAM role name of 65 characters', { R: role('r'.repeat(65)) }, schema('R', 'RoleName', 'expected maxLength: 64, actual: 65')],
    ['an IAM role name with a space', { R: role('my role') }, schema('R', 'RoleName', 'failed validation constraint for keyword [pattern]')],
    ['a log group name with a space', { L: logGroup('/my logs') }, schema('L', 'LogGroupName', 'failed validation constraint for keyword [pattern]')],
  ])('%s fails the deploy and rolls the stack back', async (_what, resources, reason) => {
    await expectRefused(resources, reason);
  });

  test('names at the limits deploy', async () => {
    const { stackName, result } = await deploy({
      Sm: stateMachine('s'.repeat(80)),
      B: bucket(`b${'0'.repeat(61)}b`),
      F: fn('f'.repeat(64)),
      R: role('r'.repeat(64)),
      L: logGroup('/aws/vendedlogs/states/ok_name-1.#'),
    });
    await result;
    expect(stackRecord(stackName)).toMatchObject({ status: 'CREATE_COMPLETE' });
  });
});

describe('the CloudWatch Logs resource policy of vended log delivery', () => {
  const machines = (count: number, name: (i: number) => string | undefined) => {
    const resources: Record<string, unknown> = {};
    for (let i = 0; i < count; i++) {
      resources[`Logs${i}`] = logGroup(name(i));
      resources[`Machine${i}`] = stateMachine(undefined, `Logs${i}`);
    }
    return resources;
  };
  // 30 groups of ~140 characters need ~6,000 characters of policy, past the 5,120 limit
  const plainName = (i: number) => `lifeboat-limits-${'x'.repeat(120)}-${i}`;
  const policy = logDeliveryPolicy(
    'us-east-1',
    '000000000000',
    Array.from({ length: 30 }, (_, i) => plainName(i)),
  );

  test('state machines logging to log groups under /aws/vendedlogs/ share one entry and deploy', async () => {
    const { stackName, result } = await deploy(machines(30, (i) => `/aws/vendedlogs/states/${plainName(i)}`));
    await result;
    expect(stackRecord(stackName)?.status).toBe('CREATE_COMPLETE');
  });

  test('as many logging to other log groups overflow the 5,120-character policy: InvalidLoggingConfiguration', async () => {
    expect(policy.length).toBeGreaterThan(LOGS_RESOURCE_POLICY_MAX_CHARS);
    await expectRefused(
      machines(30, plainName),
      'Invalid Logging Configuration: The CloudWatch Logs Resource Policy size was exceeded. We suggest prefixing your CloudWatch log group name with /aws/vendedlogs/states/.',
    );
  });
});
