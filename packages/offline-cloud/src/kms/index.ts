/**
 * KMS as the edge serves it (TrentService, JSON 1.1: https://docs.aws.amazon.com/kms/latest/APIReference/Welcome.html),
 * one key store per account and region, and the bridge other emulators use when they call KMS on a caller's behalf
 * (EC2 and the EBS direct APIs: ../ec2/ebs-encryption.ts), as integrated AWS services do: with the caller's identity
 * and `kms:ViaService` (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service).
 */
import { AccountRegionStores, type StoreKey, keyOf } from '../account-regions';
import type { CloudContext } from '../context';
import type { Caller } from '../iam/evaluate';
import { AwsError, type CloudRequest, type CloudResponse, type Service } from '../service';
import { OPERATIONS } from './kms-api';
import { accessDenied, callerOf, type KeyUse, mayUse, stateError } from './kms-authz';
import { type GrantRecord, type KeyRecord, KmsKeys, type KmsState } from './kms-keys';

export type { KeyRecord } from './kms-keys';
export { callerOf } from './kms-authz';

const CONTENT_TYPE = 'application/x-amz-json-1.1';
const TARGET = 'TrentService.';

/** What an integrated service (EC2, EBS) asks of KMS for one caller. */
export interface KmsBridge {
  /** The key a KeyId parameter names (id, ARN, alias, alias ARN), if it exists. */
  find(at: StoreKey, ref: string): KeyRecord | undefined;
  /** The AWS managed key for EBS (aws/ebs), created on first use. */
  awsEbsKey(at: StoreKey): KeyRecord;
  /**
   * Every use must be allowed for the caller and the key's state must permit it; the first refusal, as KMS would
   * answer it (AccessDeniedException, DisabledException, KMSInvalidStateException, NotFoundException).
   */
  check(caller: Caller, at: StoreKey, keyArn: string, uses: KeyUse[]): Promise<AwsError | undefined>;
  /** A grant the service holds for a resource (named after it), as EBS keeps one per encrypted volume. */
  addServiceGrant(at: StoreKey, keyArn: string, grant: Pick<GrantRecord, 'name' | 'granteePrincipal' | 'operations'>): void;
  /** Retires the service's grants named after a resource that is gone. */
  retireServiceGrants(at: StoreKey, name: string): void;
}

export interface KmsService extends Service, KmsBridge {
  store(at: StoreKey): KmsKeys;
  toJSON(): unknown;
  restore(state: unknown): void;
}

export function createKmsService(ctx: CloudContext): KmsService {
  const stores = new AccountRegionStores<KmsKeys>(
    { account: ctx.accountId, region: ctx.region },
    (k) => new KmsKeys(k.account, k.region, () => ctx.clock.now()),
  );
  const json = (status: number, body: unknown): CloudResponse => ({ status, headers: { 'content-type': CONTENT_TYPE }, body: JSON.stringify(body) });
  const error = (status: number, code: string, message: string) => json(status, { __type: code, message });
  const keysAt = (at: StoreKey) => {
    const keys = stores.get(at);
    keys.expire();
    return keys;
  };
  return {
    names: ['kms'],
    throttleCode: 'ThrottlingException',
    error,
    async handle(req: CloudRequest) {
      const target = String(req.headers['x-amz-target'] ?? '');
      const op = target.startsWith(TARGET) ? OPERATIONS[target.slice(TARGET.length)] : undefined;
      if (!op) return error(400, 'UnknownOperationException', `The operation ${target || '(none)'} is not served by the offline KMS.`);
      let input: Record<string, unknown>;
      try {
        input = JSON.parse(req.body.toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        return error(400, 'SerializationException', 'The request body is not valid JSON.');
      }
      try {
        const out = await op({ keys: keysAt(keyOf(req)), iam: ctx.iam, caller: callerOf(req, ctx.iam), region: req.region, input });
        ctx.markDirty();
        return json(200, out);
      } catch (err) {
        if (err instanceof AwsError) return error(err.status, err.code, err.message);
        throw err;
      }
    },
    store: (at) => keysAt(at),
    find: (at, ref) => keysAt(at).find(ref),
    awsEbsKey: (at) => keysAt(at).awsEbsKey(),
    async check(caller, at, keyArn, uses) {
      const key = keysAt(at).find(keyArn);
      if (!key) return new AwsError('NotFoundException', `Key '${keyArn}' does not exist`);
      for (const use of uses) {
        if (ctx.iam) {
          const verdict = await mayUse(ctx.iam, caller, at.region, key, use);
          if (!verdict.allowed) return accessDenied(caller, key, use.operation, verdict);
        }
        const refused = stateError(key, use.operation);
        if (refused) return refused;
      }
      return undefined;
    },
    addServiceGrant(at, keyArn, g) {
      const key = keysAt(at).find(keyArn);
      if (!key) return;
      key.grants.push({
        ...g,
        grantId: `${g.name}-${key.grants.length}-${ctx.clock.now()}`,
        retiringPrincipal: g.granteePrincipal,
        issuingAccount: `arn:aws:iam::${at.account}:root`,
        creationDate: ctx.clock.now(),
      });
      ctx.markDirty();
    },
    retireServiceGrants(at, name) {
      for (const key of Object.values(keysAt(at).state.keys)) key.grants = key.grants.filter((g) => g.name !== name);
      ctx.markDirty();
    },
    toJSON: () => ({ version: 1, stores: stores.all().map(({ key, store }) => ({ ...key, state: store.state })) }),
    restore(state: unknown) {
      const saved = state as { version?: number; stores?: Array<{ account: string; region: string; state: KmsState }> } | undefined;
      if (saved?.version !== 1 || !Array.isArray(saved.stores)) throw new Error('offline kms: saved state is not a version 1 KMS state');
      for (const s of saved.stores) stores.get(s).state = JSON.parse(JSON.stringify(s.state)) as KmsState;
    },
  };
}
