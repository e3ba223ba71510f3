/**
 * The EC2 emulator as an offline-cloud Service: query-protocol dispatch to the action handlers, the
 * durable model (toJSON/restore), and the hooks other emulators and fault injection use.
 */
import { limitsOf } from '../aws-rates';
import { CloudTimers } from '../clock';
import type { CloudContext } from '../context';
import { TokenBuckets } from '../token-bucket';
import { AwsError, type CloudRequest, type CloudResponse, type Service } from '../service';
import type { VolumeStorage } from '../storage/volume-storage';
import { BootManager } from './boot';
import { describeAvailabilityZones, describeInstanceTypeOfferings, describeInstanceTypes } from './capacity';
import { describeVolumeStatus } from './volume-status';
import { newRequestId } from './ids';
import { deregisterImage, describeImages, registerImage, seedImages } from './images';
import { describeInstances, instanceInitiatedShutdown, runInstances, scheduleInstance, startInstances, stopInstances, terminateInstances } from './instances';
import { type Ec2Model, type MetadataOptions, emptyModel } from './model';
import { getConsoleOutput } from './console';
import * as gateways from './gateways';
import { createSecurityGroup, deleteSecurityGroup, describeNetworkInterfaces, describeSecurityGroups } from './network';
import { type Verdict, reachService } from './reachability';
import * as routeTables from './route-tables';
import { authorizeSecurityGroupEgress, revokeSecurityGroupEgress } from './sg-egress';
import * as vpcs from './vpcs';
import { Query, type Tag } from './query';
import {
  type SnapshotRegistry,
  createSnapshot,
  createSnapshots,
  deleteSnapshot,
  describeSnapshots,
  scheduleSnapshotCompletion,
  snapshotRegistry,
} from './snapshots';
import { createTags, deleteTags, describeTags } from './tagging';
import { createLaunchTemplate, createLaunchTemplateVersion, deleteLaunchTemplate, describeLaunchTemplateVersions, describeLaunchTemplates } from './templates';
import { attachVolume, createVolume, deleteVolume, describeVolumes, detachVolume, scheduleVolumeReady } from './volumes';
import { type ActionHandler, type World } from './world';
import { ENCRYPTION_DEFAULT_ACTIONS, kmsOutcome } from './ebs-encryption';
import { planLaunch } from './launch-plan';
import { callerOf, type KmsBridge } from '../kms/index';
import { renderError, renderResponse } from './xml';

const ACTIONS: Record<string, ActionHandler> = {
  RunInstances: runInstances,
  DescribeInstanceTypeOfferings: describeInstanceTypeOfferings,
  DescribeInstanceTypes: describeInstanceTypes,
  DescribeAvailabilityZones: describeAvailabilityZones,
  DescribeInstances: describeInstances,
  TerminateInstances: terminateInstances,
  StopInstances: stopInstances,
  StartInstances: startInstances,
  CreateVolume: createVolume,
  DescribeVolumes: describeVolumes,
  DescribeVolumeStatus: describeVolumeStatus,
  AttachVolume: attachVolume,
  DetachVolume: detachVolume,
  DeleteVolume: deleteVolume,
  CreateSnapshot: createSnapshot,
  CreateSnapshots: createSnapshots,
  DescribeSnapshots: describeSnapshots,
  DeleteSnapshot: deleteSnapshot,
  CreateLaunchTemplate: createLaunchTemplate,
  CreateLaunchTemplateVersion: createLaunchTemplateVersion,
  DeleteLaunchTemplate: deleteLaunchTemplate,
  DescribeLaunchTemplates: describeLaunchTemplates,
  DescribeLaunchTemplateVersions: describeLaunchTemplateVersions,
  CreateSecurityGroup: createSecurityGroup,
  DeleteSecurityGroup: deleteSecurityGroup,
  DescribeSecurityGroups: describeSecurityGroups,
  AuthorizeSecurityGroupEgress: authorizeSecurityGroupEgress,
  RevokeSecurityGroupEgress: revokeSecurityGroupEgress,
  CreateVpc: vpcs.createVpc,
  DescribeVpcs: vpcs.describeVpcs,
  DeleteVpc: vpcs.deleteVpc,
  CreateSubnet: vpcs.createSubnet,
  DescribeSubnets: vpcs.describeSubnets,
  DeleteSubnet: vpcs.deleteSubnet,
  ModifySubnetAttribute: vpcs.modifySubnetAttribute,
  CreateRouteTable: routeTables.createRouteTable,
  DescribeRouteTables: routeTables.describeRouteTables,
  DeleteRouteTable: routeTables.deleteRouteTable,
  AssociateRouteTable: routeTables.associateRouteTable,
  DisassociateRouteTable: routeTables.disassociateRouteTable,
  CreateRoute: routeTables.createRoute,
  DeleteRoute: routeTables.deleteRoute,
  CreateInternetGateway: routeTables.createInternetGateway,
  AttachInternetGateway: routeTables.attachInternetGateway,
  DetachInternetGateway: routeTables.detachInternetGateway,
  DescribeInternetGateways: routeTables.describeInternetGateways,
  DeleteInternetGateway: routeTables.deleteInternetGateway,
  AllocateAddress: gateways.allocateAddress,
  ReleaseAddress: gateways.releaseAddress,
  DescribeAddresses: gateways.describeAddresses,
  CreateNatGateway: gateways.createNatGateway,
  DescribeNatGateways: gateways.describeNatGateways,
  DeleteNatGateway: gateways.deleteNatGateway,
  CreateVpcEndpoint: gateways.createVpcEndpoint,
  DescribeVpcEndpoints: gateways.describeVpcEndpoints,
  DeleteVpcEndpoints: gateways.deleteVpcEndpoints,
  DescribeNetworkInterfaces: describeNetworkInterfaces,
  RegisterImage: registerImage,
  DescribeImages: describeImages,
  DeregisterImage: deregisterImage,
  CreateTags: createTags,
  DeleteTags: deleteTags,
  DescribeTags: describeTags,
  ...ENCRYPTION_DEFAULT_ACTIONS,
};

