/**
 * IAM's quotas fail the deploy as CloudFormation would: a role's inline policies together over 10,240 characters
 * (white space not counted), a managed policy over 6,144, more than 10 managed policies on a role. Just within
 * each quota deploys.
 */
import { TEST_TIMINGS } from '../src/testing';
import { startCloud } from '../src/cloud';
import { policySize } from '../src/iam/deploy-iam';
import { role, writeAssembly, type Resources } from './helpers/iam-assembly';

/** A policy document of exactly `size` counted characters (its Sid pads it). */
function policyOfSize(size: number) {
  const base = { Version: '2012-10-17', Statement: [{ Sid: '', Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] };
  const pad = size - policySize(base);
  return { ...base, Statement: [{ ...base.Statement[0], Sid: 'S'.repeat(pad) }] };
}

async function deploy(resources: Resources): Promise<void> {
  const cloud = await startCloud({ timings: TEST_TIMINGS, quiet: true, assemblyDir: writeAssembly(resources) });
  await cloud.stop();
}

const inlineRole = (sizes: number[]) => ({
  ...role('Big', 'lambda.amazonaws.com', []),
  Properties: {
    ...role('Big', 'lambda.amazonaws.com', []).Properties,
    Policies: sizes.map((s, i) => ({ PolicyName: `p${i}`, PolicyDocument: policyOfSize(s) })),
  },
});

test('policySize does not count white space', () => {
  expect(policySize(policyOfSize(500))).toBe(500);
  expect(policySize({ Sid: 'a b  c' })).toBe(JSON.stringify({ Sid: 'abc' }).length);
});

test("a role's inline policies over 10,240 characters together fail the deploy; 10,240 deploys", async () => {
  await expect(deploy({ Big: inlineRole([6000, 4241]) })).rejects.toThrow('Maximum policy size of 10240 bytes exceeded for role Big');
  await expect(deploy({ Big: inlineRole([6000, 4240]) })).resolves.toBeUndefined();
});

test('an AWS::IAM::Policy that takes a role past the quota fails the deploy', async () => {
  const resources: Resources = {
    Big: inlineRole([6000]),
    More: { Type: 'AWS::IAM::Policy', Properties: { PolicyName: 'more', Roles: [{ Ref: 'Big' }], PolicyDocument: policyOfSize(4241) } },
  };
  await expect(deploy(resources)).rejects.toThrow(/More \(AWS::IAM::Policy\) CREATE_FAILED: Maximum policy size of 10240 bytes exceeded for role Big/);
});

test('a managed policy over 6,144 characters fails the deploy; 6,144 deploys', async () => {
  const managed = (size: number): Resources => ({
    M: { Type: 'AWS::IAM::ManagedPolicy', Properties: { ManagedPolicyName: 'M', PolicyDocument: policyOfSize(size) } },
  });
  await expect(deploy(managed(6145))).rejects.toThrow('Cannot exceed quota for PolicySize: 6144');
  await expect(deploy(managed(6144))).resolves.toBeUndefined();
});

test('more than 10 managed policies on a role fail the deploy; 10 deploy', async () => {
  const withPolicies = (n: number): Resources => {
    const out: Resources = {};
    for (let i = 0; i < n; i++)
      out[`M${i}`] = { Type: 'AWS::IAM::ManagedPolicy', Properties: { ManagedPolicyName: `M${i}`, PolicyDocument: policyOfSize(200) } };
    out.R = role('R', 'lambda.amazonaws.com', [], { ManagedPolicyArns: Object.keys(out).map((id) => ({ Ref: id })) });
    return out;
  };
  await expect(deploy(withPolicies(11))).rejects.toThrow('Cannot exceed quota for PoliciesPerRole: 10');
  await expect(deploy(withPolicies(10))).resolves.toBeUndefined();
});
