/** AMIs: one offline image exists from the start, so RunInstances works with no set-up. */
import { AwsError } from '../service';
import { describe, notFoundError } from './describe';
import type { FieldMap } from './filters';
import { newId } from './ids';
import { type BlockDeviceSpec, type ImageRecord, mergeTags } from './model';
import { type Query, readTagSpecs } from './query';
import { type ActionHandler, type World, nowIso, tagsFromSpecs } from './world';
import { type XmlObject, renderTags } from './xml';

export const DEFAULT_IMAGE_ID = 'ami-0lifeboat0offline';
/** The account id AWS's own public images carry. */
const AMAZON_OWNER_ID = '137112412989';

export function seedImages(w: World): void {
  w.model.images[DEFAULT_IMAGE_ID] = {
    imageId: DEFAULT_IMAGE_ID,
    name: 'al2023-ami-offline',
    description: 'Amazon Linux 2023 (offline cloud stand-in)',
    architecture: 'x86_64',
    // AL2023's AMIs boot UEFI where the type supports it (https://docs.aws.amazon.com/linux/al2023/ug/uefi-secure-boot.html)
    bootMode: 'uefi-preferred',
    virtualizationType: 'hvm',
    enaSupport: true,
    rootDeviceName: '/dev/xvda',
    blockDeviceMappings: [{ deviceName: '/dev/xvda', volumeSize: 8, volumeType: 'gp3', deleteOnTermination: true, encrypted: false }],
    ownerId: AMAZON_OWNER_ID,
    ownerAlias: 'amazon',
    creationDate: '2025-01-01T00:00:00.000Z',
    isPublic: true,
    tags: [],
  };
}

export function requireImage(w: World, imageId: string): ImageRecord {
  const image = w.model.images[imageId];
  if (!image) throw new AwsError('InvalidAMIID.NotFound', `The image id '[${imageId}]' does not exist`);
  return image;
}

/** Reads `BlockDeviceMapping.N` (RunInstances, RegisterImage, launch template data). */
export function readBlockDevices(q: Query): BlockDeviceSpec[] {
  return q.structs('BlockDeviceMapping').map((m) => {
    const ebs = m.sub('Ebs');
    return {
      deviceName: m.required('DeviceName'),
      snapshotId: ebs.str('SnapshotId'),
      volumeSize: ebs.int('VolumeSize'),
      volumeType: ebs.str('VolumeType'),
      deleteOnTermination: ebs.bool('DeleteOnTermination'),
      encrypted: ebs.bool('Encrypted'),
      kmsKeyId: ebs.str('KmsKeyId'),
      iops: ebs.int('Iops'),
      throughput: ebs.int('Throughput'),
      volumeInitializationRate: ebs.int('VolumeInitializationRate'),
    };
  });
}

export function renderBlockDevice(b: BlockDeviceSpec): XmlObject {
  return {
    deviceName: b.deviceName,
    ebs: {
      snapshotId: b.snapshotId,
      volumeSize: b.volumeSize,
      volumeType: b.volumeType,
      deleteOnTermination: b.deleteOnTermination,
      encrypted: b.encrypted,
      kmsKeyId: b.kmsKeyId,
      iops: b.iops,
      throughput: b.throughput,
      volumeInitializationRate: b.volumeInitializationRate,
    },
  };
}

const FIELDS: FieldMap<ImageRecord> = {
  'image-id': (i) => i.imageId,
  name: (i) => i.name,
  'owner-id': (i) => i.ownerId,
  'owner-alias': (i) => i.ownerAlias,
  architecture: (i) => i.architecture,
  'virtualization-type': (i) => i.virtualizationType ?? 'hvm',
  state: () => 'available',
  'root-device-name': (i) => i.rootDeviceName,
  'root-device-type': () => 'ebs',
  'is-public': (i) => i.isPublic,
  description: (i) => i.description,
  'block-device-mapping.snapshot-id': (i) => i.blockDeviceMappings.map((b) => b.snapshotId),
};

function renderImage(i: ImageRecord): XmlObject {
  return {
    imageId: i.imageId,
    imageLocation: `${i.ownerAlias ?? i.ownerId}/${i.name}`,
    imageState: 'available',
    imageOwnerId: i.ownerId,
    imageOwnerAlias: i.ownerAlias,
    creationDate: i.creationDate,
    isPublic: i.isPublic,
    architecture: i.architecture,
    imageType: 'machine',
    name: i.name,
    description: i.description,
    rootDeviceType: 'ebs',
    rootDeviceName: i.rootDeviceName,
    blockDeviceMapping: i.blockDeviceMappings.map(renderBlockDevice),
    virtualizationType: i.virtualizationType ?? 'hvm',
    hypervisor: 'xen',
    enaSupport: i.enaSupport ?? true,
    bootMode: i.bootMode,
    tagSet: renderTags(i.tags),
  };
}

