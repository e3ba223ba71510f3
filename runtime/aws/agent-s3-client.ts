/**
 * The S3 client of the zSAT/ZImporter agent, tuned for moving packs. By default the SDK makes two full
 * passes over every PUT body on the agent's main thread: a SHA-256 for the SigV4 payload signature and a
 * CRC32 request checksum (measured: 32% and 14% of the reader's main thread). Both are redundant for
 * packs: every block is named by its SHA-256 and verified against it on every read back, and TLS (HTTPS
 * to S3) authenticates the bytes in transit. So PUTs are signed UNSIGNED-PAYLOAD (which S3 accepts) and
 * carry no flexible checksum; ranged GETs skip response checksum validation (no full-object checksum
 * applies to a range anyway). Packs go up as streams over the reader's buffers (s3-chunked-put.ts retries
 * them itself), so the SDK's warning that it will not retry a streamed body is dropped.
 */
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { makeS3Client } from './s3-client';

const NOT_RETRIED_STREAM = 'non-retryable streaming request';

const logger = {
  debug: () => {},
  info: () => {},
  warn: (...args: unknown[]) => {
    if (!String(args[0]).includes(NOT_RETRIED_STREAM)) console.warn(...args);
  },
  // With a logger set, the SDK also logs every failed call here; the agent reports failures itself.
  error: () => {},
};

export const AGENT_S3_CLIENT_CONFIG: S3ClientConfig = {
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
  logger,
};

const UNSIGNED = 'UNSIGNED-PAYLOAD';

export function makeAgentS3Client(overrides: S3ClientConfig = {}): S3Client {
  const client = makeS3Client({ ...AGENT_S3_CLIENT_CONFIG, ...overrides });
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { method?: string; headers?: Record<string, string> } | undefined;
      if (request?.method === 'PUT' && request.headers) request.headers['x-amz-content-sha256'] = UNSIGNED;
      return next(args);
    },
    { step: 'build', name: 'lifeboatUnsignedPayload', override: true },
  );
  return client;
}
