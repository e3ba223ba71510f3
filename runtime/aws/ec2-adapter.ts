/** Ec2Port over one EC2 client, split by resource into Ec2Instances, Ec2Volumes and Ec2Snapshots. */
import { EC2Client } from '@aws-sdk/client-ec2';
import type { Ec2Port } from '../core/ports';
import { RETRY_CONFIG } from './aws-client-config';
import { Ec2Instances } from './ec2-instances';
import { Ec2Snapshots } from './ec2-snapshots';
import { Ec2Volumes } from './ec2-volumes';

export function makeEc2Client(overrides: ConstructorParameters<typeof EC2Client>[0] = {}): EC2Client {
  return new EC2Client({ ...RETRY_CONFIG, ...overrides });
}

export class Ec2Adapter implements Ec2Port {
  readonly instances: Ec2Instances;
  readonly volumes: Ec2Volumes;
  readonly snapshots: Ec2Snapshots;

  constructor(client: EC2Client = makeEc2Client()) {
    this.instances = new Ec2Instances(client);
    this.volumes = new Ec2Volumes(client);
    this.snapshots = new Ec2Snapshots(client);
  }

  describeInstances: Ec2Port['describeInstances'] = (q) => this.instances.describeInstances(q);
  runInstance: Ec2Port['runInstance'] = (r) => this.instances.runInstance(r);
  terminateInstances: Ec2Port['terminateInstances'] = (ids) => this.instances.terminateInstances(ids);
  findLaunchTemplate: Ec2Port['findLaunchTemplate'] = (name) => this.instances.findLaunchTemplate(name);
  defaultSubnet: Ec2Port['defaultSubnet'] = (az) => this.instances.defaultSubnet(az);
  describeSubnets: Ec2Port['describeSubnets'] = (ids) => this.instances.describeSubnets(ids);
  describeVolumes: Ec2Port['describeVolumes'] = (q) => this.volumes.describeVolumes(q);
  createVolume: Ec2Port['createVolume'] = (r) => this.volumes.createVolume(r);
  attachVolume: Ec2Port['attachVolume'] = (v, i, d) => this.volumes.attachVolume(v, i, d);
  deleteVolume: Ec2Port['deleteVolume'] = (id) => this.volumes.deleteVolume(id);
  describeSnapshots: Ec2Port['describeSnapshots'] = (q) => this.snapshots.describeSnapshots(q);
  createSnapshots: Ec2Port['createSnapshots'] = (id, tags) => this.snapshots.createSnapshots(id, tags);
  deleteSnapshot: Ec2Port['deleteSnapshot'] = (id) => this.snapshots.deleteSnapshot(id);
}