export const describeImages: ActionHandler = (q, w) => {
  const owners = q.list('Owner');
  const ownerOk = (i: ImageRecord) =>
    owners.length === 0 || owners.some((o) => (o === 'self' ? i.ownerId === w.ctx.accountId : o === i.ownerId || o === i.ownerAlias));
  const page = describe(q, w, {
    all: Object.values(w.model.images).filter(ownerOk),
    idOf: (i) => i.imageId,
    tagsOf: (i) => i.tags,
    fields: FIELDS,
    limits: { min: 1, max: 1000 },
    idParam: 'ImageId',
    notFound: notFoundError('InvalidAMIID.NotFound', (ids) => `The image id '[${ids}]' does not exist`),
  });
  return { imagesSet: page.items.map(renderImage), nextToken: page.nextToken };
};

/** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RegisterImage.html: "3-128 alphanumeric characters, ( ) [ ] space . / - ' @ _". */
const IMAGE_NAME = /^[A-Za-z0-9()[\] ./\-'@_]{3,128}$/;
const BOOT_MODES = ['legacy-bios', 'uefi', 'uefi-preferred'];

/**
 * RegisterImage of an EBS-backed image from snapshots (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RegisterImage.html):
 * Architecture defaults to i386 and VirtualizationType to paravirtual, as the reference says; a mapping that names a
 * snapshot cannot set its encryption (the volume takes the snapshot's); only the image is taggable here ("If you
 * specify another value for ResourceType, the request fails"); names are unique per account and region.
 */
export const registerImage: ActionHandler = (q, w) => {
  const name = q.required('Name');
  if (!IMAGE_NAME.test(name)) {
    throw new AwsError(
      'InvalidAMIName.Malformed',
      `AMI names must be between 3 and 128 characters long, and may contain letters, numbers, '(', ')', '.', '-', '/' and '_' (got ${name})`,
    );
  }
  if (Object.values(w.model.images).some((i) => i.name === name && i.ownerId === w.ctx.accountId)) {
    throw new AwsError('InvalidAMIName.Duplicate', `AMI name ${name} is already in use by AMI`);
  }
  const bootMode = q.str('BootMode');
  if (bootMode !== undefined && !BOOT_MODES.includes(bootMode)) {
    throw new AwsError('InvalidParameterValue', `Value (${bootMode}) for parameter bootMode is invalid. Valid values: ${BOOT_MODES.join(', ')}`);
  }
  const rootDeviceName = q.str('RootDeviceName') ?? '/dev/xvda';
  const devices = readBlockDevices(q);
  for (const d of devices) {
    if (d.snapshotId && !w.model.snapshots[d.snapshotId]) {
      throw new AwsError('InvalidSnapshot.NotFound', `The snapshot '${d.snapshotId}' does not exist.`);
    }
    if (d.snapshotId && d.encrypted !== undefined) {
      throw new AwsError('InvalidParameterCombination', `You can't specify the encryption state of ${d.deviceName}: it is made from snapshot ${d.snapshotId}`);
    }
    if (d.snapshotId && d.volumeSize === undefined) d.volumeSize = w.model.snapshots[d.snapshotId].volumeSize;
  }
  if (!devices.some((d) => d.deviceName === rootDeviceName)) {
    throw new AwsError('InvalidBlockDeviceMapping', `The root device ${rootDeviceName} has no block device mapping`);
  }
  const image: ImageRecord = {
    imageId: newId('ami'),
    name,
    description: q.str('Description'),
    architecture: q.str('Architecture') ?? 'i386',
    bootMode,
    virtualizationType: q.str('VirtualizationType') ?? 'paravirtual',
    enaSupport: q.bool('EnaSupport') ?? false,
    rootDeviceName,
    blockDeviceMappings: devices.map((d) => ({ ...d, deleteOnTermination: d.deleteOnTermination ?? true, volumeType: d.volumeType ?? 'gp3' })),
    ownerId: w.ctx.accountId,
    creationDate: nowIso(w),
    isPublic: false,
    tags: mergeTags([], tagsFromSpecs(readTagSpecs(q), 'image', ['image'])),
  };
  w.model.images[image.imageId] = image;
  w.ctx.markDirty();
  return { imageId: image.imageId };
};

export const deregisterImage: ActionHandler = (q, w) => {
  const imageId = q.required('ImageId');
  const image = requireImage(w, imageId);
  if (image.ownerId !== w.ctx.accountId) throw new AwsError('UnauthorizedOperation', `You do not own the image ${imageId}`);
  delete w.model.images[imageId];
  w.ctx.markDirty();
  return { return: true };
};
