/**
 * MaxResults / NextToken on Describe* calls. The token is opaque to callers; it carries the offset
 * into the (stably ordered) result list and the filter fingerprint, so a token is only good for the
 * query that issued it.
 */
import { createHash } from 'node:crypto';
import { AwsError } from '../service';
import type { Query } from './query';

export interface PageLimits {
  min: number;
  max: number;
}

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

function fingerprint(q: Query): string {
  const parts = q.entries(['NextToken', 'MaxResults', 'Action', 'Version']);
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

/**
 * Pages `all` per the request's MaxResults/NextToken. `idParam` names the by-id list of this call
 * (e.g. 'InstanceId'): AWS rejects MaxResults together with explicit ids.
 */
export function paginate<T>(q: Query, all: readonly T[], limits: PageLimits, idParam?: string): Page<T> {
  const maxResults = q.int('MaxResults');
  const token = q.str('NextToken');
  if (maxResults !== undefined) {
    if (idParam && q.list(idParam).length > 0) {
      throw new AwsError('InvalidParameterCombination', `The parameter ${idParam} cannot be used with the parameter maxResults`);
    }
    if (maxResults < limits.min || maxResults > limits.max) {
      throw new AwsError(
        'InvalidParameterValue',
        `Value ( ${maxResults} ) for parameter maxResults is invalid. Parameter must be between ${limits.min} and ${limits.max}.`,
      );
    }
  }
  let offset = 0;
  if (token) {
    const m = /^([0-9a-f]{16})\.(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
    if (!m || m[1] !== fingerprint(q)) throw new AwsError('InvalidParameterValue', 'The token provided is invalid.');
    offset = Number(m[2]);
  }
  if (maxResults === undefined) return { items: all.slice(offset) };
  const items = all.slice(offset, offset + maxResults);
  const next = offset + maxResults;
  return {
    items,
    nextToken: next < all.length ? Buffer.from(`${fingerprint(q)}.${next}`).toString('base64url') : undefined,
  };
}
