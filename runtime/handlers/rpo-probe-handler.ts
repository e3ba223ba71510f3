/** The RPO probe (scheduled by the site stack): publishes each VPG's achieved RPO and running executions as EMF. */
import { makeS3Client } from '../aws/s3-client';
import { S3ReplicaStore } from '../aws/s3-replica-store';
import { StepFunctionsExecutions } from '../aws/sfn-executions';
import { METRICS_LOG_MESSAGE } from '../core/monitoring/metrics';
import { probeRpo, type ProbeDeps } from '../core/monitoring/metrics-probe';
import { parseProbeEnv, type ProbeTarget } from '../core/step-env';
import type { StepLog } from '../core/ports';
import { invocationLog, jsonLog, type LambdaContext } from './step-log';

export interface ProbeRuntime extends ProbeDeps {
  readonly targets: readonly ProbeTarget[];
  readonly log: StepLog;
}

let coldStart: ProbeRuntime | undefined;

function awsRuntime(): ProbeRuntime {
  if (!coldStart) {
    const env = parseProbeEnv(process.env);
    coldStart = {
      siteId: env.siteId,
      targets: env.targets,
      store: new S3ReplicaStore({ bucket: env.bucket, client: makeS3Client(env.bucketRegion ? { region: env.bucketRegion } : {}) }),
      executions: new StepFunctionsExecutions(),
      now: () => new Date(),
      log: jsonLog({ site: env.siteId, step: 'rpo-probe' }),
    };
  }
  return coldStart;
}

export function probeHandler(runtime: () => ProbeRuntime) {
  return async (_event?: unknown, context?: LambdaContext): Promise<{ vpgs: number; problems: string[] }> => {
    const r = runtime();
    const log = invocationLog(r.log, {}, context);
    const report = await probeRpo(r.targets, r);
    for (const doc of report.documents) log.info(METRICS_LOG_MESSAGE, { vpg: doc.Vpg, ...doc });
    for (const problem of report.problems) log.warn('probe could not read a figure', { problem });
    return { vpgs: report.documents.length, problems: report.problems };
  };
}

export const handler = probeHandler(awsRuntime);
