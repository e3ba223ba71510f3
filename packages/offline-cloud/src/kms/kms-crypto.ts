/**
 * Ciphertexts that round-trip: AES-256-GCM under the key's own secret, with the encryption context as additional
 * authenticated data, so a blob decrypts only under its key and with the context it was made with, as KMS's do
 * (https://docs.aws.amazon.com/kms/latest/developerguide/encrypt_context.html). The blob names its key, which is how
 * Decrypt finds a symmetric key without a KeyId (https://docs.aws.amazon.com/kms/latest/APIReference/API_Decrypt.html).
 * The layout is the offline cloud's own, not KMS's.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AwsError } from '../service';
import type { KeyRecord } from './kms-keys';

const MAGIC = 'LBK1';

function aad(context: Record<string, string> | undefined): Buffer {
  const sorted = Object.keys(context ?? {})
    .sort()
    .map((k) => [k, context![k]]);
  return Buffer.from(JSON.stringify(sorted));
}

export function seal(key: KeyRecord, plaintext: Buffer, context?: Record<string, string>): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(key.secret, 'base64'), iv);
  cipher.setAAD(aad(context));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const id = Buffer.from(key.keyId, 'utf8');
  return Buffer.concat([Buffer.from(MAGIC), Buffer.from([id.length]), id, iv, cipher.getAuthTag(), body]);
}

/** The key id a blob names (InvalidCiphertextException for anything that is not one of ours). */
export function keyIdOf(blob: Buffer): string {
  if (blob.length < 5 || blob.subarray(0, 4).toString() !== MAGIC) throw invalid();
  return blob.subarray(5, 5 + blob[4]).toString('utf8');
}

export function open(key: KeyRecord, blob: Buffer, context?: Record<string, string>): Buffer {
  const start = 5 + blob[4];
  const iv = blob.subarray(start, start + 12);
  const tag = blob.subarray(start + 12, start + 28);
  try {
    const decipher = createDecipheriv('aes-256-gcm', Buffer.from(key.secret, 'base64'), iv);
    decipher.setAAD(aad(context));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(blob.subarray(start + 28)), decipher.final()]);
  } catch {
    throw invalid();
  }
}

const invalid = () => new AwsError('InvalidCiphertextException', 'The ciphertext is invalid or was not made with this key and encryption context.');
