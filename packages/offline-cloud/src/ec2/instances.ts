/** Instances: launch, lifecycle (pending → running → stopping/stopped, shutting-down → terminated), describe. */
import { AwsError } from '../service';
import { checkLaunch } from './capacity';
import { describe, notFoundError } from './describe';
import type { FieldMap } from './filters';
import { checkInstanceIds, newId } from './ids';
import { type LaunchPlan, planLaunch } from './launch-plan';
import { INSTANCE_STATE_CODES, type InstanceRecord, type InstanceStateName, mergeTags } from './model';
import { renderInstance, renderState } from './instance-xml';
import { newPublicIp } from './gateways';
import { createNetworkInterface } from './network';
import type { Query } from './query';
import { createVolumeRecord, detach, removeVolume } from './volumes';
import { type ActionHandler, type World, nowIso, priorResult, rememberResult } from './world';
import type { XmlObject } from './xml';

const NEXT_STATE: Partial<Record<InstanceStateName, InstanceStateName>> = {
  pending: 'running',
  stopping: 'stopped',
  'shutting-down': 'terminated',
};

/** Enters a state; transitional states end on a timer after ctx.timings.instanceMs. */
function enter(w: World, inst: InstanceRecord, state: InstanceStateName): void {
  inst.state = state;
  inst.transitionAt = NEXT_STATE[state] ? w.ctx.clock.now() + w.ctx.timings.instanceMs : undefined;
  if (state === 'stopping' || state === 'shutting-down') w.processes.kill(inst.instanceId);
  if (state === 'terminated') {
    releaseResources(w, inst);
    inst.publicIpAddress = undefined;
  }
  w.ctx.markDirty();
  scheduleInstance(w, inst);
  if (state === 'running') w.processes.boot(inst.instanceId);
}

export function scheduleInstance(w: World, inst: InstanceRecord): void {
  if (inst.transitionAt === undefined) return;
  const from = inst.state;
  w.timers.at(inst.transitionAt, () => {
    const cur = w.model.instances[inst.instanceId];
    if (cur?.state !== from || !NEXT_STATE[from]) return;
    // a launch whose encrypted volumes KMS refused never runs: it terminates with that reason (ebs-encryption.ts)
    if (from === 'pending' && cur.launchFailure) {
      cur.stateReason = cur.launchFailure;
      return enter(w, cur, 'shutting-down');
    }
    enter(w, cur, NEXT_STATE[from]);
  });
}

/** Termination detaches volumes (deleting DeleteOnTermination ones) and deletes the instance's NICs. */
function releaseResources(w: World, inst: InstanceRecord): void {
  for (const v of Object.values(w.model.volumes)) {
    if (v.attachment?.instanceId !== inst.instanceId) continue;
    const doomed = v.attachment.deleteOnTermination;
    detach(w, v);
    if (doomed) removeVolume(w, v.volumeId);
  }
  for (const nicId of inst.networkInterfaceIds) {
    const nic = w.model.networkInterfaces[nicId];
    if (nic?.attachment?.deleteOnTermination) delete w.model.networkInterfaces[nicId];
    else if (nic) nic.attachment = undefined;
  }
}

