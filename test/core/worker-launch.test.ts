/** Launching through agent/importer.instanceTypes: fallback on capacity refusals only, crash-safe, one token a type. */
import { CapacityUnavailable, QuotaFull, ServiceError } from '../../runtime/core/errors';
import { fallbackClientToken, launchWithFallback, type LaunchRecordStore } from '../../runtime/core/workers/launch';

class MemoryStore implements LaunchRecordStore {
  readonly objects = new Map<string, string>();
  async getJson<T>(key: string): Promise<T | null> {
    const text = this.objects.get(key);
    return text === undefined ? null : (JSON.parse(text) as T);
  }
  async putJson(key: string, value: unknown): Promise<void> {
    this.objects.set(key, JSON.stringify(value));
  }
}

const TYPES = ['c6i.large', 'm6i.large', 'c5.large'];
const noCapacity = (type: string) => new CapacityUnavailable(`RunInstances: InsufficientInstanceCapacity: no ${type} capacity in us-east-1a`);

/** An EC2 stand-in: types refused as told, one instance per client token (EC2's idempotency). */
function ec2(refuse: (type: string | undefined) => Error | undefined) {
  const calls: Array<[string | undefined, string]> = [];
  const byToken = new Map<string, { instanceId: string; type?: string }>();
  return {
    calls,
    byToken,
    run: async (type: string | undefined, token: string) => {
      calls.push([type, token]);
      const known = byToken.get(token);
      if (known) return known;
      const err = refuse(type);
      if (err) throw err;
      const instance = { instanceId: `i-${byToken.size}`, type };
      byToken.set(token, instance);
      return instance;
    },
  };
}

it('launches the preferred type when it has capacity, with the worker token unchanged', async () => {
  const store = new MemoryStore();
  const fake = ec2(() => undefined);
  const out = await launchWithFallback({ instanceTypes: TYPES, clientToken: 'sync-1-zsat-0', recordKey: 'k', store, run: fake.run });
  expect(out.type).toBe('c6i.large');
  expect(fake.calls).toEqual([['c6i.large', 'sync-1-zsat-0']]);
  expect(store.objects.size).toBe(0);
});

it('passes over types without capacity or not offered, each with its own token, recording the attempt first', async () => {
  const store = new MemoryStore();
  const fake = ec2((t) =>
    t === 'c6i.large'
      ? noCapacity(t)
      : t === 'm6i.large'
        ? new CapacityUnavailable('RunInstances: Unsupported: m6i.large is not offered in us-east-1a')
        : undefined,
  );
  const passed: string[] = [];
  const out = await launchWithFallback({
    instanceTypes: TYPES,
    clientToken: 'tok',
    recordKey: 'k',
    store,
    run: fake.run,
    onFallback: (from, to) => passed.push(`${from}->${to}`),
  });
  expect(out.type).toBe('c5.large');
  expect(fake.calls.map(([t, token]) => `${t} ${token}`)).toEqual(['c6i.large tok', 'm6i.large tok-t1', 'c5.large tok-t2']);
  expect(passed).toEqual(['c6i.large->m6i.large', 'm6i.large->c5.large']);
  expect(JSON.parse(store.objects.get('k')!)).toMatchObject({ typeIndex: 2 });
});

it('a retry after a crash resumes at the recorded type: the instance it launched comes back, no second one', async () => {
  const store = new MemoryStore();
  let capacityBack = false;
  const fake = ec2((t) => (t === 'c6i.large' && !capacityBack ? noCapacity(t) : undefined));
  await launchWithFallback({ instanceTypes: TYPES, clientToken: 'tok', recordKey: 'k', store, run: fake.run });
  // the step crashed before returning; meanwhile the preferred type has capacity again
  capacityBack = true;
  const again = await launchWithFallback({ instanceTypes: TYPES, clientToken: 'tok', recordKey: 'k', store, run: fake.run });
  expect(again).toEqual({ instanceId: 'i-0', type: 'm6i.large' });
  expect(fake.byToken.size).toBe(1);
});

it('fails naming every type and why when none launches', async () => {
  const fake = ec2((t) => noCapacity(t!));
  const err = await launchWithFallback({ instanceTypes: TYPES, clientToken: 'tok', recordKey: 'k', store: new MemoryStore(), run: fake.run }).catch(
    (e: Error) => e,
  );
  expect(err).toBeInstanceOf(CapacityUnavailable);
  expect(err).not.toBeInstanceOf(QuotaFull);
  expect((err as Error).message).toBe(
    'no instance type of 3 could launch (1. c6i.large: RunInstances: InsufficientInstanceCapacity: no c6i.large capacity in us-east-1a ' +
      '2. m6i.large: RunInstances: InsufficientInstanceCapacity: no m6i.large capacity in us-east-1a ' +
      '3. c5.large: RunInstances: InsufficientInstanceCapacity: no c5.large capacity in us-east-1a)',
  );
});

it('does not change type for a full vCPU quota or any other error: those are rethrown as they are', async () => {
  for (const thrown of [new QuotaFull('RunInstances: VcpuLimitExceeded: …'), new ServiceError('RunInstances: InternalError: …')]) {
    const fake = ec2(() => thrown);
    await expect(launchWithFallback({ instanceTypes: TYPES, clientToken: 'tok', recordKey: 'k', store: new MemoryStore(), run: fake.run })).rejects.toBe(
      thrown,
    );
    expect(fake.calls).toHaveLength(1);
  }
});

it("with no types configured launches the template's own type once", async () => {
  const fake = ec2(() => undefined);
  await launchWithFallback({ instanceTypes: [], clientToken: 'tok', recordKey: 'k', store: new MemoryStore(), run: fake.run });
  expect(fake.calls).toEqual([[undefined, 'tok']]);
});

it("keeps every fallback token within EC2's 64 characters and distinct", () => {
  const long = 'x'.repeat(64);
  const tokens = [0, 1, 2, 3, 4].map((i) => fallbackClientToken(long, i));
  expect(tokens.every((t) => t.length <= 64)).toBe(true);
  expect(new Set(tokens).size).toBe(5);
});
