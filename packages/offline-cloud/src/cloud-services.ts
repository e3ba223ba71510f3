/**
 * Builds the emulators the cloud composes, all on one CloudContext and one volume storage:
 * EC2 (with its IMDS route), EBS direct APIs (sharing EC2's snapshot registry), KMS, SNS, CloudWatch, Step Functions,
 * and the admin route. Kept apart from cloud.ts so the process wiring stays readable.
 */
import path from 'node:path';
import type { PathRoute } from './edge';
import type { CloudContext } from './context';
import type { Service } from './service';
import { FileVolumeStorage } from './storage/file-volume-storage';
import { createEc2Service, imdsRoute } from './ec2/index';
import type { Ec2Service, SnapshotRecord, SnapshotRegistry as Ec2Snapshots } from './ec2/index';
import { createEbsService } from './ebs/index';
import { AccountRegionStores, keyOf, scopedContext } from './account-regions';
import type { SnapshotRecordView, SnapshotRegistry as EbsSnapshots } from './ebs/index';
import { createStepFunctionsService } from './sfn/index';
import type { StepFunctionsService } from './sfn/index';
import { adminRoute } from './admin/index';
import { createKmsService, type KmsService } from './kms/index';
import { createSnsService, type SnsService } from './sns/index';
import { type CloudWatchService, createCloudWatchService } from './cloudwatch/index';

export interface CloudServices {
  storage: FileVolumeStorage;
  ec2: Ec2Service;
  ebs: Service;
  kms: KmsService;
  sns: SnsService;
  cloudwatch: CloudWatchService;
  sfn: StepFunctionsService;
  admin: PathRoute;
  imds: PathRoute;
}

export function createServices(ctx: CloudContext): CloudServices {
  const storage = new FileVolumeStorage(path.join(ctx.dataDir, 'storage'));
  // KMS first: EC2 and the EBS direct APIs call it on their callers' behalf (src/ec2/ebs-encryption.ts)
  const kms = createKmsService(ctx);
  const ec2 = createEc2Service(ctx, storage, kms);
  // CloudWatch after SNS: alarm actions publish to its topics
  const sns = createSnsService(ctx);
  return {
    storage,
    ec2,
    kms,
    sns,
    cloudwatch: createCloudWatchService(ctx, sns),
    ebs: createRegionalEbs(ctx, storage, ec2, kms),
    sfn: createStepFunctionsService(ctx),
    admin: adminRoute(storage, ctx),
    imds: imdsRoute(ec2, ctx.iam, ctx.clock),
  };
}

/** The EBS direct APIs per account and region, each over the snapshots of the same account's EC2 in that region. */
function createRegionalEbs(ctx: CloudContext, storage: FileVolumeStorage, ec2: Ec2Service, kms: KmsService): Service {
  const stores = new AccountRegionStores<Service>({ account: ctx.accountId, region: ctx.region }, (key) =>
    createEbsService(scopedContext(ctx, key), storage, ebsView(ec2.store(key).snapshots), kms),
  );
  const first = stores.default;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- a service's error translator is a plain function, no `this`
  return { names: first.names, throttleCode: first.throttleCode, error: first.error, handle: (req) => stores.get(keyOf(req)).handle(req) };
}

/**
 * EC2 owns the snapshot records (ISO times, tag lists, as they go on the wire); EBS reads them as
 * views (Date, tag map). This bridges the two record shapes so both emulators share one registry.
 */
export function ebsView(snapshots: Ec2Snapshots): EbsSnapshots {
  const toView = (r: SnapshotRecord): SnapshotRecordView => ({
    snapshotId: r.snapshotId,
    volumeId: r.volumeId,
    volumeSize: r.volumeSize,
    state: r.state,
    startTime: new Date(r.startTime),
    description: r.description,
    tags: Object.fromEntries(r.tags.map((t) => [t.Key, t.Value])),
    ownerId: r.ownerId,
    parentSnapshotId: r.parentSnapshotId,
    lineage: r.lineage,
    kmsKeyId: r.kmsKeyId,
  });
  return {
    get: (id) => {
      const r = snapshots.get(id);
      return r && toView(r);
    },
    add: (v) =>
      snapshots.add({
        snapshotId: v.snapshotId,
        volumeId: v.volumeId,
        volumeSize: v.volumeSize,
        state: v.state,
        progress: v.state === 'completed' ? '100%' : '0%',
        startTime: v.startTime.toISOString(),
        description: v.description ?? '',
        tags: Object.entries(v.tags).map(([Key, Value]) => ({ Key, Value })),
        ownerId: v.ownerId,
        parentSnapshotId: v.parentSnapshotId,
        lineage: v.lineage,
      }),
    setState: (id, state) => snapshots.setState(id, state),
  };
}
