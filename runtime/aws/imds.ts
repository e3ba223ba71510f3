/**
 * IMDSv2: the instance's own metadata, here its tags (instance metadata tags must be enabled in the launch
 * template). A session token first (PUT), then the GET with it. Retried briefly: at boot IMDS and tags can lag.
 */
export const IMDS_ENDPOINT_ENV = 'AWS_EC2_METADATA_SERVICE_ENDPOINT';
const DEFAULT_ENDPOINT = 'http://169.254.169.254/';

export interface ImdsOptions {
  readonly endpoint?: string;
  readonly attempts?: number;
  readonly retryDelayMs?: number;
  readonly timeoutMs?: number;
}

export class ImdsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImdsError';
  }
}

function endpointFrom(options: ImdsOptions): string {
  const base = options.endpoint ?? process.env[IMDS_ENDPOINT_ENV] ?? DEFAULT_ENDPOINT;
  return base.endsWith('/') ? base : `${base}/`;
}

async function once(base: string, path: string, timeoutMs: number): Promise<string> {
  const signal = AbortSignal.timeout(timeoutMs);
  const tokenResponse = await fetch(`${base}latest/api/token`, {
    method: 'PUT',
    headers: { 'X-aws-ec2-metadata-token-ttl-seconds': '21600' },
    signal,
  });
  if (!tokenResponse.ok) throw new ImdsError(`IMDS token request answered HTTP ${tokenResponse.status}`);
  const token = await tokenResponse.text();
  const response = await fetch(`${base}${path}`, { headers: { 'X-aws-ec2-metadata-token': token }, signal });
  if (response.status === 404) throw new ImdsError(`IMDS has no ${path} (is the tag set, and are instance metadata tags enabled?)`);
  if (!response.ok) throw new ImdsError(`IMDS ${path} answered HTTP ${response.status}`);
  return (await response.text()).trim();
}

/** GET latest/meta-data/<path> with an IMDSv2 token; retried `attempts` times. */
export async function readMetadata(path: string, options: ImdsOptions = {}): Promise<string> {
  const base = endpointFrom(options);
  const attempts = options.attempts ?? 10;
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await once(base, `latest/meta-data/${path}`, options.timeoutMs ?? 2000);
    } catch (e) {
      last = e;
      if (i + 1 < attempts) await new Promise((r) => setTimeout(r, options.retryDelayMs ?? 1000));
    }
  }
  const reason = last instanceof Error ? `${last.message}${last.cause ? ` (${String((last.cause as Error).message ?? last.cause)})` : ''}` : String(last);
  throw new ImdsError(`could not read ${path} from IMDS at ${base} after ${attempts} attempts: ${reason}`);
}

/** The value of one instance tag. */
export function readInstanceTag(tagKey: string, options: ImdsOptions = {}): Promise<string> {
  return readMetadata(`tags/instance/${encodeURIComponent(tagKey)}`, options);
}
