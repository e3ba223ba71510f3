/**
 * EBS encryption with KMS keys (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption.html and
 * "How Amazon EBS uses AWS KMS", https://docs.aws.amazon.com/kms/latest/developerguide/services-ebs.html):
 * - a volume is encrypted when asked, when made from an encrypted snapshot, or when the account encrypts by default;
 *   its key is the KmsKeyId given, else the snapshot's, else the account's default key (ModifyEbsDefaultKmsKeyId),
 *   else the AWS managed key aws/ebs; KmsKeyId without Encrypted is refused
 *   (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVolume.html);
 * - a snapshot of an encrypted volume is encrypted under the volume's key;
 * - creating an encrypted volume makes EBS call KMS with the caller's identity, through EC2
 *   (kms:ViaService ec2.REGION.amazonaws.com): DescribeKey, CreateGrant (kms:GrantIsForAWSResource), and
 *   GenerateDataKeyWithoutPlaintext for the volume's data key; from an encrypted snapshot also Decrypt of the
 *   snapshot's data key, and ReEncryptFrom/ReEncryptTo when the volume takes another key; launching an instance
 *   with encrypted volumes also Decrypt, as EC2 decrypts each data key to attach it. These are the permissions AWS
 *   tells users to have (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html).
 * - KMS is asked asynchronously: "if you specify an identifier that is not valid, the action can appear to complete,
 *   but eventually fails" (CreateVolume's KmsKeyId). A volume whose key may not be used goes to `error`; an instance
 *   terminates with state reason `Client.InternalError: Client error on launch`, or `Client.InvalidKMSKey.InvalidState`
 *   when the key is disabled or pending deletion
 *   (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/troubleshooting-launch.html#troubleshooting-launch-internal).
 * On success EBS keeps a grant per volume (named after it, retired with it), as ListGrants shows on AWS.
 */
import type { StoreKey } from '../account-regions';
import type { Caller } from '../iam/evaluate';
import { AwsError } from '../service';
import type { Query } from './query';
import type { ActionHandler, World } from './world';

/** What KMS said about a create, worked out before the handler runs (KMS is asynchronous to EC2's answer). */
export interface KmsOutcome {
  /** The failure to record on the volumes or instances the request creates; undefined: KMS allowed everything. */
  failure?: { code: string; message: string };
}

export interface VolumeEncryption {
  encrypted: boolean;
  /** The key's ARN (or the reference as given, for a key that does not exist: it fails later). */
  keyArn?: string;
  /** The encrypted snapshot's key, when the volume is made from one. */
  sourceKeyArn?: string;
}

const storeKey = (w: World): StoreKey => ({ account: w.ctx.accountId, region: w.ctx.region });
const viaEc2 = (w: World) => `ec2.${w.ctx.region}.amazonaws.com`;

export function ebsDefaults(w: World): { encryptionByDefault: boolean; defaultKmsKeyId?: string } {
  return (w.model.ebsDefaults ??= { encryptionByDefault: false });
}

/** A volume's encryption from what the request asked and where it comes from. */
export function volumeEncryption(w: World, spec: { encrypted?: boolean; kmsKeyId?: string; snapshotId?: string }): VolumeEncryption {
  const snap = spec.snapshotId ? w.model.snapshots[spec.snapshotId] : undefined;
  if (spec.kmsKeyId !== undefined && spec.encrypted !== true) {
    throw new AwsError('InvalidParameterDependency', 'The parameter KmsKeyId requires the parameter Encrypted to be set.');
  }
  const encrypted = spec.encrypted === true || snap?.encrypted === true || ebsDefaults(w).encryptionByDefault;
  if (!encrypted) return { encrypted: false };
  const ref = spec.kmsKeyId ?? (snap?.encrypted ? snap.kmsKeyId : undefined) ?? ebsDefaults(w).defaultKmsKeyId;
  const key = ref ? w.kms?.find(storeKey(w), ref) : w.kms?.awsEbsKey(storeKey(w));
  return { encrypted: true, keyArn: key?.arn ?? ref, sourceKeyArn: snap?.encrypted ? snap.kmsKeyId : undefined };
}

/** The KMS calls EBS makes on the caller's behalf for one encrypted volume. */
async function volumeFailure(w: World, caller: Caller, enc: VolumeEncryption, attaching: boolean): Promise<AwsError | undefined> {
  if (!w.kms || !enc.encrypted || !enc.keyArn) return undefined;
  const via = viaEc2(w);
  const at = storeKey(w);
  if (enc.sourceKeyArn) {
    const source = await w.kms.check(caller, at, enc.sourceKeyArn, [
      { operation: 'Decrypt', viaService: via },
      ...(enc.sourceKeyArn !== enc.keyArn ? [{ operation: 'ReEncryptFrom', viaService: via }] : []),
    ]);
    if (source) return source;
  }
  return w.kms.check(caller, at, enc.keyArn, [
    { operation: 'DescribeKey', viaService: via },
    { operation: 'CreateGrant', viaService: via, context: { 'kms:GrantOperations': GRANT_OPERATIONS } },
    { operation: 'GenerateDataKeyWithoutPlaintext', viaService: via },
    ...(enc.sourceKeyArn && enc.sourceKeyArn !== enc.keyArn ? [{ operation: 'ReEncryptTo', viaService: via }] : []),
    ...(attaching ? [{ operation: 'Decrypt', viaService: via }] : []),
  ]);
}

