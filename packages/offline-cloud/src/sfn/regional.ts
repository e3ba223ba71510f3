/**
 * Step Functions (with the Lambda functions its tasks run) as the edge serves it: one store (service.ts
 * StepFunctionsStore) per account and region. An assembly's stacks deploy each into the store of its
 * environment; time settings apply to every store, current and future.
 */
import { AccountRegionStores, type StoreKey, keyOf, scopedContext, storeId } from '../account-regions';
import { deployAssembly as deployCdkAssembly, type DeployedStack } from '../assembly/deploy';
import type { Tag } from '../assembly/provisioners';
import type { CloudContext } from '../context';
import type { FunctionConfig } from '../lambda/runtime';
import type { CloudRequest, CloudResponse, Service } from '../service';
import { StepFunctionsStore, type StepFunctionsState } from './service';

type InvokeHook = ((fn: FunctionConfig, payload: unknown) => void) | undefined;

interface SavedStores {
  version: 2;
  stores: Array<{ account: string; region: string; state: StepFunctionsState }>;
}

/** The account and region an ARN names (arn:aws:SERVICE:REGION:ACCOUNT:…), if it is one. */
function arnKey(nameOrArn: string): StoreKey | undefined {
  const m = /^arn:aws:[a-z-]+:([a-z0-9-]+):(\d{12}):/.exec(nameOrArn);
  return m ? { region: m[1], account: m[2] } : undefined;
}

export class StepFunctionsService implements Service {
  readonly names = ['states'];
  readonly throttleCode = 'ThrottlingException';
  private readonly stores: AccountRegionStores<StepFunctionsStore>;
  private schedules = false;
  private waitScale: number | undefined;
  private invokeHook: InvokeHook;

  constructor(private readonly ctx: CloudContext) {
    this.stores = new AccountRegionStores({ account: ctx.accountId, region: ctx.region }, (key) => {
      const store = new StepFunctionsStore(scopedContext(ctx, key));
      store.setSchedules(this.schedules);
      if (this.waitScale !== undefined) store.setWaitScale(this.waitScale);
      store.onInvoke = this.invokeHook;
      return store;
    });
  }

  handle(req: CloudRequest): Promise<CloudResponse> {
    return this.stores.get(keyOf(req)).handle(req);
  }

  error(status: number, code: string, message: string): CloudResponse {
    return this.stores.default.error(status, code, message);
  }

  /** The default account's store in `--region`. */
  get default(): StepFunctionsStore {
    return this.stores.default;
  }

  store(key: StoreKey): StepFunctionsStore {
    return this.stores.get(key);
  }

  async deployAssembly(dir: string): Promise<void> {
    const iam = this.ctx.iam;
    await deployCdkAssembly(dir, {
      targetFor: (env) => this.stores.get({ account: env.account ?? this.ctx.accountId, region: env.region ?? this.ctx.region }).deployTarget(),
      // the default account deploys with the CLI's dummy keys; another one with its administrator's credentials
      credentialsFor: (account) => {
        const admin = account === this.ctx.accountId || !iam ? undefined : iam.adminCredentialsFor(account);
        return admin ? { accessKeyId: admin.AccessKeyId, secretAccessKey: admin.SecretAccessKey } : { accessKeyId: 'offline', secretAccessKey: 'offline' };
      },
      endpoint: this.ctx.endpoint(),
    });
    this.ctx.markDirty();
  }

  /** Creates or updates a state machine in the store its ARN names. */
  putStateMachine(sm: { name: string; arn: string; definition: string; roleArn?: string; tags: Tag[] }): void {
    this.storeOf(sm.arn).putStateMachine(sm);
  }

  deployedStacks(): DeployedStack[] {
    return this.stores.all().flatMap(({ store }) => store.deployedStacks());
  }

  /** EventBridge schedules of every account and region fire (on the cloud clock) or not. */
  setSchedules(on: boolean): void {
    this.schedules = on;
    for (const { store } of this.stores.all()) store.setSchedules(on);
  }

  setWaitScale(f: number): void {
    if (!(f >= 0)) throw new Error(`wait scale must be >= 0, got ${f}`);
    this.waitScale = f;
    for (const { store } of this.stores.all()) store.setWaitScale(f);
  }

  invokeFunction(nameOrArn: string, payload: unknown): Promise<unknown> {
    return this.storeOf(nameOrArn).invokeFunction(nameOrArn, payload);
  }

  killFunctionWorker(nameOrArn: string): boolean {
    return this.storeOf(nameOrArn).killFunctionWorker(nameOrArn);
  }

  functionSandboxCount(nameOrArn: string): number {
    return this.storeOf(nameOrArn).functionSandboxCount(nameOrArn);
  }

  set onInvoke(hook: InvokeHook) {
    this.invokeHook = hook;
    for (const { store } of this.stores.all()) store.onInvoke = hook;
  }

  get onInvoke(): InvokeHook {
    return this.invokeHook;
  }

  /** An ARN's store; a bare function name is looked up in every store, the default first. */
  private storeOf(nameOrArn: string): StepFunctionsStore {
    const key = arnKey(nameOrArn);
    if (key) return this.stores.get(key);
    return this.stores.find((s) => (s.hasFunction(nameOrArn) ? s : undefined)) ?? this.stores.default;
  }

  toJSON(): SavedStores {
    return { version: 2, stores: this.stores.all().map(({ key, store }) => ({ ...key, state: store.toJSON() })) };
  }

  restore(state: unknown): void {
    const saved = state as Partial<SavedStores> | undefined;
    // a data dir saved before stores were per account and region holds the default store's state alone
    if (saved?.version !== 2) return this.stores.default.restore(state);
    const seen = new Set<string>();
    for (const s of saved.stores ?? []) {
      if (seen.has(storeId(s))) throw new Error(`offline sfn: saved state holds store ${storeId(s)} twice`);
      seen.add(storeId(s));
      this.stores.get(s).restore(s.state);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.stores.all().map(({ store }) => store.close()));
  }
}

export function createStepFunctionsService(ctx: CloudContext): StepFunctionsService {
  return new StepFunctionsService(ctx);
}