/** What IMDS may tell a booted instance about itself. */
export interface InstanceMetadata {
  instanceId: string;
  state: string;
  availabilityZone: string;
  metadataOptions: MetadataOptions;
  tags: readonly Tag[];
  iamInstanceProfileArn?: string;
}

/** One account's EC2 in one region (regional.ts composes them into the service the edge serves). */
export interface Ec2Store extends Service {
  readonly snapshots: SnapshotRegistry;
  /** Kills a booted instance's process (fault injection: the agent dies, the VM stays 'running'). */
  killInstanceProcess(instanceId: string): boolean;
  toJSON(): unknown;
  /** Replaces the model with a saved one; running instances are booted again once the endpoint listens. */
  restore(state: unknown): void;
  close(): void;
  instanceMetadata(instanceId: string): InstanceMetadata | undefined;
  /** <dataDir>/instances/<id>: console.log, dev/disk/by-id, rootfs/ (the guest's /opt, /var/log, /tmp), guest/. */
  instanceDir(instanceId: string): string;
  /** Replaces the instance types a zone offers (undefined: back to the default table of src/aws-rates.ts). */
  setInstanceTypeOfferings(zone: string, types: readonly string[] | undefined): void;
  /** Whether the instance's traffic to `service` (a SigV4 name: s3, ec2…) of `region` (default its own) leaves its VPC (reachability.ts). */
  reach(instanceId: string, service: string, region?: string): Verdict;
  /** The model and its helpers, read by the authorizer (src/iam/ec2-authz.ts) to find resources' tags. */
  readonly world: World;
  /** Its region went down: every instance's process stops (the model keeps the instances as they were). */
  suspend(): void;
  /** Its region is back: running instances boot again, as after a restart. */
  resume(): void;
}

interface SavedState {
  version: 1;
  model: Ec2Model;
}

function isSavedState(x: unknown): x is SavedState {
  const s = x as SavedState | undefined;
  return typeof s === 'object' && s !== null && s.version === 1 && typeof s.model === 'object' && s.model !== null;
}

const XML_HEADERS = { 'content-type': 'text/xml;charset=UTF-8' };

/** Instance type offerings per zone that a test replaced: shared by every account's view of a region. */
export type Offerings = Record<string, readonly string[]>;

