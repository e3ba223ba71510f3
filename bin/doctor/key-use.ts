/**
 * Whether a step role may use a KMS key the way EBS uses it for that role
 * (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html): kms:CreateGrant for an AWS
 * resource, kms:Decrypt, kms:GenerateDataKeyWithoutPlaintext and kms:DescribeKey, each through EC2 (and, for the
 * sync's snapshot reads, kms:Decrypt through the EBS direct APIs). Decided as AWS decides it, by AWS's policy
 * evaluation logic (@cloud-copilot/iam-simulate) over the role's identity policies and the key policy, which is the
 * key's primary control: the role's own policies count only where the key policy lets the account in
 * (https://docs.aws.amazon.com/kms/latest/developerguide/control-access.html). Grants on the key are not read.
 */
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';

export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: unknown;
}

export interface KeyUseQuestion {
  readonly roleArn: string;
  readonly identityPolicies: ReadonlyArray<{ readonly name: string; readonly policy: PolicyDocument }>;
  readonly keyArn: string;
  readonly keyPolicy: PolicyDocument;
  readonly region: string;
  /** The role also reads snapshots of the key through the EBS direct APIs (the sync's Plan). */
  readonly ebsDirectReads: boolean;
}

/** The first use refused, or null when every use EBS makes is allowed. */
export async function refusedKeyUse(q: KeyUseQuestion): Promise<string | null> {
  const account = q.roleArn.split(':')[4];
  const roleName = q.roleArn.split('/').pop()!;
  const ec2 = `ec2.${q.region}.amazonaws.com`;
  const uses: Array<{ action: string; context: Record<string, string> }> = [
    { action: 'kms:CreateGrant', context: { 'kms:ViaService': ec2, 'kms:GrantIsForAWSResource': 'true' } },
    { action: 'kms:Decrypt', context: { 'kms:ViaService': ec2 } },
    { action: 'kms:GenerateDataKeyWithoutPlaintext', context: { 'kms:ViaService': ec2 } },
    { action: 'kms:DescribeKey', context: { 'kms:ViaService': ec2 } },
    ...(q.ebsDirectReads ? [{ action: 'kms:Decrypt', context: { 'kms:ViaService': `ebs.${q.region}.amazonaws.com` } }] : []),
  ];
  for (const use of uses) {
    const simulation: Simulation = {
      request: {
        principal: `arn:aws:sts::${account}:assumed-role/${roleName}/lifeboat-doctor`,
        action: use.action,
        resource: { resource: q.keyArn, accountId: q.keyArn.split(':')[4] },
        contextVariables: {
          'aws:PrincipalArn': q.roleArn,
          'aws:PrincipalAccount': account,
          'aws:PrincipalType': 'AssumedRole',
          'aws:RequestedRegion': q.region,
          'aws:SecureTransport': 'true',
          'kms:CallerAccount': account,
          ...use.context,
        },
      },
      identityPolicies: q.identityPolicies.map((p) => ({ name: p.name, policy: p.policy as never })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: q.keyPolicy as never,
    };
    const result = await runSimulation(simulation, {});
    if (result.resultType === 'error') return `${use.action} could not be evaluated: ${JSON.stringify(result.errors)}`;
    if (result.overallResult !== 'Allowed') {
      const via = use.context['kms:ViaService'];
      return `${use.action} through ${via} is ${result.overallResult === 'ExplicitlyDenied' ? 'explicitly denied' : 'not allowed'}`;
    }
  }
  return null;
}
