/**
 * The EC2 query protocol's request side: a form-urlencoded body of flattened keys
 * (`Filter.1.Value.2`, `TagSpecification.1.Tag.1.Key`, `InstanceId.1`), read by wire name.
 */
import { AwsError } from '../service';

export interface Tag {
  Key: string;
  Value: string;
}
export interface Filter {
  name: string;
  values: string[];
}
export interface TagSpec {
  resourceType: string;
  tags: Tag[];
}

export class Query {
  constructor(
    private readonly params: ReadonlyMap<string, string>,
    private readonly prefix = '',
  ) {}

  static parse(body: Buffer, query?: URLSearchParams): Query {
    const map = new Map<string, string>();
    query?.forEach((v, k) => map.set(k, v));
    new URLSearchParams(body.toString('utf8')).forEach((v, k) => map.set(k, v));
    return new Query(map);
  }

  private key(name: string): string {
    return this.prefix + name;
  }

  str(name: string): string | undefined {
    return this.params.get(this.key(name));
  }

  required(name: string): string {
    const v = this.str(name);
    if (v === undefined || v === '') throw new AwsError('MissingParameter', `The request must contain the parameter ${name}`);
    return v;
  }

  int(name: string): number | undefined {
    const v = this.str(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n)) throw new AwsError('InvalidParameterValue', `Value (${v}) for parameter ${name} is invalid. Expected an integer.`);
    return n;
  }

  bool(name: string): boolean | undefined {
    const v = this.str(name);
    return v === undefined ? undefined : v === 'true';
  }

  /** Whether any key starts with `name.` or equals `name`. */
  has(name: string): boolean {
    const k = this.key(name);
    for (const p of this.params.keys()) if (p === k || p.startsWith(`${k}.`)) return true;
    return false;
  }

  /** The sub-structure under `name.`. */
  sub(name: string): Query {
    return new Query(this.params, `${this.key(name)}.`);
  }

  /** Indexes N present as `name.N` or `name.N.*`, ascending. */
  private indexes(name: string): number[] {
    const k = `${this.key(name)}.`;
    const found = new Set<number>();
    for (const p of this.params.keys()) {
      if (!p.startsWith(k)) continue;
      const n = Number(p.slice(k.length).split('.')[0]);
      if (Number.isInteger(n)) found.add(n);
    }
    return [...found].sort((a, b) => a - b);
  }

  /** A flattened list of strings: `name.1`, `name.2`, ... */
  list(name: string): string[] {
    return this.indexes(name)
      .map((i) => this.str(`${name}.${i}`))
      .filter((v): v is string => v !== undefined);
  }

  /** A flattened list of structures: `name.1.*`, `name.2.*`, ... */
  structs(name: string): Query[] {
    return this.indexes(name).map((i) => this.sub(`${name}.${i}`));
  }

  /** Every key/value under this prefix, for idempotency fingerprints. */
  entries(exclude: readonly string[] = []): Array<[string, string]> {
    return [...this.params.entries()]
      .filter(([k]) => k.startsWith(this.prefix) && !exclude.includes(k.slice(this.prefix.length)))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
}

export function readTags(q: Query, name = 'Tag'): Tag[] {
  return q.structs(name).map((t) => ({ Key: t.str('Key') ?? '', Value: t.str('Value') ?? '' }));
}

export function readFilters(q: Query): Filter[] {
  return q.structs('Filter').map((f) => ({ name: f.required('Name'), values: f.list('Value') }));
}

export function readTagSpecs(q: Query, name = 'TagSpecification'): TagSpec[] {
  return q.structs(name).map((s) => ({ resourceType: s.str('ResourceType') ?? '', tags: readTags(s) }));
}
