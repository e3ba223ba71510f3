/**
 * The replica store's own errors: callers never inspect SDK exceptions. Each message names what a
 * person needs to find the object (bucket, key, block hash).
 */
export class ReplicaStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReplicaStoreError';
  }
}

/** A stored block whose bytes do not hash to its name: the store is damaged. */
export class CorruptBlock extends ReplicaStoreError {
  constructor(
    readonly hash: string,
    readonly packKey: string,
    readonly actualHash: string,
    readonly context = '',
  ) {
    super(`CorruptBlock: block ${hash} in pack ${packKey} hashes to ${actualHash}${context ? ` (${context})` : ''}`);
    this.name = 'CorruptBlock';
  }
}

/** A block a map references that no pack index lists, or whose pack object is gone. */
export class MissingBlock extends ReplicaStoreError {
  constructor(
    readonly hash: string,
    readonly packKey: string | null,
    readonly context = '',
  ) {
    super(
      packKey
        ? `MissingBlock: block ${hash} is listed in pack ${packKey}, but that pack object is missing or too short${context ? ` (${context})` : ''}`
        : `MissingBlock: block ${hash} is in no pack index of the store${context ? ` (${context})` : ''}`,
    );
    this.name = 'MissingBlock';
  }
}

/** A checkpoint's chain names a parent the store does not hold (after one re-read: see getChain). */
export class BrokenChain extends ReplicaStoreError {
  constructor(
    message: string,
    readonly checkpointId: string,
    readonly missingId: string,
  ) {
    super(message);
    this.name = 'BrokenChain';
  }
}

/** A create-only write found a different object already at its key: Lifeboat never overwrites it. */
export class AlreadyExists extends ReplicaStoreError {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
    this.name = 'AlreadyExists';
  }
}

interface SdkLikeError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

export function isNotFound(e: unknown): boolean {
  const err = e as SdkLikeError;
  return err?.name === 'NoSuchKey' || err?.name === 'NotFound' || err?.$metadata?.httpStatusCode === 404;
}

/** Wrap an SDK (or network) error with the operation and object it concerned. */
export function storeError(operation: string, bucket: string, key: string, e: unknown): ReplicaStoreError {
  if (e instanceof ReplicaStoreError) return e;
  const err = e as SdkLikeError;
  const what = err?.name && err.name !== 'Error' ? `${err.name}: ${err.message ?? ''}` : String(err?.message ?? e);
  const code = err?.code && !what.includes(err.code) ? ` (${err.code})` : '';
  return new ReplicaStoreError(`S3 ${operation} s3://${bucket}/${key} failed: ${what.trim()}${code}`, { cause: e });
}

/** 412: an `If-None-Match: *` PUT found an object at the key (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html). */
export function isPreconditionFailed(e: unknown): boolean {
  const err = e as SdkLikeError;
  return err?.name === 'PreconditionFailed' || err?.$metadata?.httpStatusCode === 412;
}

/** 409: a concurrent conditional write to the key was in flight; S3 asks to retry. */
export function isConditionalConflict(e: unknown): boolean {
  const err = e as SdkLikeError;
  return err?.name === 'ConditionalRequestConflict' || err?.$metadata?.httpStatusCode === 409;
}
