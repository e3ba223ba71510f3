import { S3Client } from '@aws-sdk/client-s3';
import { AGENT_S3_CLIENT_CONFIG } from '../../runtime/aws/agent-s3-client';
import { putChunks, retryDelayMs } from '../../runtime/aws/s3-chunked-put';

interface Attempt {
  body: Buffer;
  contentLength: string | undefined;
}

/** An S3 client answered in-process: each PUT's body is read whole, then answered with the next status. */
function fakeS3(statuses: number[]): { client: S3Client; attempts: Attempt[]; headers: Array<Record<string, string>> } {
  const attempts: Attempt[] = [];
  const headers: Array<Record<string, string>> = [];
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: 'https://s3.invalid',
    forcePathStyle: true,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    maxAttempts: 3,
    ...AGENT_S3_CLIENT_CONFIG, // as the agent runs it (and its logger drops the SDK's not-retried-stream warning)
    requestHandler: {
      handle: async (req: { body: AsyncIterable<Uint8Array>; headers: Record<string, string> }) => {
        const parts: Buffer[] = [];
        for await (const c of req.body) parts.push(Buffer.from(c));
        attempts.push({ body: Buffer.concat(parts), contentLength: req.headers['content-length'] });
        headers.push({ ...req.headers });
        const status = statuses[attempts.length - 1] ?? 200;
        const xml = status === 200 ? '' : `<Error><Code>${status === 403 ? 'AccessDenied' : 'ServiceUnavailable'}</Code><Message>no</Message></Error>`;
        const { Readable } = await import('node:stream');
        return { response: { statusCode: status, headers: { 'content-type': 'application/xml' }, body: Readable.from(xml ? [Buffer.from(xml)] : []) } };
      },
    } as never,
  });
  return { client, attempts, headers };
}

const chunks = [Buffer.from('first chunk|'), Buffer.from('second|'), Buffer.from('third')];
const whole = Buffer.concat(chunks);
const noWait = async () => {};

describe('putChunks', () => {
  it('sends the chunks as one body with its length', async () => {
    const { client, attempts } = fakeS3([200]);
    await putChunks(client, { Bucket: 'b', Key: 'k' }, chunks, noWait);
    expect(attempts).toEqual([{ body: whole, contentLength: String(whole.length) }]);
  });

  it('retries a throttled or failed PUT with a fresh stream over the same chunks', async () => {
    const { client, attempts } = fakeS3([503, 500, 200]);
    await putChunks(client, { Bucket: 'b', Key: 'k' }, chunks, noWait);
    expect(attempts.map((a) => a.body.toString())).toEqual([whole.toString(), whole.toString(), whole.toString()]);
  });

  it('a create-only PUT carries If-None-Match: * on every attempt, retries included', async () => {
    const { client, attempts, headers } = fakeS3([503, 500, 200]);
    await putChunks(client, { Bucket: 'b', Key: 'k', IfNoneMatch: '*' }, chunks, noWait);
    expect(attempts).toHaveLength(3);
    expect(headers.map((h) => h['if-none-match'])).toEqual(['*', '*', '*']);
  });

  it('gives up after the client’s maxAttempts, and never retries an access error', async () => {
    const down = fakeS3([503, 503, 503, 200]);
    await expect(putChunks(down.client, { Bucket: 'b', Key: 'k' }, chunks, noWait)).rejects.toMatchObject({ $metadata: { httpStatusCode: 503 } });
    expect(down.attempts).toHaveLength(3);
    const denied = fakeS3([403]);
    await expect(putChunks(denied.client, { Bucket: 'b', Key: 'k' }, chunks, noWait)).rejects.toMatchObject({ name: 'AccessDenied' });
    expect(denied.attempts).toHaveLength(1);
  });

  it('backs off exponentially with full jitter, capped', () => {
    expect(retryDelayMs(1, () => 0.999)).toBe(199);
    expect(retryDelayMs(3, () => 0.5)).toBe(400);
    expect(retryDelayMs(20, () => 0.999)).toBe(4995);
    expect(retryDelayMs(2, () => 0)).toBe(0);
  });
});
