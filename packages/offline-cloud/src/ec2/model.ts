/**
 * The EC2 emulator's durable model: plain JSON-able records keyed by id, so toJSON/restore is a copy.
 * Times are epoch milliseconds unless named *Time (ISO strings, as AWS shows them).
 */
import type { Tag } from './query';

export type InstanceStateName = 'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';
export const INSTANCE_STATE_CODES: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export interface MetadataOptions {
  httpTokens: string;
  httpEndpoint: string;
  httpPutResponseHopLimit: number;
  instanceMetadataTags: string;
}

export interface InstanceRecord {
  instanceId: string;
  reservationId: string;
  imageId: string;
  instanceType: string;
  state: InstanceStateName;
  /** When the current transitional state (pending/stopping/shutting-down) ends. */
  transitionAt?: number;
  launchTime: string;
  createdAt: number;
  availabilityZone: string;
  subnetId: string;
  vpcId: string;
  privateIpAddress: string;
  networkInterfaceIds: string[];
  securityGroupIds: string[];
  /** Base64, as given. */
  userData?: string;
  tags: Tag[];
  metadataOptions: MetadataOptions;
  rootDeviceName: string;
  clientToken?: string;
  amiLaunchIndex: number;
  iamInstanceProfileArn?: string;
  stateReason?: string;
  /** KMS refused the launch's encrypted volumes (ebs-encryption.ts): the state reason it terminates with. */
  launchFailure?: string;
  /** Mapped from the subnet's MapPublicIpOnLaunch or the primary NIC's AssociatePublicIpAddress. */
  publicIpAddress?: string;
  /** What a shutdown from the guest OS does; AWS's default is stop. */
  instanceInitiatedShutdownBehavior?: 'stop' | 'terminate';
}

export interface ReservationRecord {
  reservationId: string;
  instanceIds: string[];
}

export interface VolumeAttachmentRecord {
  instanceId: string;
  device: string;
  attachTime: string;
  deleteOnTermination: boolean;
}

export interface VolumeRecord {
  volumeId: string;
  size: number;
  snapshotId?: string;
  availabilityZone: string;
  state: 'creating' | 'available' | 'in-use' | 'error';
  /** When 'creating' ends. */
  readyAt?: number;
  createTime: string;
  createdAt: number;
  volumeType: string;
  iops?: number;
  /** gp3's provisioned throughput, MiB/s (device-rates.ts). */
  throughput?: number;
  encrypted: boolean;
  /** The ARN of the KMS key of an encrypted volume (ebs-encryption.ts). */
  kmsKeyId?: string;
  /** KMS refused the volume's key (code: message): it ends in 'error' instead of 'available'. */
  kmsFailure?: string;
  tags: Tag[];
  attachment?: VolumeAttachmentRecord;
  /** Snapshots of volumes of one lineage can be diffed (EBS ListChangedBlocks). */
  lineage: string;
  /** VolumeInitializationRate given at creation (MiB/s); unset: the default rate. */
  initializationRate?: number;
  /** Bytes of the snapshot's written blocks the volume must pull (0: an empty volume, no initialization). */
  initializationBytes?: number;
  /** The snapshot's written blocks as [start, end) index ranges, kept here: the snapshot may be deleted before the volume is read. */
  initializationRanges?: Array<[number, number]>;
  /** When initialization began, on the cloud's clock (epoch ms). */
  initializationStartedAt?: number;
}

/** A snapshot, as EC2 and the EBS direct API emulator share it. */
export interface SnapshotRecord {
  snapshotId: string;
  /** 'vol-ffffffff' for snapshots built through EBS StartSnapshot, as in AWS. */
  volumeId: string;
  /** GiB. */
  volumeSize: number;
  state: 'pending' | 'completed' | 'error';
  /** e.g. '0%', '100%'. */
  progress: string;
  /** ISO time of capture. */
  startTime: string;
  description: string;
  tags: Tag[];
  ownerId: string;
  parentSnapshotId?: string;
  /** Shared by snapshots of the same volume lineage. */
  lineage: string;
  encrypted?: boolean;
  /** The KMS key ARN of an encrypted snapshot: its volume's. */
  kmsKeyId?: string;
  /** Set on snapshots EC2 captured: when 'pending' turns 'completed' (EBS-built ones complete via CompleteSnapshot). */
  completesAt?: number;
}