export function createEc2Store(ctx: CloudContext, storage: VolumeStorage, offerings: Offerings = {}, kms?: KmsBridge): Ec2Store {
  let model = emptyModel();
  const boot = new BootManager(
    ctx,
    storage,
    () => model,
    (id, service, region) => {
      const inst = model.instances[id];
      return inst ? reachService(world, inst, service, region) : { reachable: false, why: 'no such instance' };
    },
    (id) => instanceInitiatedShutdown(world, id),
  );
  const world: World = {
    ctx,
    storage,
    get model() {
      return model;
    },
    set model(m: Ec2Model) {
      model = m;
    },
    timers: new CloudTimers(ctx.clock),
    processes: boot,
    offerings,
    kms,
  };
  const buckets = new TokenBuckets(() => ctx.clock.now());
  vpcs.seedNetwork(world);
  seedImages(world);

  const errorResponse = (status: number, code: string, message: string): CloudResponse => ({
    status,
    headers: XML_HEADERS,
    body: renderError(code, message, newRequestId()),
  });

  return {
    names: ['ec2'],
    throttleCode: 'RequestLimitExceeded',
    error: errorResponse,
    snapshots: snapshotRegistry(world),

    async handle(req: CloudRequest): Promise<CloudResponse> {
      const q = Query.parse(req.body, req.query);
      const action = q.str('Action') ?? '';
      try {
        const handler =
          action === 'GetConsoleOutput' ? (cq: Query) => getConsoleOutput(world, (id) => boot.instanceDir(id), cq.required('InstanceId')) : ACTIONS[action];
        if (!handler) throw new AwsError('InvalidAction', `The action ${action || '(none)'} is not valid for this web service.`);
        if (q.bool('DryRun')) throw new AwsError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
        const rate = limitsOf(ctx).ec2Rates[action];
        // https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html: per account and region, HTTP 503
        if (rate && !buckets.take(action, rate)) throw new AwsError('RequestLimitExceeded', 'Request limit exceeded.', 503);
        // EBS calls KMS with the caller's identity for encrypted volumes; what KMS says applies to what the handler creates
        world.kmsOutcome = await kmsOutcome(action, q, world, callerOf(req, ctx.iam), () => planLaunch(q, world).blockDevices);
        let body;
        try {
          body = handler(q, world);
        } finally {
          world.kmsOutcome = undefined;
        }
        return { status: 200, headers: XML_HEADERS, body: renderResponse(action, newRequestId(), body) };
      } catch (err) {
        if (err instanceof AwsError) return errorResponse(err.status, err.code, err.message);
        throw err;
      }
    },

    killInstanceProcess: (instanceId) => boot.killProcesses(instanceId),

    toJSON: (): SavedState => ({ version: 1, model: JSON.parse(JSON.stringify(model)) as Ec2Model }),

    restore(state: unknown): void {
      if (!isSavedState(state)) throw new Error('offline ec2: saved state is not a version 1 EC2 model');
      for (const id of Object.keys(model.instances)) boot.kill(id);
      world.timers.clear();
      model = { ...emptyModel(), ...(JSON.parse(JSON.stringify(state.model)) as Ec2Model) };
      for (const v of Object.values(model.volumes)) scheduleVolumeReady(world, v);
      for (const s of Object.values(model.snapshots)) scheduleSnapshotCompletion(world, s);
      for (const inst of Object.values(model.instances)) {
        scheduleInstance(world, inst);
        if (inst.state === 'running') boot.boot(inst.instanceId, { afterRestart: true });
      }
    },

    close(): void {
      world.timers.clear();
      boot.close();
    },

    suspend(): void {
      for (const id of Object.keys(model.instances)) boot.kill(id);
    },

    resume(): void {
      for (const inst of Object.values(model.instances)) if (inst.state === 'running') boot.boot(inst.instanceId, { afterRestart: true });
    },

    instanceMetadata(instanceId: string): InstanceMetadata | undefined {
      const inst = model.instances[instanceId];
      if (!inst) return undefined;
      return {
        instanceId,
        state: inst.state,
        availabilityZone: inst.availabilityZone,
        metadataOptions: inst.metadataOptions,
        tags: inst.tags,
        iamInstanceProfileArn: inst.iamInstanceProfileArn,
      };
    },

    instanceDir: (instanceId) => boot.instanceDir(instanceId),

    setInstanceTypeOfferings(zone, types) {
      if (types) world.offerings[zone] = [...types];
      else delete world.offerings[zone];
    },
    reach(instanceId, service, region) {
      const inst = model.instances[instanceId];
      return inst ? reachService(world, inst, service, region) : { reachable: false, why: 'no such instance' };
    },
    world,
  };
}
