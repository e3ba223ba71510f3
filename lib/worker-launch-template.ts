/**
 * A worker (zSAT reader or ZImporter writer) launch template and its security group.
 * Everything a launched worker creates is tagged at creation from the template's TagSpecifications.
 */
import { Aws, Fn, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { tagsFor, type ResourceRole, type Tags } from '../runtime/core/tags';
import type { AgentAsset } from './agent-asset';
import type { WorkerConfig } from './config';
import type { WorkerNetwork } from './config-network';
import { instanceTypesOf, isArmInstanceType } from './config-instance-types';
import { workerLaunchTemplateName } from '../runtime/core/resource-names';
import { STORE_REGION_ENV } from '../runtime/core/workers/agent-job';

export type WorkerRole = Extract<ResourceRole, 'zsat' | 'zimporter'>;

export interface WorkerLaunchTemplateProps {
  /** The site id: the Owner tag and part of the template's name. */
  readonly siteId: string;
  /** Which worker this template launches; decides the name and the tags. */
  readonly role: WorkerRole;
  /** Instance type and AMI from the config (defaults applied). */
  readonly worker: WorkerConfig;
  /** Where the workers run (lib/config-network.ts). */
  readonly network: WorkerNetwork;
  /** The VPC of the security group: the configured one, else the default VPC's id looked up at deploy (lib/default-vpc.ts). */
  readonly vpcId: string;
  /** The agent bundle the user data downloads and runs. */
  readonly agent: AgentAsset;
  /**
   * The replica bucket's region, when it is not the workers' own.
   * @default the workers' region
   */
  readonly storeRegion?: string;
}

/** CloudFormation spells tags `{Key, Value}` but the L1 classes take `{key, value}`. */
export function cfnTags(tags: Tags): Array<{ key: string; value: string }> {
  return Object.entries(tags).map(([key, value]) => ({ key, value }));
}

/**
 * The worker's user data: install Node.js, fetch the agent bundle, run it.
 * - The EXIT trap is the safety net and comes first, before anything that can fail: whether the agent ends or any
 *   step fails, the instance shuts down 30 minutes later, which terminates it.
 * - Its output goes to its log file and, through cloud-init's stdout, to the console, one `lifeboat-boot:` line per
 *   step, so GetConsoleOutput shows how far a worker got (https://repost.aws/knowledge-center/ec2-linux-log-user-data).
 * - Node.js 24, else 22: AL2023 ships 20, 22 and 24 as namespaced packages (`nodejs24` installs `node-24`) and
 *   follows upstream's support schedule, on which 20 ended in April 2026 and 24 is the long-term release
 *   (https://docs.aws.amazon.com/linux/al2023/ug/nodejs.html, https://github.com/nodejs/Release).
 * - AWS_REGION is exported for the agent's SDK clients (IMDS would answer it too, one request later), and
 *   LIFEBOAT_STORE_REGION when the replica bucket is in another region (a recovery site elsewhere): S3 answers a
 *   request signed for the wrong region with a redirect, never the object.
 */
export function workerUserData(agentS3Url: string, region: string, storeRegion?: string): ec2.UserData {
  const userData = ec2.UserData.forLinux();
  userData.addCommands(
    "trap 'shutdown -h +30' EXIT",
    'set -euo pipefail',
    'exec > >(tee -a /var/log/lifeboat-agent.log) 2>&1',
    `export AWS_REGION=${region}`,
    ...(storeRegion ? [`export ${STORE_REGION_ENV}=${storeRegion}`] : []),
    'echo "lifeboat-boot: 1/3 installing Node.js"',
    'dnf install -y nodejs24 || dnf install -y nodejs22',
    'NODE="$(command -v node-24 || command -v node-22)"',
    'echo "lifeboat-boot: 2/3 fetching the agent"',
    'mkdir -p /opt/lifeboat',
    `aws s3 cp "${agentS3Url}" /opt/lifeboat/agent.js --region ${region}`,
    'echo "lifeboat-boot: 3/3 running the agent on $("$NODE" --version)"',
    '"$NODE" /opt/lifeboat/agent.js || echo "lifeboat-boot: the agent exited with status $?"',
    'echo "lifeboat-boot: done; the instance powers off in 30 minutes unless it is terminated first"',
  );
  return userData;
}

export class WorkerLaunchTemplate extends Construct {
  readonly launchTemplate: ec2.CfnLaunchTemplate;
  readonly securityGroup: ec2.CfnSecurityGroup;
  readonly launchTemplateName: string;
  readonly network: WorkerNetwork;
  /** The types the launching step tries in order; the template names the first. */
  readonly instanceTypes: readonly string[];
  /** The template's ARN (RunInstances authorizes on it; `ec2:LaunchTemplate` conditions name it). */
  readonly launchTemplateArn: string;

  constructor(scope: Construct, id: string, props: WorkerLaunchTemplateProps) {
    super(scope, id);
    const { siteId, role, worker, network } = props;
    this.launchTemplateName = workerLaunchTemplateName(siteId, role);
    this.network = network;
    this.instanceTypes = instanceTypesOf(worker);

    this.securityGroup = new ec2.CfnSecurityGroup(this, 'SecurityGroup', {
      groupDescription: `Lifeboat ${role} workers of site ${siteId}: no inbound, HTTPS out only`,
      // Always a VpcId: without one EC2 needs a default VPC, and a landing zone's account has none (VPCIdNotSpecified).
      vpcId: props.vpcId,
      // What the workers reach: S3 (the replica store, the agent bundle, AL2023's package repositories, which are S3
      // buckets), EC2 and the EBS direct APIs, all over HTTPS. This replaces the group's default allow-all egress.
      securityGroupEgress: [
        { ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidrIp: '0.0.0.0/0', description: 'S3, EC2, EBS direct APIs and package repositories over HTTPS' },
      ],
      tags: cfnTags(tagsFor(siteId, role, 'security-group')),
    });

    const { instanceTypes } = this;
    const imageId =
      worker.amiId ??
      ec2.MachineImage.latestAmazonLinux2023({
        cpuType: isArmInstanceType(instanceTypes[0]) ? ec2.AmazonLinuxCpuType.ARM_64 : ec2.AmazonLinuxCpuType.X86_64,
      }).getImage(this).imageId;

    this.launchTemplate = new ec2.CfnLaunchTemplate(this, 'LaunchTemplate', {
      launchTemplateName: this.launchTemplateName,
      tagSpecifications: [{ resourceType: 'launch-template', tags: cfnTags(tagsFor(siteId, 'site', 'launch-template')) }],
      launchTemplateData: {
        imageId,
        instanceType: instanceTypes[0],
        userData: Fn.base64(workerUserData(props.agent.s3Url, Aws.REGION, props.storeRegion).render()),
        // IMDSv2 only; instance tags in IMDS because the agent reads its job from an instance tag.
        metadataOptions: { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1, instanceMetadataTags: 'enabled' },
        instanceInitiatedShutdownBehavior: 'terminate',
        // The group sits on the primary interface; the launching step passes that interface whole with the subnet of
        // the volumes' zone (runtime/core/workers/subnets.ts). A configured subnet gets no public IP (it reaches S3 through
        // a gateway endpoint or a NAT); in the default VPC the internet gateway is the only way to S3 and the package
        // repositories, and it needs a public IP, which lets nothing in: the group has no inbound rule.
        networkInterfaces: [
          {
            deviceIndex: 0,
            associatePublicIpAddress: network.vpcId === undefined,
            deleteOnTermination: true,
            groups: [this.securityGroup.attrGroupId],
          },
        ],
        // Amazon Linux 2023's root device; a custom amiId must use the same.
        blockDeviceMappings: [{ deviceName: '/dev/xvda', ebs: { encrypted: true, volumeType: 'gp3', deleteOnTermination: true } }],
        tagSpecifications: (['instance', 'volume', 'network-interface'] as const).map((kind) => ({
          resourceType: kind,
          tags: cfnTags(tagsFor(siteId, role, kind)),
        })),
      },
    });
    this.launchTemplateArn = Stack.of(this).formatArn({ service: 'ec2', resource: 'launch-template', resourceName: this.launchTemplate.ref });
  }
}
