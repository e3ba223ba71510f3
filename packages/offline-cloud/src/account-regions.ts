/**
 * Every regional service keeps its state per account and per region, as AWS does (and as LocalStack's
 * account-region stores do): a VPC, a volume, a state machine of one account in one region is invisible from
 * any other. A store is created on first use; the default store (the default account in `--region`) always exists.
 * A request's region is its SigV4 credential scope's; its account is its credentials' (CloudRequest.account).
 */
import type { CloudContext } from './context';

export interface StoreKey {
  readonly account: string;
  readonly region: string;
}

/** AWS region names: us-east-1, eu-west-3, ap-southeast-2, us-gov-west-1, ca-central-1, il-central-1… */
const REGION_NAME = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;

export function isRegionName(name: string): boolean {
  return REGION_NAME.test(name);
}

export const storeId = (k: StoreKey) => `${k.account}/${k.region}`;

/** The cloud's context as one account in one region sees it (its services build ARNs and AZ names from it). */
export function scopedContext(ctx: CloudContext, key: StoreKey): CloudContext {
  return key.account === ctx.accountId && key.region === ctx.region ? ctx : { ...ctx, accountId: key.account, region: key.region };
}

export class AccountRegionStores<T> {
  private readonly stores = new Map<string, { key: StoreKey; store: T }>();

  constructor(
    readonly defaultKey: StoreKey,
    private readonly create: (key: StoreKey) => T,
  ) {
    this.get(defaultKey);
  }

  get(key: StoreKey): T {
    const id = storeId(key);
    let entry = this.stores.get(id);
    if (!entry) {
      entry = { key: { account: key.account, region: key.region }, store: this.create(key) };
      this.stores.set(id, entry);
    }
    return entry.store;
  }

  get default(): T {
    return this.get(this.defaultKey);
  }

  /** The stores created so far (the default first). */
  all(): Array<{ key: StoreKey; store: T }> {
    return [...this.stores.values()];
  }

  /** The first store whose value satisfies `pick` (resource ids are unique across stores). */
  find<R>(pick: (store: T, key: StoreKey) => R | undefined): R | undefined {
    for (const { key, store } of this.stores.values()) {
      const found = pick(store, key);
      if (found !== undefined) return found;
    }
    return undefined;
  }
}

/** The store a request acts on. */
export const keyOf = (req: { account: string; region: string }): StoreKey => ({ account: req.account, region: req.region });
