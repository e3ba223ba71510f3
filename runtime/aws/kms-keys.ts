/** KeysPort over KMS: whether a key exists in the recovery region (DescribeKey). */
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { NotFound } from '../core/errors';
import type { KeysPort } from '../core/failback/recovery-ports';
import { RETRY_CONFIG } from './aws-client-config';
import { awsCall } from './aws-errors';

export class KmsKeys implements KeysPort {
  constructor(private readonly client: KMSClient = new KMSClient({ ...RETRY_CONFIG })) {}

  /**
   * NotFoundException: the key does not exist (https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html#API_DescribeKey_Errors).
   * Anything else KMS refuses (AccessDenied on a key whose policy keeps the role out) says nothing about existence.
   */
  async keyState(keyArn: string): Promise<'exists' | 'missing' | 'unknown'> {
    try {
      await awsCall('DescribeKey', () => this.client.send(new DescribeKeyCommand({ KeyId: keyArn })));
      return 'exists';
    } catch (err) {
      return err instanceof NotFound ? 'missing' : 'unknown';
    }
  }
}