function launchOne(w: World, plan: LaunchPlan, reservationId: string, index: number, clientToken?: string): InstanceRecord {
  const instanceId = newId('i');
  const now = w.ctx.clock.now();
  const created: string[] = [];
  try {
    const nic = createNetworkInterface(w, {
      subnet: plan.subnet,
      groupIds: plan.groupIds,
      privateIp: plan.privateIp,
      description: '',
      tags: mergeTags([], plan.nicTags),
    });
    nic.attachment = { attachmentId: newId('eni-attach'), instanceId, deviceIndex: 0, deleteOnTermination: true, attachTime: new Date(now).toISOString() };
    for (const d of plan.blockDevices) {
      const snap = d.snapshotId ? w.model.snapshots[d.snapshotId] : undefined;
      const v = createVolumeRecord(
        w,
        {
          availabilityZone: plan.subnet.availabilityZone,
          size: d.volumeSize ?? snap?.volumeSize ?? 8,
          snapshotId: d.snapshotId,
          volumeType: d.volumeType ?? 'gp3',
          encrypted: d.encrypted,
          kmsKeyId: d.kmsKeyId,
          iops: d.iops,
          throughput: d.throughput,
          initializationRate: d.volumeInitializationRate,
          tags: plan.volumeTags,
        },
        'in-use',
      );
      created.push(v.volumeId);
      v.attachment = { instanceId, device: d.deviceName, attachTime: new Date(now).toISOString(), deleteOnTermination: d.deleteOnTermination ?? true };
    }
    const tags = mergeTags([], plan.instanceTags);
    if (plan.template) {
      // AWS adds these system tags to every instance launched from a launch template.
      tags.push({ Key: 'aws:ec2launchtemplate:id', Value: plan.template.id }, { Key: 'aws:ec2launchtemplate:version', Value: String(plan.template.version) });
    }
    const inst: InstanceRecord = {
      instanceId,
      reservationId,
      imageId: plan.imageId,
      instanceType: plan.instanceType,
      state: 'pending',
      launchTime: new Date(now).toISOString(),
      createdAt: now,
      availabilityZone: plan.subnet.availabilityZone,
      subnetId: plan.subnet.subnetId,
      vpcId: plan.subnet.vpcId,
      privateIpAddress: nic.privateIpAddress,
      networkInterfaceIds: [nic.networkInterfaceId],
      securityGroupIds: plan.groupIds,
      userData: plan.userData,
      instanceInitiatedShutdownBehavior: plan.instanceInitiatedShutdownBehavior,
      tags,
      metadataOptions: plan.metadataOptions,
      rootDeviceName: plan.rootDeviceName,
      clientToken,
      amiLaunchIndex: index,
      iamInstanceProfileArn: plan.iamInstanceProfileArn,
      publicIpAddress: plan.publicIp ? newPublicIp(w) : undefined,
    };
    w.model.instances[instanceId] = inst;
    return inst;
  } catch (err) {
    for (const id of created) removeVolume(w, id);
    for (const n of Object.values(w.model.networkInterfaces))
      if (n.attachment?.instanceId === instanceId) delete w.model.networkInterfaces[n.networkInterfaceId];
    throw err;
  }
}

function renderReservation(w: World, reservationId: string, instances: InstanceRecord[]): XmlObject {
  return {
    reservationId,
    ownerId: w.ctx.accountId,
    groupSet: [],
    instancesSet: instances.map((i) => renderInstance(w, i)),
  };
}

export const runInstances: ActionHandler = (q, w) => {
  const prior = priorResult(w, 'RunInstances', q);
  const priorReservation = prior ? w.model.reservations[prior] : undefined;
  if (priorReservation) {
    return renderReservation(w, prior!, priorReservation.instanceIds.map((id) => w.model.instances[id]).filter(Boolean));
  }
  const plan = planLaunch(q, w);
  const count = checkLaunch(w, plan.instanceType, plan.subnet.availabilityZone, plan.minCount, plan.count);
  const reservationId = newId('r');
  const launched: InstanceRecord[] = [];
  for (let i = 0; i < count; i++) launched.push(launchOne(w, plan, reservationId, i, q.str('ClientToken')));
  w.model.reservations[reservationId] = { reservationId, instanceIds: launched.map((i) => i.instanceId) };
  rememberResult(w, 'RunInstances', q, reservationId);
  const failure = w.kmsOutcome?.failure;
  for (const inst of launched) {
    if (failure) inst.launchFailure = failure.message;
    enter(w, inst, 'pending');
  }
  return renderReservation(w, reservationId, launched);
};

function instanceFields(w: World): FieldMap<InstanceRecord> {
  return {
    'instance-id': (i) => i.instanceId,
    'instance-state-name': (i) => i.state,
    'instance-state-code': (i) => INSTANCE_STATE_CODES[i.state],
    'instance-type': (i) => i.instanceType,
    'image-id': (i) => i.imageId,
    'availability-zone': (i) => i.availabilityZone,
    'subnet-id': (i) => i.subnetId,
    'vpc-id': (i) => i.vpcId,
    'private-ip-address': (i) => i.privateIpAddress,
    'reservation-id': (i) => i.reservationId,
    'client-token': (i) => i.clientToken,
    'launch-time': (i) => i.launchTime,
    'instance.group-id': (i) => i.securityGroupIds,
    'iam-instance-profile.arn': (i) => i.iamInstanceProfileArn,
    'network-interface.network-interface-id': (i) => i.networkInterfaceIds,
    'block-device-mapping.volume-id': (i) =>
      Object.values(w.model.volumes)
        .filter((v) => v.attachment?.instanceId === i.instanceId)
        .map((v) => v.volumeId),
    'metadata-options.instance-metadata-tags': (i) => i.metadataOptions.instanceMetadataTags,
  };
}

