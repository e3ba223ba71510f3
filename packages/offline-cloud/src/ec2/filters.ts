/**
 * Describe* filters as EC2 applies them: values of one filter OR, filters AND, `*` and `?` wildcards
 * (`\*` a literal star), `tag:KEY` / `tag-key` / `tag-value` on every taggable kind; an unknown filter
 * name is an InvalidParameterValue.
 */
import { AwsError } from '../service';
import type { Filter, Tag } from './query';

/** How a resource kind answers each filter it supports: the resource's values for that filter name. */
export type FieldMap<T> = Record<string, (r: T) => string | number | boolean | undefined | ReadonlyArray<string | undefined>>;

function wildcard(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && i + 1 < pattern.length) re += pattern[++i].replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

function valuesOf<T>(fields: FieldMap<T>, name: string, r: T, tags: readonly Tag[]): string[] {
  if (name.startsWith('tag:')) {
    const key = name.slice(4);
    return tags.filter((t) => t.Key === key).map((t) => t.Value);
  }
  if (name === 'tag-key') return tags.map((t) => t.Key);
  if (name === 'tag-value') return tags.map((t) => t.Value);
  const get = fields[name];
  if (!get) throw new AwsError('InvalidParameterValue', `The filter '${name}' is invalid`);
  const v = get(r);
  const list = Array.isArray(v) ? v : [v];
  return list.filter((x): x is string | number | boolean => x !== undefined).map(String);
}

export function matchesFilters<T>(r: T, tags: readonly Tag[], filters: readonly Filter[], fields: FieldMap<T>): boolean {
  return filters.every((f) => {
    const have = valuesOf(fields, f.name, r, tags);
    return f.values.some((v) => {
      const re = wildcard(v);
      return have.some((h) => re.test(h));
    });
  });
}

/** Checks filter names up front, so an unknown filter errors even when there is nothing to match. */
export function validateFilters<T>(filters: readonly Filter[], fields: FieldMap<T>): void {
  for (const f of filters) {
    if (f.name.startsWith('tag:') || f.name === 'tag-key' || f.name === 'tag-value') continue;
    if (!fields[f.name]) throw new AwsError('InvalidParameterValue', `The filter '${f.name}' is invalid`);
    if (f.values.length === 0) throw new AwsError('InvalidParameterValue', `The filter '${f.name}' has no values`);
  }
}

/** Exact values a filter names (e.g. the ids in a `volume-id` filter), for the eventual-consistency fault. */
export function filterValues(filters: readonly Filter[], name: string): string[] {
  return filters.filter((f) => f.name === name).flatMap((f) => f.values.filter((v) => !/[*?]/.test(v)));
}
