/**
 * Domain errors. Adapters translate SDK exceptions into these, so core and handlers never inspect an SDK
 * exception. Each class sets `name` explicitly (bundlers may rename classes): a state machine's Retry/Catch
 * matches on it, and Step Functions shows it as the error of a failed step.
 */
export class DomainError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The resource does not exist (or is not visible yet: EC2 is eventually consistent). */
export class NotFound extends DomainError {
  override readonly name: string = 'NotFound';
}
/** The resource exists but does not carry our Owner/ZERTO_TAG/VPG tags: Lifeboat never touches it. */
export class NotOurs extends DomainError {
  override readonly name: string = 'NotOurs';
}
/** The API throttled us beyond the SDK's own retries: retryable with backoff. */
export class Throttled extends DomainError {
  override readonly name: string = 'Throttled';
}
/** The resource is in a state that forbids the call (in use, wrong state, idempotency token reuse). */
export class Conflict extends DomainError {
  override readonly name: string = 'Conflict';
}
/** Not done yet: retryable by the state machine. */
export class NotReady extends DomainError {
  override readonly name: string = 'NotReady';
}
/** The step's input or environment is invalid: a bug or a misconfiguration, never retried. */
export class InvalidInput extends DomainError {
  override readonly name: string = 'InvalidInput';
}
/** The sync cannot continue; the message is the readable cause the failed execution shows. */
export class SyncFailed extends DomainError {
  override readonly name: string = 'SyncFailed';
}

/**
 * EC2 cannot launch the instance now: the account's vCPU quota is full, the type is not offered in the
 * zone, or the zone has no capacity. Not retried by the step: the message says what to change.
 */
export class CapacityUnavailable extends DomainError {
  override readonly name: string = 'CapacityUnavailable';
}

/**
 * The account's vCPU (or instance) quota is full right now. The launching step retries it with back-off
 * (lib/lambda-task.ts): the workers running beside it end and free their vCPUs, so a VPG needing more
 * workers than the quota holds runs fewer at once instead of failing.
 */
export class QuotaFull extends CapacityUnavailable {
  override readonly name: string = 'QuotaFull';
}

/** What to change when EC2 or the EBS direct APIs could not use a volume's KMS key for a step's role (docs/kms.md). */
export const KMS_KEY_FIX =
  "the key must be enabled, its key policy must let Lifeboat's step roles use it through EC2 and EBS (or delegate to IAM " +
  "with the account's root statement), and config kms.keyArns, if set, must list it; see docs/kms.md";

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** An AWS call failed for a reason with no domain meaning; the message names the call and the AWS error code. */
export class ServiceError extends DomainError {
  override readonly name: string = 'ServiceError';
}

/** A Catch's Cause: in AWS a Lambda error's Cause is JSON ({errorType, errorMessage, trace}); keep the message. */
export function readableCause(cause: string | undefined): string | undefined {
  if (cause === undefined) return undefined;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown; errorType?: unknown };
    if (typeof parsed.errorMessage === 'string')
      return typeof parsed.errorType === 'string' ? `${parsed.errorType}: ${parsed.errorMessage}` : parsed.errorMessage;
  } catch {
    // Not JSON: already a plain message (the offline runner passes the message itself).
  }
  return cause;
}
