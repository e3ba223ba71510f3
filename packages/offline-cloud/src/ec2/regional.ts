/**
 * EC2 as the edge serves it: one store (service.ts createEc2Store) per account and region, each with its own
 * VPCs, instances, volumes, snapshots and templates (and its own default VPC), so two accounts or two regions
 * never see each other's resources. Resource ids are unique across stores, so lookups by id search them all.
 */
import { AccountRegionStores, type StoreKey, keyOf, scopedContext, storeId } from '../account-regions';
import type { CloudContext } from '../context';
import type { Service } from '../service';
import type { VolumeStorage } from '../storage/volume-storage';
import type { Verdict } from './reachability';
import { type Ec2Store, type InstanceMetadata, type Offerings, createEc2Store } from './service';
import type { SnapshotRegistry } from './snapshots';
import type { World } from './world';
import type { KmsBridge } from '../kms/index';

export interface Ec2Service extends Service {
  /** The store of one account in one region (created on first use). */
  store(key: StoreKey): Ec2Store;
  /** Every store created so far. */
  stores(): Array<{ key: StoreKey; store: Ec2Store }>;
  /** The default store's snapshots and model (the default account in `--region`). */
  readonly snapshots: SnapshotRegistry;
  readonly world: World;
  killInstanceProcess(instanceId: string): boolean;
  instanceMetadata(instanceId: string): InstanceMetadata | undefined;
  instanceDir(instanceId: string): string;
  /** Replaces the instance types a zone offers, for every account (undefined: back to the default table). */
  setInstanceTypeOfferings(zone: string, types: readonly string[] | undefined): void;
  reach(instanceId: string, service: string, region?: string): Verdict;
  toJSON(): unknown;
  restore(state: unknown): void;
  close(): void;
}

interface SavedStores {
  version: 2;
  stores: Array<{ account: string; region: string; state: unknown }>;
}

export function createEc2Service(ctx: CloudContext, storage: VolumeStorage, kms?: KmsBridge): Ec2Service {
  const offerings: Offerings = {};
  const stores = new AccountRegionStores<Ec2Store>({ account: ctx.accountId, region: ctx.region }, (key) =>
    createEc2Store(scopedContext(ctx, key), storage, offerings, kms),
  );
  ctx.outages?.onChange((region, down) => {
    for (const { key, store } of stores.all())
      if (key.region === region) {
        if (down) store.suspend();
        else store.resume();
      }
  });
  const holding = (instanceId: string) => stores.find((s) => (s.instanceMetadata(instanceId) ? s : undefined));
  const first = stores.default;
  return {
    names: first.names,
    throttleCode: first.throttleCode,
    error: (status, code, message) => first.error(status, code, message),
    handle: (req) => stores.get(keyOf(req)).handle(req),
    store: (key) => stores.get(key),
    stores: () => stores.all(),
    get snapshots() {
      return stores.default.snapshots;
    },
    get world() {
      return stores.default.world;
    },
    killInstanceProcess: (id) => holding(id)?.killInstanceProcess(id) ?? false,
    instanceMetadata: (id) => holding(id)?.instanceMetadata(id),
    instanceDir: (id) => first.instanceDir(id),
    setInstanceTypeOfferings(zone, types) {
      if (types) offerings[zone] = [...types];
      else delete offerings[zone];
    },
    reach: (id, service, region) => (holding(id) ?? first).reach(id, service, region),
    toJSON: (): SavedStores => ({ version: 2, stores: stores.all().map(({ key, store }) => ({ ...key, state: store.toJSON() })) }),
    restore(state: unknown) {
      const saved = state as Partial<SavedStores> | undefined;
      // a data dir saved before stores were per account and region holds the default store's model alone
      if (saved?.version !== 2) return stores.default.restore(state);
      if (!Array.isArray(saved.stores)) throw new Error('offline ec2: saved state has no stores');
      const seen = new Set<string>();
      for (const s of saved.stores) {
        if (seen.has(storeId(s))) throw new Error(`offline ec2: saved state holds store ${storeId(s)} twice`);
        seen.add(storeId(s));
        stores.get(s).restore(s.state);
      }
    },
    close() {
      for (const { store } of stores.all()) store.close();
    },
  };
}
