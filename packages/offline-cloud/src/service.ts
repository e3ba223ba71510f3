/**
 * How one emulated AWS service plugs into the offline cloud's single edge port.
 * The edge reads the service name from the SigV4 credential scope (Authorization header, or
 * X-Amz-Credential for presigned URLs) and hands the buffered request to that service.
 */
import type { IncomingHttpHeaders } from 'node:http';

export interface CloudRequest {
  readonly method: string;
  /** Path without the query string, URL-decoded per segment is the service's job. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** SigV4 scope service name, e.g. 'ec2', 'ebs', 'states', 's3'. */
  readonly service: string;
  readonly region: string;
  /** The account the request acts in: its credentials' (src/iam/registry.ts accountOfAccessKey). */
  readonly account: string;
}

export interface CloudResponse {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: Buffer | string;
}

export interface Service {
  /** The SigV4 scope name(s) this service answers. */
  readonly names: readonly string[];
  handle(req: CloudRequest): Promise<CloudResponse>;
  /** An error in this protocol's own wire shape, so the SDK parses it into a typed exception. */
  error(status: number, code: string, message: string): CloudResponse;
  /** Error code this protocol uses for throttling (EC2: RequestLimitExceeded; EBS/SFN: ThrottlingException). */
  readonly throttleCode: string;
}

/** An AWS-shaped error thrown inside a service handler; the service renders it with `error()`. */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = code;
  }
}
