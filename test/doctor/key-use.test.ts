/** Whether a step role may use a KMS key as EBS uses it, by AWS's evaluation logic (bin/doctor/key-use.ts). */
import { refusedKeyUse } from '../../bin/doctor/key-use';

const ACCOUNT = '111122223333';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/Lifeboat-site-web-StepRolesSync-ABC`;
const KEY = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const DELEGATES_TO_IAM = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }],
};
const ADMIN_ONLY = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/KeyAdmin` }, Action: 'kms:*', Resource: '*' }],
};

/** What lib/kms-permissions.ts grants the sync steps. */
const EBS_STATEMENTS = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncrypt*'],
      Resource: KEY,
      Condition: { StringEquals: { 'kms:ViaService': ['ec2.eu-west-1.amazonaws.com', 'ebs.eu-west-1.amazonaws.com'] } },
    },
    {
      Effect: 'Allow',
      Action: 'kms:CreateGrant',
      Resource: KEY,
      Condition: { StringEquals: { 'kms:ViaService': 'ec2.eu-west-1.amazonaws.com' }, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    },
  ],
};

const ask = (identity: object, keyPolicy: object, ebsDirectReads = true) =>
  refusedKeyUse({
    roleArn: ROLE,
    identityPolicies: [{ name: 'steps', policy: identity as never }],
    keyArn: KEY,
    keyPolicy: keyPolicy as never,
    region: 'eu-west-1',
    ebsDirectReads,
  });

it('allows the step role every use EBS makes when the key policy lets the account in and the role grants them', async () => {
  expect(await ask(EBS_STATEMENTS, DELEGATES_TO_IAM)).toBeNull();
});

it("refuses when the key policy names only another principal, whatever the role's own policy says", async () => {
  expect(await ask(EBS_STATEMENTS, ADMIN_ONLY)).toBe('kms:CreateGrant through ec2.eu-west-1.amazonaws.com is not allowed');
});

it('refuses the EBS direct read when the role may decrypt only through EC2', async () => {
  const ec2Only = JSON.parse(JSON.stringify(EBS_STATEMENTS).replace(',"ebs.eu-west-1.amazonaws.com"', ''));
  expect(await ask(ec2Only, DELEGATES_TO_IAM, false)).toBeNull();
  expect(await ask(ec2Only, DELEGATES_TO_IAM, true)).toBe('kms:Decrypt through ebs.eu-west-1.amazonaws.com is not allowed');
});

it('reports an explicit deny in the key policy as one', async () => {
  const deny = {
    ...DELEGATES_TO_IAM,
    Statement: [...DELEGATES_TO_IAM.Statement, { Effect: 'Deny', Principal: '*', Action: 'kms:CreateGrant', Resource: '*' }],
  };
  expect(await ask(EBS_STATEMENTS, deny)).toBe('kms:CreateGrant through ec2.eu-west-1.amazonaws.com is explicitly denied');
});
