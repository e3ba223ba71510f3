/**
 * The Lifeboat agent on a zSAT or ZImporter instance. Job location: `--job s3://bucket/key`, or the instance
 * tag LifeboatJob read through IMDSv2. Exit 0 on success; otherwise 1 with one line on stderr.
 */
import type { AgentJob } from '../core/agent-job';
import { TAG } from '../core/tags';
import { parseS3Url } from '../core/replica-format';
import { readInstanceTag } from '../aws/imds';
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

export async function main(argv: readonly string[]): Promise<void> {
  // The SDK's multi-line Node-version notice would break the agent's one-line-on-stderr contract.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const log = jsonLogger({ component: 'lifeboat-agent' });
  const url = jobUrlFromArgs(argv) ?? (await readInstanceTag(TAG.agentJob));
  const { bucket, key } = parseS3Url(url);
  log.info('fetching job', { job: url });
  const client = makeAgentS3Client();
  const jobStore = new S3ReplicaStore({ bucket, client });
  const raw = await jobStore.getJson<AgentJob>(key);
  if (!raw) throw new Error(`job ${url} does not exist`);
  const job = validateJob(raw);
  const store = job.store.bucket === bucket ? jobStore : new S3ReplicaStore({ bucket: job.store.bucket, client });
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
