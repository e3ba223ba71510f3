/**
 * PutObject of a body held as several chunks (a pack's views into the reader's buffers), sent without
 * joining them into one buffer. The SDK does not retry a streamed body (it cannot rewind a stream), so
 * each attempt here gets a fresh stream over the same chunks, and the SDK's own error classification and
 * attempt count decide when to try again.
 */
import { Readable } from 'node:stream';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';

const BASE_DELAY_MS = 100;
const MAX_DELAY_MS = 5_000;

export function isRetryableS3Error(e: unknown): boolean {
  const err = e as Parameters<typeof isServerError>[0];
  return isThrottlingError(err) || isTransientError(err) || isServerError(err);
}

/** Full-jitter exponential backoff, as the SDK's standard retry mode. */
export function retryDelayMs(attempt: number, random = Math.random): number {
  return Math.floor(random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function putChunks(
  client: S3Client,
  request: { Bucket: string; Key: string; ContentType?: string; IfNoneMatch?: string },
  chunks: readonly Uint8Array[],
  wait: (ms: number) => Promise<unknown> = sleep,
): Promise<void> {
  const length = chunks.reduce((n, c) => n + c.byteLength, 0);
  const attempts = Math.max(1, await client.config.maxAttempts());
  for (let attempt = 1; ; attempt++) {
    try {
      await client.send(new PutObjectCommand({ ...request, Body: Readable.from(chunks), ContentLength: length }));
      return;
    } catch (e) {
      if (attempt >= attempts || !isRetryableS3Error(e)) throw e;
      await wait(retryDelayMs(attempt));
    }
  }
}
