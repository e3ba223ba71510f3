/**
 * Token buckets, as AWS describes its API request throttling: a bucket holds up to `burst` tokens, a
 * request takes one, and tokens come back at `perSecond`. An empty bucket refuses the request.
 * https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html
 */
import type { RateLimit } from './aws-rates';

export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Takes a token from the bucket `key` (created full); false when it is empty. */
  take(key: string, limit: RateLimit): boolean {
    const burst = limit.burst ?? limit.perSecond;
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: burst, at: t };
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * limit.perSecond);
    b.at = t;
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
