/**
 * Lambda-backed CloudFormation custom resources on the offline cloud: the function gets CloudFormation's Create
 * request and PUTs its answer to the ResponseURL; SUCCESS Data feeds Fn::GetAtt, FAILED, no answer and a missing
 * attribute fail the deploy with CloudFormation's texts, and the response route refuses ids no request made.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App, CfnElement, CfnOutput, CustomResource, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { TEST_TIMINGS } from '../src/testing';
import { type Cloud, startCloud } from '../src/cloud';

/** The provider: answers as ResourceProperties.Mode says, echoing the request it got in its Data. */
const HANDLER = `
exports.handler = async (event) => {
  const { Mode, Name, Reason } = event.ResourceProperties;
  if (Mode === 'silent') return 'returned without answering';
  const ids = { StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId };
  const answer = Mode === 'fail'
    ? { Status: 'FAILED', Reason, PhysicalResourceId: 'echo-failed', ...ids }
    : { Status: 'SUCCESS', PhysicalResourceId: 'echo-' + event.LogicalResourceId, Data: { Greeting: 'hello ' + Name, Request: JSON.stringify(event) }, ...ids };
  const res = await fetch(event.ResponseURL, { method: 'PUT', headers: { 'content-type': '' }, body: JSON.stringify(answer) });
  if (res.status !== 200) throw new Error('the ResponseURL refused the answer: ' + res.status);
};
`;

const ROUTE = '/_lifeboat/cloudformation-responses/';
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'custom-resources-'));
const codeDir = path.join(root, 'handler');
fs.mkdirSync(codeDir);
fs.writeFileSync(path.join(codeDir, 'index.js'), HANDLER);

/** One stack: the provider function and a Custom::Echo it backs; outputs from `outputs`. Returns the folder and the resource's logical id. */
function synth(
  stackName: string,
  properties: Record<string, string>,
  outputs: (cr: CustomResource) => Record<string, string>,
): { dir: string; logicalId: string } {
  const dir = path.join(root, stackName);
  const app = new App({ outdir: dir });
  const stack = new Stack(app, stackName);
  const fn = new lambda.Function(stack, 'Provider', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromAsset(codeDir) });
  const cr = new CustomResource(stack, 'Echo', { serviceToken: fn.functionArn, resourceType: 'Custom::Echo', properties });
  for (const [name, value] of Object.entries(outputs(cr))) new CfnOutput(stack, name, { value });
  app.synth();
  return { dir, logicalId: stack.getLogicalId(cr.node.defaultChild as CfnElement) };
}

let cloud: Cloud;
let okLogicalId: string;

beforeAll(async () => {
  const ok = synth('CrOk', { Mode: 'ok', Name: 'world' }, (cr) => ({
    Greeting: cr.getAttString('Greeting'),
    Request: cr.getAttString('Request'),
    PhysicalId: cr.ref,
  }));
  okLogicalId = ok.logicalId;
  cloud = await startCloud({ assemblyDir: ok.dir, timings: TEST_TIMINGS, quiet: true });
}, 120_000);

afterAll(async () => {
  await cloud?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

const stackRecord = (name: string) => cloud.sfn.deployedStacks().find((s) => s.stackName === name);
const okOutputs = () => stackRecord('CrOk')!.outputs as Record<string, string>;

async function deployRefused(dir: string): Promise<Error> {
  const err = await cloud.sfn.deployAssembly(dir).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  if (!err) throw new Error(`the deploy of ${dir} succeeded`);
  return err;
}

test('SUCCESS: the Data the function answered reaches a stack output through Fn::GetAtt, its PhysicalResourceId through Ref', () => {
  expect(okOutputs()).toMatchObject({ Greeting: 'hello world', PhysicalId: `echo-${okLogicalId}` });
});

test("the function got CloudFormation's Create request, ResourceProperties with the ServiceToken as AWS sends them", () => {
  const request = JSON.parse(okOutputs().Request);
  const serviceToken = request.ResourceProperties.ServiceToken as string;
  expect(serviceToken).toMatch(/^arn:aws:lambda:us-east-1:\d{12}:function:/);
  expect(request).toMatchObject({
    RequestType: 'Create',
    ResourceType: 'Custom::Echo',
    LogicalResourceId: okLogicalId,
    ResourceProperties: { ServiceToken: serviceToken, Mode: 'ok', Name: 'world' },
    StackId: expect.stringMatching(/^arn:aws:cloudformation:us-east-1:\d{12}:stack\/CrOk\//),
    RequestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
  });
  expect(Object.keys(request.ResourceProperties).sort()).toEqual(['Mode', 'Name', 'ServiceToken']);
  expect(request.ResponseURL).toBe(`${cloud.url}${ROUTE}${request.RequestId}`);
  expect(request).not.toHaveProperty('OldResourceProperties');
  expect(request).not.toHaveProperty('PhysicalResourceId');
});

test("FAILED with a Reason fails the deploy with CloudFormation's status reason naming the resource; the stack rolls back", async () => {
  const { dir, logicalId } = synth('CrFailed', { Mode: 'fail', Reason: 'the default VPC is missing' }, () => ({}));
  const err = await deployRefused(dir);
  const text = 'Received response status [FAILED] from custom resource. Message returned: the default VPC is missing';
  expect(err.message).toContain(`${logicalId} (Custom::Echo) CREATE_FAILED: ${text}`);
  expect(stackRecord('CrFailed')).toMatchObject({ status: 'ROLLBACK_COMPLETE', statusReason: expect.stringContaining(text) });
});

test("a function that returns without answering fails the deploy with CloudFormation's no-response text", async () => {
  const { dir, logicalId } = synth('CrSilent', { Mode: 'silent' }, () => ({}));
  const err = await deployRefused(dir);
  expect(err.message).toMatch(
    new RegExp(
      `${logicalId} \\(Custom::Echo\\) CREATE_FAILED: CloudFormation did not receive a response from your Custom Resource\\. Please check your logs for requestId \\[[0-9a-f-]{36}\\]\\.`,
    ),
  );
  expect(stackRecord('CrSilent')).toMatchObject({ status: 'ROLLBACK_COMPLETE' });
});

test("Fn::GetAtt of an attribute the answer's Data lacks fails the deploy", async () => {
  const { dir, logicalId } = synth('CrMissing', { Mode: 'ok', Name: 'x' }, (cr) => ({ Missing: cr.getAttString('Farewell') }));
  const err = await deployRefused(dir);
  expect(err.message).toContain(`CustomResource attribute error: Vendor response doesn't contain Farewell key in object ${logicalId}`);
  expect(stackRecord('CrMissing')?.status).not.toBe('CREATE_COMPLETE');
});

test("Fn::GetAtt reads only the answer's own Data keys, not what every JavaScript object inherits", async () => {
  const { dir, logicalId } = synth('CrInherited', { Mode: 'ok', Name: 'x' }, (cr) => ({ Inherited: cr.getAttString('toString') }));
  const err = await deployRefused(dir);
  expect(err.message).toContain(`Vendor response doesn't contain toString key in object ${logicalId}`);
});

test('the response route answers 403 to an id no request made, and to one whose answer was taken', async () => {
  const put = (id: string) => fetch(`${cloud.url}${ROUTE}${id}`, { method: 'PUT', body: JSON.stringify({ Status: 'SUCCESS', PhysicalResourceId: 'forged' }) });
  expect((await put('00000000-0000-4000-8000-000000000000')).status).toBe(403);
  const { RequestId } = JSON.parse(okOutputs().Request);
  expect((await put(RequestId)).status).toBe(403);
});
