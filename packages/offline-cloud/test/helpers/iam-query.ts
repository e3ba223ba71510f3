/**
 * IAM's Query protocol, signed for us-east-1 (IAM is global) with @smithy/signature-v4: @aws-sdk/client-iam is not
 * a dependency of the project.
 */
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

const bytes = (d: ArrayBuffer | ArrayBufferView) => (d instanceof ArrayBuffer ? Buffer.from(d) : Buffer.from(d.buffer, d.byteOffset, d.byteLength));

class Sha256 {
  private readonly h: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    const key = secret === undefined || typeof secret === 'string' ? secret : bytes(secret);
    this.h = key ? createHmac('sha256', key) : createHash('sha256');
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(typeof data === 'string' ? data : bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
}

/** A signed IAM Query request (global service: us-east-1 in the credential scope). */
export async function signedIamQuery(
  endpoint: string,
  params: Record<string, string>,
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = { accessKeyId: 'test', secretAccessKey: 'test' },
): Promise<{ status: number; body: string }> {
  const url = new URL(endpoint);
  const body = new URLSearchParams({ Version: '2010-05-08', ...params }).toString();
  const signer = new SignatureV4({ service: 'iam', region: 'us-east-1', sha256: Sha256, credentials });
  const signed = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: '/',
    query: {},
    headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body,
  });
  const res = await fetch(`${endpoint}/`, { method: 'POST', headers: signed.headers, body });
  return { status: res.status, body: await res.text() };
}