export interface BlockDeviceSpec {
  deviceName: string;
  snapshotId?: string;
  volumeSize?: number;
  volumeType?: string;
  deleteOnTermination?: boolean;
  encrypted?: boolean;
  kmsKeyId?: string;
  iops?: number;
  /** gp3's throughput, MiB/s. */
  throughput?: number;
  volumeInitializationRate?: number;
}

export interface NetworkInterfaceSpec {
  deviceIndex: number;
  subnetId?: string;
  groups: string[];
  privateIpAddress?: string;
  deleteOnTermination?: boolean;
  associatePublicIpAddress?: boolean;
  description?: string;
}

export interface LaunchTemplateData {
  imageId?: string;
  instanceType?: string;
  userData?: string;
  securityGroupIds: string[];
  networkInterfaces: NetworkInterfaceSpec[];
  blockDeviceMappings: BlockDeviceSpec[];
  tagSpecifications: Array<{ resourceType: string; tags: Tag[] }>;
  metadataOptions?: Partial<MetadataOptions>;
  iamInstanceProfile?: { arn?: string; name?: string };
  availabilityZone?: string;
  instanceInitiatedShutdownBehavior?: string;
}

export interface LaunchTemplateVersionRecord {
  versionNumber: number;
  description?: string;
  createTime: string;
  data: LaunchTemplateData;
}

export interface LaunchTemplateRecord {
  launchTemplateId: string;
  launchTemplateName: string;
  createTime: string;
  createdAt: number;
  defaultVersion: number;
  tags: Tag[];
  versions: LaunchTemplateVersionRecord[];
}

export interface SecurityGroupRecord {
  groupId: string;
  groupName: string;
  description: string;
  vpcId: string;
  tags: Tag[];
  /** Unset: AWS's default egress rule (all traffic to 0.0.0.0/0), as a group gets at creation. */
  egress?: EgressRule[];
}

/** One egress permission: protocol '-1' (all), 'tcp', 'udp', 'icmp'; ports inclusive. */
export interface EgressRule {
  ipProtocol: string;
  fromPort?: number;
  toPort?: number;
  cidrIp?: string;
  prefixListId?: string;
  groupId?: string;
  description?: string;
}

export interface VpcRecord {
  vpcId: string;
  cidrBlock: string;
  isDefault: boolean;
  tags: Tag[];
}

export interface SubnetRecord {
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  cidrBlock: string;
  defaultForAz: boolean;
  /** Unset on records saved before networks were modelled: then defaultForAz decides. */
  mapPublicIpOnLaunch?: boolean;
  tags: Tag[];
}

/** A route: one destination, one target (gateway igw-/vpce-, NAT gateway, or the VPC itself: 'local'). */
export interface RouteRecord {
  destinationCidrBlock?: string;
  destinationPrefixListId?: string;
  gatewayId?: string;
  natGatewayId?: string;
  origin: 'CreateRouteTable' | 'CreateRoute' | 'CreateVpcEndpoint';
}

export interface RouteTableRecord {
  routeTableId: string;
  vpcId: string;
  main: boolean;
  routes: RouteRecord[];
  /** Explicit subnet associations: association id → subnet id. */
  associations: Record<string, string>;
  /** The main association's id (main tables only). */
  mainAssociationId?: string;
  tags: Tag[];
  createdAt: number;
}

export interface InternetGatewayRecord {
  internetGatewayId: string;
  attachedVpcId?: string;
  tags: Tag[];
  createdAt: number;
}

