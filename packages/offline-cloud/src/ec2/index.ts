/** The EC2 emulator of the offline cloud: createEc2Service + imdsRoute, and the types other emulators use. */
export { createEc2Service, type Ec2Service } from './regional';
export type { Ec2Store, InstanceMetadata } from './service';
export { imdsRoute, IMDS_PREFIX } from './imds';
export type { SnapshotRegistry } from './snapshots';
export type { SnapshotRecord } from './model';
export { DEFAULT_IMAGE_ID } from './images';
export { deviceLinkName } from './boot';
export { DEVICE_DIR_VARIABLE } from './guest-os';
