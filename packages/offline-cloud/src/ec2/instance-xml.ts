/** An instance as DescribeInstances / RunInstances render it. */
import { INSTANCE_STATE_CODES, type InstanceRecord, type InstanceStateName } from './model';
import { groupRefs, privateDnsName } from './network';
import type { World } from './world';
import { type XmlObject, renderTags } from './xml';

export function renderState(state: InstanceStateName): XmlObject {
  return { code: INSTANCE_STATE_CODES[state], name: state };
}

/** A reason in StateReason's `Code: message` form (Client.InstanceInitiatedShutdown, Client.InternalError…). */
function stateReasonOf(reason: string | undefined): XmlObject | undefined {
  const code = /^((?:Client|Server)\.[A-Za-z.]+): /.exec(reason ?? '')?.[1];
  return code ? { code, message: reason } : undefined;
}

/**
 * The boot mode an instance runs in, from its image's (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-boot-mode.html):
 * uefi and legacy-bios as the image says; uefi-preferred is uefi where the type supports UEFI (every type the offline
 * cloud offers but the previous-generation t2/m1/c1/m3, which are BIOS only); none: uefi on Graviton, legacy-bios on Intel and AMD.
 */
function currentBootMode(imageMode: string | undefined, architecture: string, instanceType: string): string {
  if (imageMode === 'uefi' || imageMode === 'legacy-bios') return imageMode;
  if (imageMode === 'uefi-preferred') return /^(t2|m1|c1|m3)\./.test(instanceType) ? 'legacy-bios' : 'uefi';
  return architecture === 'arm64' ? 'uefi' : 'legacy-bios';
}

export function renderInstance(w: World, inst: InstanceRecord): XmlObject {
  const gone = inst.state === 'terminated';
  const image = w.model.images[inst.imageId];
  const architecture = image?.architecture ?? 'x86_64';
  const volumes = Object.values(w.model.volumes).filter((v) => v.attachment?.instanceId === inst.instanceId);
  const nics = inst.networkInterfaceIds.map((id) => w.model.networkInterfaces[id]).filter((n) => n?.attachment?.instanceId === inst.instanceId);
  return {
    instanceId: inst.instanceId,
    imageId: inst.imageId,
    instanceState: renderState(inst.state),
    privateDnsName: gone ? '' : privateDnsName(inst.privateIpAddress, w.ctx.region),
    dnsName: '',
    reason: inst.stateReason ?? '',
    // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_StateReason.html
    stateReason: stateReasonOf(inst.stateReason),
    amiLaunchIndex: inst.amiLaunchIndex,
    productCodes: [],
    instanceType: inst.instanceType,
    launchTime: inst.launchTime,
    placement: { availabilityZone: inst.availabilityZone, groupName: '', tenancy: 'default' },
    monitoring: { state: 'disabled' },
    subnetId: gone ? undefined : inst.subnetId,
    vpcId: gone ? undefined : inst.vpcId,
    privateIpAddress: gone ? undefined : inst.privateIpAddress,
    ipAddress: inst.publicIpAddress,
    sourceDestCheck: true,
    groupSet: gone ? [] : groupRefs(w, inst.securityGroupIds),
    architecture,
    // Windows images are not emulated: every instance runs Linux (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/billing-info-fields.html)
    platformDetails: 'Linux/UNIX',
    bootMode: image?.bootMode,
    currentInstanceBootMode: currentBootMode(image?.bootMode, architecture, inst.instanceType),
    rootDeviceType: 'ebs',
    rootDeviceName: inst.rootDeviceName,
    blockDeviceMapping: volumes.map((v) => ({
      deviceName: v.attachment!.device,
      ebs: { volumeId: v.volumeId, status: 'attached', attachTime: v.attachment!.attachTime, deleteOnTermination: v.attachment!.deleteOnTermination },
    })),
    virtualizationType: image?.virtualizationType ?? 'hvm',
    clientToken: inst.clientToken ?? '',
    tagSet: renderTags(inst.tags),
    hypervisor: 'xen',
    networkInterfaceSet: nics.map((n) => ({
      networkInterfaceId: n.networkInterfaceId,
      subnetId: n.subnetId,
      vpcId: n.vpcId,
      description: n.description,
      ownerId: w.ctx.accountId,
      status: 'in-use',
      macAddress: n.macAddress,
      privateIpAddress: n.privateIpAddress,
      privateDnsName: privateDnsName(n.privateIpAddress, w.ctx.region),
      sourceDestCheck: true,
      groupSet: groupRefs(w, n.groupIds),
      association: inst.publicIpAddress && n.attachment!.deviceIndex === 0 ? { publicIp: inst.publicIpAddress, ipOwnerId: 'amazon' } : undefined,
      attachment: {
        attachmentId: n.attachment!.attachmentId,
        deviceIndex: n.attachment!.deviceIndex,
        status: 'attached',
        attachTime: n.attachment!.attachTime,
        deleteOnTermination: n.attachment!.deleteOnTermination,
      },
      privateIpAddressesSet: [{ privateIpAddress: n.privateIpAddress, privateDnsName: privateDnsName(n.privateIpAddress, w.ctx.region), primary: true }],
      interfaceType: 'interface',
    })),
    iamInstanceProfile: inst.iamInstanceProfileArn ? { arn: inst.iamInstanceProfileArn, id: 'AIPAOFFLINE0000000000' } : undefined,
    ebsOptimized: false,
    enaSupport: image?.enaSupport ?? true,
    metadataOptions: { state: 'applied', ...inst.metadataOptions },
  };
}
