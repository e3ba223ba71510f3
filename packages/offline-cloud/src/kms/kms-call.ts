/** One KMS request as the operations see it, and the helpers they share to read its input and authorize it. */
import type { Caller } from '../iam/evaluate';
import type { IamRegistry, PolicyDocument } from '../iam/registry';
import { AwsError } from '../service';
import { accessDenied, mayUse, stateError, type KeyUse } from './kms-authz';
import type { KeyRecord, KmsKeys } from './kms-keys';

export type Json = Record<string, unknown>;
export interface KmsCall {
  keys: KmsKeys;
  iam: IamRegistry | undefined;
  caller: Caller;
  region: string;
  input: Json;
}
export type Operation = (c: KmsCall) => Promise<Json>;

export const str = (input: Json, name: string): string | undefined => (typeof input[name] === 'string' ? input[name] : undefined);
export function required(input: Json, name: string): string {
  const v = str(input, name);
  if (!v)
    throw new AwsError(
      'ValidationException',
      `1 validation error detected: Value at '${name.charAt(0).toLowerCase() + name.slice(1)}' failed to satisfy constraint: Member must not be null`,
    );
  return v;
}
export const blob = (input: Json, name: string): Buffer => Buffer.from(required(input, name), 'base64');
export const contextOf = (input: Json, name = 'EncryptionContext') => input[name] as Record<string, string> | undefined;
export const seconds = (ms: number) => ms / 1000;

export function parsePolicy(text: string): PolicyDocument {
  try {
    const doc = JSON.parse(text) as PolicyDocument;
    if (doc && typeof doc === 'object' && doc.Statement) return doc;
  } catch {
    /* below */
  }
  throw new AwsError('MalformedPolicyDocumentException', 'The key policy is not valid JSON with a Statement.');
}

/** Authorizes one use of a key for the caller, then checks its state: AccessDeniedException, DisabledException… */
export async function authorize(c: KmsCall, key: KeyRecord, use: KeyUse): Promise<void> {
  if (c.iam) {
    const verdict = await mayUse(c.iam, c.caller, c.region, key, use);
    if (!verdict.allowed) throw accessDenied(c.caller, key, use.operation, verdict);
  }
  const refused = stateError(key, use.operation);
  if (refused) throw refused;
}
