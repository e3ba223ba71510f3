/**
 * The KMS permissions of encrypted volumes (lib/kms-permissions.ts), on the synthesized step roles and decided by an
 * IAM policy engine: the sync and the failback may use a key only through EC2 (and the sync through the EBS direct
 * APIs for reads), grant it only to AWS resources, and, when the config names keys, only those; the roles that create
 * no volume get no KMS use at all.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { ACCOUNT, PARTITION, REGION } from './iam-resolve';
import { decide as decideAny, decisions, type Context } from './iam-decide';
import { FULL_CONFIG, synthesize } from './synth-fixture';
import { actionsOf, roleStatements } from './template-helpers';

const key = (id: string) => `arn:${PARTITION}:kms:${REGION}:${ACCOUNT}:key/${id}`;
const NAMED = key('1234abcd-12ab-34cd-56ef-1234567890ab');
const OTHER = key('0000abcd-12ab-34cd-56ef-1234567890ab');
const VIA_EC2: Context = { 'kms:ViaService': `ec2.${REGION}.amazonaws.com` };
const VIA_EBS: Context = { 'kms:ViaService': `ebs.${REGION}.amazonaws.com` };
const FOR_AWS: Context = { ...VIA_EC2, 'kms:GrantIsForAWSResource': 'true' };

/** The default key policy: the account's root may do anything, so IAM policies decide (key-policy-default-allow-root-enable-iam). */
const DEFAULT_KEY_POLICY = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:${PARTITION}:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
  ],
};
const decide = (t: Template, role: string, action: string, resource: string, context: Context) =>
  decideAny(t, role, action, resource, context, DEFAULT_KEY_POLICY);

let anyKey: Template;
let named: Template;

beforeAll(() => {
  anyKey = synthesize(FULL_CONFIG).vpgs[0];
  named = synthesize({ ...FULL_CONFIG, kms: { keyArns: [NAMED] } }).vpgs[0];
});

const kmsActions = (t: Template, role: string) =>
  roleStatements(t, role)
    .flatMap(actionsOf)
    .filter((a) => a.startsWith('kms:'));

