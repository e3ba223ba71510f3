/** The replica store's ports over one S3 client: the store itself, the VPG lease, and the coordination records. */
import type { StepEnv } from '../core/step-env';
import type { StepDeps } from '../core/sync/deps';
import { makeS3Client } from '../aws/s3-client';
import { S3Coordination } from '../aws/s3-coordination';
import { S3ReplicaStore } from '../aws/s3-replica-store';

export function s3Ports(env: StepEnv): Pick<StepDeps, 'store' | 'lease' | 'readers'> {
  const client = makeS3Client(env.bucketRegion ? { region: env.bucketRegion } : {});
  const coordination = new S3Coordination(env.bucket, client);
  return { store: new S3ReplicaStore({ bucket: env.bucket, client }), lease: coordination, readers: coordination };
}
