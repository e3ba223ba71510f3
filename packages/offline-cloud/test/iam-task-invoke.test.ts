/**
 * A state machine invokes its Lambda tasks with its own role: without lambda:InvokeFunction on the function the task
 * fails with Lambda.AWSLambdaException (Lambda's AccessDeniedException in the cause); with it, the task runs.
 */
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { startTestCloud, TEST_REGION, type TestCloud } from '../src/testing';
import { role, writeAssembly } from './helpers/iam-assembly';

const ACCOUNT = '000000000000';
const FN = `arn:aws:lambda:${TEST_REGION}:${ACCOUNT}:function:echo`;
const definition = JSON.stringify({
  StartAt: 'Call',
  States: { Call: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: FN, 'Payload.$': '$' }, End: true } },
});
const machine = (name: string, roleId: string) => ({
  Type: 'AWS::StepFunctions::StateMachine',
  Properties: { StateMachineName: name, RoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] }, DefinitionString: definition },
});

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud({
    assemblyDir: writeAssembly({
      FnRole: role('EchoRole', 'lambda.amazonaws.com', []),
      Echo: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          FunctionName: 'echo',
          Role: { 'Fn::GetAtt': ['FnRole', 'Arn'] },
          Handler: 'index.handler',
          Code: { ZipFile: 'exports.handler = async (e) => e;' },
        },
      },
      Allowed: role('AllowedMachineRole', 'states.amazonaws.com', [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: [FN, `${FN}:*`] }]),
      Denied: role('DeniedMachineRole', 'states.amazonaws.com', []),
      AllowedMachine: machine('allowed', 'Allowed'),
      DeniedMachine: machine('denied', 'Denied'),
    }),
  });
});
afterAll(() => t?.stop());

async function run(name: string) {
  const { executionArn } = await t.sfn.send(
    new StartExecutionCommand({ stateMachineArn: `arn:aws:states:${TEST_REGION}:${ACCOUNT}:stateMachine:${name}`, input: '{"x":1}' }),
  );
  for (;;) {
    const d = await t.sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (d.status !== 'RUNNING') return d;
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('without lambda:InvokeFunction the task fails with Lambda.AWSLambdaException', async () => {
  const d = await run('denied');
  expect(d.status).toBe('FAILED');
  expect(d.error).toBe('Lambda.AWSLambdaException');
  expect(d.cause).toContain('is not authorized to perform: lambda:InvokeFunction');
});

test('with it, the task runs', async () => {
  const d = await run('allowed');
  expect(d.status).toBe('SUCCEEDED');
  expect(JSON.parse(d.output!).Payload).toEqual({ x: 1 });
});
