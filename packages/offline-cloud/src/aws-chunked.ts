/**
 * Decoder for the `aws-chunked` content encoding the SDK uses for streaming uploads with flexible
 * checksums (x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER or STREAMING-AWS4-HMAC-SHA256-*):
 *   <hex size>[;chunk-signature=<sig>]\r\n<bytes>\r\n ... 0[;...]\r\n[<trailer>:<value>\r\n]*\r\n
 * s3rver predates this encoding and would store the framing as object bytes, so the S3 front strips it.
 */
import { Transform, TransformCallback } from 'node:stream';

/** True when the request body is aws-chunked framed. */
export function isAwsChunked(headers: Record<string, string | string[] | undefined>): boolean {
  const encoding = String(headers['content-encoding'] ?? '');
  const sha = String(headers['x-amz-content-sha256'] ?? '');
  return encoding.split(',').some((e) => e.trim() === 'aws-chunked') || sha.startsWith('STREAMING-');
}

/** The content-encoding left once aws-chunked is removed (undefined when nothing is left). */
export function remainingContentEncoding(value: string | undefined): string | undefined {
  const rest = (value ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e && e !== 'aws-chunked');
  return rest.length ? rest.join(',') : undefined;
}

type State = 'size' | 'data' | 'crlf' | 'done';

/** Streams the payload bytes out of an aws-chunked body; the trailer section is dropped. */
export class AwsChunkedDecoder extends Transform {
  private state: State = 'size';
  private line = '';
  private remaining = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    try {
      this.consume(chunk);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    callback(this.state === 'done' ? undefined : new Error('aws-chunked body ended before its final chunk'));
  }

  private consume(buf: Buffer): void {
    let i = 0;
    while (i < buf.length && this.state !== 'done') {
      if (this.state === 'size') {
        const nl = buf.indexOf(0x0a, i);
        const end = nl === -1 ? buf.length : nl + 1;
        this.line += buf.subarray(i, end).toString('latin1');
        i = end;
        if (nl === -1) continue;
        const size = parseInt(this.line.split(';')[0].trim(), 16);
        if (!Number.isFinite(size)) throw new Error(`bad aws-chunked size line '${this.line.trim()}'`);
        this.line = '';
        this.remaining = size;
        this.state = size === 0 ? 'done' : 'data';
      } else if (this.state === 'data') {
        const take = Math.min(this.remaining, buf.length - i);
        this.push(buf.subarray(i, i + take));
        this.remaining -= take;
        i += take;
        if (this.remaining === 0) {
          this.state = 'crlf';
          this.remaining = 2;
        }
      } else {
        // the \r\n after a chunk's bytes
        const take = Math.min(this.remaining, buf.length - i);
        this.remaining -= take;
        i += take;
        if (this.remaining === 0) this.state = 'size';
      }
    }
  }
}
