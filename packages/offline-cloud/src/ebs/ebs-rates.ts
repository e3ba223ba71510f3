/**
 * The EBS direct APIs' request rates (src/aws-rates.ts EBS_RATES): one bucket per action for the
 * account, and for GetSnapshotBlock/PutSnapshotBlock one per snapshot too. The account's bucket answers
 * ThrottlingException; a snapshot's answers RequestThrottledException with Reason RESOURCE_LEVEL_THROTTLE.
 * https://docs.aws.amazon.com/ebs/latest/userguide/ebs-resource-quotas.html
 * https://docs.aws.amazon.com/ebs/latest/APIReference/API_GetSnapshotBlock.html (Errors)
 */
import type { EbsRates } from '../aws-rates';
import { TokenBuckets } from '../token-bucket';
import { EbsError } from './ebs-errors';

export type EbsAction = 'GetSnapshotBlock' | 'PutSnapshotBlock' | 'ListChangedBlocks' | 'ListSnapshotBlocks' | 'StartSnapshot' | 'CompleteSnapshot';

export class EbsRateLimiter {
  private readonly buckets: TokenBuckets;

  constructor(
    private readonly rates: () => EbsRates,
    now: () => number,
  ) {
    this.buckets = new TokenBuckets(now);
  }

  /** Takes the request's tokens or throws AWS's throttling error. */
  admit(action: EbsAction, snapshotId?: string): void {
    const { account, snapshot } = this.rates();
    if (account[action] && !this.buckets.take(`account:${action}`, account[action])) {
      throw new EbsError('ThrottlingException', `Rate exceeded: too many ${action} requests for this account.`);
    }
    if (snapshotId && snapshot[action] && !this.buckets.take(`snapshot:${snapshotId}:${action}`, snapshot[action])) {
      throw new EbsError(
        'RequestThrottledException',
        `The number of ${action} requests has exceeded the maximum allowed API request throttling limit for the snapshot ${snapshotId}.`,
        'RESOURCE_LEVEL_THROTTLE',
      );
    }
  }
}