export interface NatGatewayRecord {
  natGatewayId: string;
  subnetId: string;
  vpcId: string;
  connectivityType: 'public' | 'private';
  allocationId?: string;
  publicIp?: string;
  privateIp: string;
  state: 'pending' | 'available' | 'deleting' | 'deleted' | 'failed';
  createTime: string;
  createdAt: number;
  tags: Tag[];
}

export interface AddressRecord {
  allocationId: string;
  publicIp: string;
  associationId?: string;
  tags: Tag[];
}

export interface VpcEndpointRecord {
  vpcEndpointId: string;
  vpcId: string;
  serviceName: string;
  vpcEndpointType: 'Gateway' | 'Interface';
  routeTableIds: string[];
  subnetIds: string[];
  groupIds: string[];
  state: 'available' | 'deleted';
  creationTimestamp: string;
  createdAt: number;
  tags: Tag[];
}

export interface NetworkInterfaceRecord {
  networkInterfaceId: string;
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  privateIpAddress: string;
  macAddress: string;
  groupIds: string[];
  description: string;
  tags: Tag[];
  createdAt: number;
  attachment?: { attachmentId: string; instanceId: string; deviceIndex: number; deleteOnTermination: boolean; attachTime: string };
}

export interface ImageRecord {
  imageId: string;
  name: string;
  description?: string;
  architecture: string;
  /** 'legacy-bios' | 'uefi' | 'uefi-preferred'; absent: the instance type's default (images.ts). */
  bootMode?: string;
  /** 'hvm' | 'paravirtual'; absent in a model saved before it was kept: 'hvm'. */
  virtualizationType?: string;
  enaSupport?: boolean;
  rootDeviceName: string;
  blockDeviceMappings: BlockDeviceSpec[];
  ownerId: string;
  ownerAlias?: string;
  creationDate: string;
  isPublic: boolean;
  tags: Tag[];
}

/** A ClientToken's first request: what it asked (fingerprint) and what it created. */
export interface ClientTokenRecord {
  fingerprint: string;
  resultId: string;
}

export interface Ec2Model {
  instances: Record<string, InstanceRecord>;
  reservations: Record<string, ReservationRecord>;
  volumes: Record<string, VolumeRecord>;
  snapshots: Record<string, SnapshotRecord>;
  launchTemplates: Record<string, LaunchTemplateRecord>;
  securityGroups: Record<string, SecurityGroupRecord>;
  vpcs: Record<string, VpcRecord>;
  subnets: Record<string, SubnetRecord>;
  networkInterfaces: Record<string, NetworkInterfaceRecord>;
  images: Record<string, ImageRecord>;
  routeTables: Record<string, RouteTableRecord>;
  internetGateways: Record<string, InternetGatewayRecord>;
  natGateways: Record<string, NatGatewayRecord>;
  addresses: Record<string, AddressRecord>;
  vpcEndpoints: Record<string, VpcEndpointRecord>;
  clientTokens: Record<string, ClientTokenRecord>;
  /** EBS encryption by default and the default KMS key of the account in this region (ebs-encryption.ts). */
  ebsDefaults?: { encryptionByDefault: boolean; defaultKmsKeyId?: string };
}

export function emptyModel(): Ec2Model {
  return {
    instances: {},
    reservations: {},
    volumes: {},
    snapshots: {},
    launchTemplates: {},
    securityGroups: {},
    vpcs: {},
    subnets: {},
    networkInterfaces: {},
    images: {},
    routeTables: {},
    internetGateways: {},
    natGateways: {},
    addresses: {},
    vpcEndpoints: {},
    clientTokens: {},
  };
}

/** Replaces the value of `key` or appends it, as CreateTags does. */
export function setTag(tags: Tag[], key: string, value: string): void {
  const existing = tags.find((t) => t.Key === key);
  if (existing) existing.Value = value;
  else tags.push({ Key: key, Value: value });
}

export function mergeTags(into: Tag[], add: readonly Tag[]): Tag[] {
  for (const t of add) setTag(into, t.Key, t.Value);
  return into;
}
