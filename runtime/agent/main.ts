/**
 * The Lifeboat agent on a zSAT or ZImporter instance. Job location: `--job s3://bucket/key`, or the instance
 * tag LifeboatJob read through IMDSv2. Exit 0 on success; otherwise 1 with one line on stderr.
 */
import { STORE_REGION_ENV, type AgentJob } from '../core/workers/agent-job';
import { TAG } from '../core/tags';
import { parseS3Url } from '../core/store/format';
import { readInstanceTag, readMetadata } from '../aws/imds';
import { S3ReplicaStore } from '../aws/s3-replica-store';
import { makeAgentS3Client } from '../aws/agent-s3-client';
import { runJob, validateJob } from './job-runner';
import { jsonLogger, oneLine } from './log';

export function jobUrlFromArgs(argv: readonly string[]): string | null {
  const i = argv.indexOf('--job');
  if (i >= 0) {
    const value = argv[i + 1];
    if (!value || value.startsWith('--')) throw new Error('--job needs a value: s3://bucket/key');
    return value;
  }
  const inline = argv.find((a) => a.startsWith('--job='));
  return inline ? inline.slice('--job='.length) : null;
}

/**
 * The instance's `lifeboat:vpg` tag through IMDS (instance metadata tag keys may hold ':'), or null when the
 * instance has no such tag or its tags cannot be listed. Asked once, without the boot-time retries: IMDS has
 * just answered the job tag, and every tag was set at launch.
 */
async function instanceVpgTag(): Promise<string | null> {
  try {
    const keys = (await readMetadata('tags/instance', { attempts: 1 })).split('\n').map((k) => k.trim());
    return keys.includes(TAG.vpg) ? await readMetadata(`tags/instance/${TAG.vpg}`, { attempts: 3, retryDelayMs: 200 }) : null;
  } catch {
    return null;
  }
}

export async function main(argv: readonly string[]): Promise<void> {
  // The SDK's multi-line Node-version notice would break the agent's one-line-on-stderr contract.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const log = jsonLogger();
  const given = jobUrlFromArgs(argv);
  const url = given ?? (await readInstanceTag(TAG.agentJob));
  const { bucket, key } = parseS3Url(url);
  log.info('fetching job', { job: url });
  // the replica bucket may be in another region than the instance (a recovery site elsewhere)
  const storeRegion = process.env[STORE_REGION_ENV];
  const client = makeAgentS3Client(storeRegion ? { region: storeRegion } : {});
  // Problems the store skips (a stray object, a disabled pack) are logged as warnings on stdout, with the job's fields.
  const store = new S3ReplicaStore({
    bucket,
    client,
    onProblem: (vpg, problem) => log.warn('replica store: skipped a damaged or unknown object', { vpg, ...problem }),
  });
  const raw = await store.getJson<AgentJob>(key);
  if (!raw) throw new Error(`job ${url} does not exist`);
  // Run by hand with --job, IMDS may not be there at all: the instance's VPG tag is checked when the job came from it.
  const instanceVpg = given === null ? await instanceVpgTag() : null;
  const job = validateJob(raw, { location: { bucket, key }, instanceVpg });
  await runJob(job, { store, log });
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`lifeboat-agent: ${oneLine(e)}\n`);
      process.exit(1);
    },
  );
}
