/**
 * The S3 client the replica store uses. With AWS_ENDPOINT_URL set (the offline cloud) requests go
 * path-style, since an emulator on 127.0.0.1 has no per-bucket host names.
 */
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

export function makeS3Client(overrides: S3ClientConfig = {}): S3Client {
  const endpoint = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  return new S3Client({
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    ...overrides,
  });
}