const GRANT_OPERATIONS = ['Decrypt', 'Encrypt', 'GenerateDataKeyWithoutPlaintext', 'ReEncryptFrom', 'ReEncryptTo', 'CreateGrant', 'RetireGrant', 'DescribeKey'];

/** A disabled or pending-deletion key fails a launch with its own state reason; any other refusal is an internal error. */
function launchFailure(err: AwsError): KmsOutcome['failure'] {
  if (err.code === 'DisabledException' || err.code === 'KMSInvalidStateException') {
    return { code: 'Client.InvalidKMSKey.InvalidState', message: 'Client.InvalidKMSKey.InvalidState: The KMS key provided is in an incorrect state' };
  }
  return { code: 'Client.InternalError', message: 'Client.InternalError: Client error on launch' };
}

/**
 * The KMS side of a request, before its handler runs: CreateVolume and RunInstances with encrypted volumes. A request
 * EC2 itself would refuse (a bad parameter) is left to its handler, which answers EC2's error.
 */
export async function kmsOutcome(
  action: string,
  q: Query,
  w: World,
  caller: Caller,
  blockDevices: () => Array<{ encrypted?: boolean; kmsKeyId?: string; snapshotId?: string }>,
): Promise<KmsOutcome | undefined> {
  if (!w.kms || (action !== 'CreateVolume' && action !== 'RunInstances')) return undefined;
  try {
    const specs =
      action === 'CreateVolume' ? [{ encrypted: q.bool('Encrypted'), kmsKeyId: q.str('KmsKeyId'), snapshotId: q.str('SnapshotId') }] : blockDevices();
    for (const spec of specs) {
      const refused = await volumeFailure(w, caller, volumeEncryption(w, spec), action === 'RunInstances');
      if (refused) {
        w.ctx.log(`ec2: KMS refused ${action} for ${'arn' in caller ? caller.arn : caller.accountId}: ${refused.code}: ${refused.message}`);
        return { failure: action === 'RunInstances' ? launchFailure(refused) : { code: refused.code, message: refused.message } };
      }
    }
    return {};
  } catch {
    return undefined; // the handler answers EC2's validation error
  }
}

/** EBS keeps a grant for each encrypted volume it made (removeVolume retires it). */
export function grantForVolume(w: World, volumeId: string, keyArn: string | undefined): void {
  if (keyArn) w.kms?.addServiceGrant(storeKey(w), keyArn, { name: volumeId, granteePrincipal: viaEc2(w), operations: GRANT_OPERATIONS });
}

export function retireVolumeGrant(w: World, volumeId: string): void {
  w.kms?.retireServiceGrants(storeKey(w), volumeId);
}

/** The ARN GetEbsDefaultKmsKeyId answers while no customer key is set: the AWS managed key's alias. */
const awsManagedAliasArn = (w: World) => `arn:aws:kms:${w.ctx.region}:${w.ctx.accountId}:alias/aws/ebs`;

/** Encryption by default and the default key, per account and region (https://docs.aws.amazon.com/ebs/latest/userguide/encryption-by-default.html). */
export const ENCRYPTION_DEFAULT_ACTIONS: Record<string, ActionHandler> = {
  EnableEbsEncryptionByDefault: (_q, w) => {
    ebsDefaults(w).encryptionByDefault = true;
    w.ctx.markDirty();
    return { ebsEncryptionByDefault: true };
  },
  DisableEbsEncryptionByDefault: (_q, w) => {
    ebsDefaults(w).encryptionByDefault = false;
    w.ctx.markDirty();
    return { ebsEncryptionByDefault: false };
  },
  GetEbsEncryptionByDefault: (_q, w) => ({ ebsEncryptionByDefault: ebsDefaults(w).encryptionByDefault, sseType: 'none' }),
  ModifyEbsDefaultKmsKeyId: (q, w) => {
    const ref = q.required('KmsKeyId');
    const key = w.kms?.find(storeKey(w), ref);
    // an ARN is kept as given even before the key exists: KMS is asked when a volume uses it
    if (!key && !ref.startsWith('arn:aws:kms:'))
      throw new AwsError('InvalidParameterValue', `Invalid id: "${ref}" (expecting the ARN or id of an existing KMS key)`);
    ebsDefaults(w).defaultKmsKeyId = key?.arn ?? ref;
    w.ctx.markDirty();
    return { kmsKeyId: ebsDefaults(w).defaultKmsKeyId };
  },
  GetEbsDefaultKmsKeyId: (_q, w) => ({ kmsKeyId: ebsDefaults(w).defaultKmsKeyId ?? awsManagedAliasArn(w) }),
  ResetEbsDefaultKmsKeyId: (_q, w) => {
    ebsDefaults(w).defaultKmsKeyId = undefined;
    w.ctx.markDirty();
    return { kmsKeyId: awsManagedAliasArn(w) };
  },
};
