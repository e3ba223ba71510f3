/** The shared shape of every Describe* call: ids, filters, eventual consistency, pagination. */
import { AwsError } from '../service';
import { type FieldMap, filterValues, matchesFilters, validateFilters } from './filters';
import { type Page, type PageLimits, paginate } from './pagination';
import { type Query, type Tag, readFilters } from './query';
import { type World, countConsistencyFault, notYetVisible } from './world';

export interface DescribeSpec<T> {
  all: readonly T[];
  idOf: (r: T) => string;
  tagsOf: (r: T) => readonly Tag[];
  fields: FieldMap<T>;
  limits: PageLimits;
  /** The by-id list parameter, e.g. 'VolumeId' (VolumeId.1, VolumeId.2...). */
  idParam?: string;
  /** The filter that names ids, e.g. 'volume-id'. */
  idFilter?: string;
  /** The error for ids that do not exist. */
  notFound?: (missing: string[]) => AwsError;
  /** Creation time, for the eventual-consistency fault. */
  createdAt?: (r: T) => number;
}

export function describe<T>(q: Query, w: World, spec: DescribeSpec<T>): Page<T> {
  const filters = readFilters(q);
  validateFilters(filters, spec.fields);
  const hidden = (r: T) => spec.createdAt !== undefined && notYetVisible(w, spec.createdAt(r));
  const byId = new Map(spec.all.map((r) => [spec.idOf(r), r]));
  const ids = spec.idParam ? q.list(spec.idParam) : [];
  let selected: T[];
  if (ids.length > 0) {
    const missing = ids.filter((id) => !byId.has(id) || hidden(byId.get(id)!));
    if (missing.some((id) => byId.has(id))) countConsistencyFault(w);
    if (missing.length > 0) throw spec.notFound!(missing);
    const wanted = new Set(ids);
    selected = spec.all.filter((r) => wanted.has(spec.idOf(r)));
  } else {
    selected = spec.all.filter((r) => !hidden(r));
  }
  if (spec.idFilter) {
    const namedHidden = filterValues(filters, spec.idFilter).filter((id) => byId.has(id) && hidden(byId.get(id)!));
    if (namedHidden.length > 0) {
      countConsistencyFault(w);
      throw spec.notFound!(namedHidden);
    }
  }
  const matching = selected.filter((r) => matchesFilters(r, spec.tagsOf(r), filters, spec.fields));
  return paginate(q, matching, spec.limits, ids.length > 0 ? spec.idParam : undefined);
}

export function notFoundError(code: string, what: (ids: string) => string): (missing: string[]) => AwsError {
  return (missing) => new AwsError(code, what(missing.join(', ')));
}
