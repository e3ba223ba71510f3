/** The EBS direct API emulator: what the offline cloud composes. */
export { createEbsService } from './ebs-service';
export { EBS_API_VOLUME_ID } from './ebs-writes';
export { InMemorySnapshotRegistry, type SnapshotRecordView, type SnapshotRegistry, type SnapshotState } from './snapshot-registry';