export const describeInstances: ActionHandler = (q, w) => {
  checkInstanceIds(q.list('InstanceId'));
  const page = describe(q, w, {
    all: Object.values(w.model.instances),
    idOf: (i) => i.instanceId,
    tagsOf: (i) => i.tags,
    fields: instanceFields(w),
    limits: { min: 5, max: 1000 },
    idParam: 'InstanceId',
    idFilter: 'instance-id',
    notFound: notFoundError('InvalidInstanceID.NotFound', (ids) => `The instance ID '${ids}' does not exist`),
    createdAt: (i) => i.createdAt,
  });
  const byReservation = new Map<string, InstanceRecord[]>();
  for (const inst of page.items) byReservation.set(inst.reservationId, [...(byReservation.get(inst.reservationId) ?? []), inst]);
  return {
    reservationSet: [...byReservation].map(([id, list]) => renderReservation(w, id, list)),
    nextToken: page.nextToken,
  };
};

function targets(q: Query, w: World): InstanceRecord[] {
  const ids = q.list('InstanceId');
  if (ids.length === 0) throw new AwsError('MissingParameter', 'The request must contain the parameter InstanceId');
  checkInstanceIds(ids);
  const missing = ids.filter((id) => !w.model.instances[id]);
  if (missing.length) throw new AwsError('InvalidInstanceID.NotFound', `The instance ID '${missing.join(', ')}' does not exist`);
  return ids.map((id) => w.model.instances[id]);
}

function stateChanges(q: Query, w: World, change: (inst: InstanceRecord) => void): XmlObject {
  const list = targets(q, w);
  const previous = list.map((i) => i.state);
  for (const inst of list) change(inst);
  return {
    instancesSet: list.map((inst, k) => ({
      instanceId: inst.instanceId,
      currentState: renderState(inst.state),
      previousState: renderState(previous[k]),
    })),
  };
}

export const terminateInstances: ActionHandler = (q, w) =>
  stateChanges(q, w, (inst) => {
    if (inst.state !== 'terminated' && inst.state !== 'shutting-down') {
      inst.stateReason = `User initiated (${nowIso(w)})`;
      enter(w, inst, 'shutting-down');
    }
  });

/**
 * The guest OS powered off (`shutdown -h`): the instance stops, or terminates if its
 * InstanceInitiatedShutdownBehavior says so (AWS's default is stop):
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_ChangingInstanceInitiatedShutdownBehavior.html
 */
export function instanceInitiatedShutdown(w: World, instanceId: string): void {
  const inst = w.model.instances[instanceId];
  if (inst?.state !== 'running') return;
  inst.stateReason = 'Client.InstanceInitiatedShutdown: Instance initiated shutdown';
  enter(w, inst, inst.instanceInitiatedShutdownBehavior === 'terminate' ? 'shutting-down' : 'stopping');
}

export const stopInstances: ActionHandler = (q, w) => {
  for (const inst of targets(q, w)) {
    if (!['running', 'stopping', 'stopped'].includes(inst.state)) {
      throw new AwsError('IncorrectInstanceState', `This instance '${inst.instanceId}' is not in a state from which it can be stopped.`);
    }
  }
  return stateChanges(q, w, (inst) => {
    if (inst.state === 'running') {
      inst.stateReason = `User initiated (${nowIso(w)})`;
      enter(w, inst, 'stopping');
    }
  });
};

export const startInstances: ActionHandler = (q, w) => {
  for (const inst of targets(q, w)) {
    if (!['pending', 'running', 'stopped'].includes(inst.state)) {
      throw new AwsError('IncorrectInstanceState', `The instance '${inst.instanceId}' is not in a state from which it can be started.`);
    }
  }
  return stateChanges(q, w, (inst) => {
    if (inst.state === 'stopped') {
      inst.stateReason = '';
      enter(w, inst, 'pending');
    }
  });
};