describe('EBS encryption permissions of the step roles', () => {
  it('the sync: what AWS documents for EBS, through EC2; kms:Decrypt through the EBS direct APIs too; never directly', async () => {
    const sync = (action: string, resource: string, context: Context) => decide(anyKey, 'StepRolesSync', action, resource, context);
    expect(
      await decisions({
        'CreateGrant for an AWS resource through EC2': () => sync('kms:CreateGrant', OTHER, FOR_AWS),
        'CreateGrant through EC2, not for an AWS resource': () => sync('kms:CreateGrant', OTHER, { ...VIA_EC2, 'kms:GrantIsForAWSResource': 'false' }),
        'CreateGrant directly': () => sync('kms:CreateGrant', OTHER, { 'kms:GrantIsForAWSResource': 'false' }),
        'DescribeKey through EC2': () => sync('kms:DescribeKey', OTHER, VIA_EC2),
        'GenerateDataKeyWithoutPlaintext through EC2': () => sync('kms:GenerateDataKeyWithoutPlaintext', OTHER, VIA_EC2),
        'ReEncryptFrom through EC2': () => sync('kms:ReEncryptFrom', OTHER, VIA_EC2),
        'ReEncryptTo through EC2': () => sync('kms:ReEncryptTo', OTHER, VIA_EC2),
        'Decrypt through EC2': () => sync('kms:Decrypt', OTHER, VIA_EC2),
        'Decrypt through the EBS direct APIs': () => sync('kms:Decrypt', OTHER, VIA_EBS),
        'Decrypt directly': () => sync('kms:Decrypt', OTHER, {}),
        'Decrypt through S3': () => sync('kms:Decrypt', OTHER, { 'kms:ViaService': `s3.${REGION}.amazonaws.com` }),
        'Encrypt through EC2': () => sync('kms:Encrypt', OTHER, VIA_EC2),
        'Decrypt a key of another account through EC2': () =>
          sync('kms:Decrypt', `arn:${PARTITION}:kms:${REGION}:210987654321:key/${OTHER.split('/')[1]}`, VIA_EC2),
      }),
    ).toEqual({
      'CreateGrant for an AWS resource through EC2': 'Allowed',
      'CreateGrant through EC2, not for an AWS resource': 'ImplicitlyDenied',
      'CreateGrant directly': 'ImplicitlyDenied',
      'DescribeKey through EC2': 'Allowed',
      'GenerateDataKeyWithoutPlaintext through EC2': 'Allowed',
      'ReEncryptFrom through EC2': 'Allowed',
      'ReEncryptTo through EC2': 'Allowed',
      'Decrypt through EC2': 'Allowed',
      'Decrypt through the EBS direct APIs': 'Allowed',
      'Decrypt directly': 'ImplicitlyDenied',
      'Decrypt through S3': 'ImplicitlyDenied',
      'Encrypt through EC2': 'ImplicitlyDenied',
      'Decrypt a key of another account through EC2': 'ImplicitlyDenied',
    });
  });

  it('the failback: the same through EC2 (its importers write block devices, not the EBS direct APIs)', async () => {
    const failback = (action: string, context: Context) => decide(anyKey, 'StepRolesFailback', action, OTHER, context);
    expect(
      await decisions({
        'CreateGrant for an AWS resource through EC2': () => failback('kms:CreateGrant', FOR_AWS),
        'GenerateDataKeyWithoutPlaintext through EC2': () => failback('kms:GenerateDataKeyWithoutPlaintext', VIA_EC2),
        'Decrypt through EC2': () => failback('kms:Decrypt', VIA_EC2),
        'Decrypt through the EBS direct APIs': () => failback('kms:Decrypt', VIA_EBS),
      }),
    ).toEqual({
      'CreateGrant for an AWS resource through EC2': 'Allowed',
      'GenerateDataKeyWithoutPlaintext through EC2': 'Allowed',
      'Decrypt through EC2': 'Allowed',
      'Decrypt through the EBS direct APIs': 'ImplicitlyDenied',
    });
  });

  it('with kms.keyArns, only the keys the config names', async () => {
    expect(
      await decisions({
        'sync CreateGrant on the named key': () => decide(named, 'StepRolesSync', 'kms:CreateGrant', NAMED, FOR_AWS),
        'sync CreateGrant on another key': () => decide(named, 'StepRolesSync', 'kms:CreateGrant', OTHER, FOR_AWS),
        'sync Decrypt on another key through EBS': () => decide(named, 'StepRolesSync', 'kms:Decrypt', OTHER, VIA_EBS),
        'failback Decrypt on the named key': () => decide(named, 'StepRolesFailback', 'kms:Decrypt', NAMED, VIA_EC2),
        'failback Decrypt on another key': () => decide(named, 'StepRolesFailback', 'kms:Decrypt', OTHER, VIA_EC2),
      }),
    ).toEqual({
      'sync CreateGrant on the named key': 'Allowed',
      'sync CreateGrant on another key': 'ImplicitlyDenied',
      'sync Decrypt on another key through EBS': 'ImplicitlyDenied',
      'failback Decrypt on the named key': 'Allowed',
      'failback Decrypt on another key': 'ImplicitlyDenied',
    });
  });

  it('the roles that create no volume (compaction, cleanup) and the workers get no KMS use of volume keys', () => {
    for (const role of ['StepRolesCompaction', 'StepRolesCleanup', 'ZsatAgentRole', 'ImporterAgentRole']) {
      const ebsActions = kmsActions(anyKey, role).filter((a) => ['kms:CreateGrant', 'kms:DescribeKey', 'kms:GenerateDataKeyWithoutPlaintext'].includes(a));
      expect({ role, ebsActions }).toEqual({ role, ebsActions: [] });
    }
  });
});
