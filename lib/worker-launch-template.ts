/**
 * A worker (zSAT reader or ZImporter writer) launch template and its security group.
 * Everything a launched worker creates is tagged at creation from the template's TagSpecifications.
 */
import { Annotations, Aws, Fn, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { tagsFor, type ResourceRole, type Tags } from '../lambda/core/tags';
import type { AgentAsset } from './agent-asset';
import type { WorkerConfig } from './config';

export type WorkerRole = Extract<ResourceRole, 'zsat' | 'zimporter'>;

export interface WorkerLaunchTemplateProps {
  /** The site id: the Owner tag and part of the template's name. */
  readonly siteId: string;
  /** Which worker this template launches; decides the name and the tags. */
  readonly role: WorkerRole;
  /** Instance type, AMI, subnet and VPC from the config (defaults applied). */
  readonly worker: WorkerConfig;
  /** The agent bundle the user data downloads and runs. */
  readonly agent: AgentAsset;
}

/** CloudFormation spells tags `{Key, Value}` but the L1 classes take `{key, value}`. */
export function cfnTags(tags: Tags): Array<{ key: string; value: string }> {
  return Object.entries(tags).map(([key, value]) => ({ key, value }));
}

/** Template names the steps find by (STEP_ENV) and the CLI shows. */
export function workerLaunchTemplateName(siteId: string, role: WorkerRole): string {
  return `lifeboat-${siteId}-${role}`;
}

/** Graviton families (c7g, m6gd, t4g, g5g…) need the arm64 AMI. */
export function isArmInstanceType(instanceType: string): boolean {
  return /^[a-z]+\d+[a-z]*g[a-z]*\./.test(instanceType);
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
 * - AWS_REGION is exported for the agent's SDK clients (IMDS would answer it too, one request later).
 */
export function workerUserData(agentS3Url: string, region: string): ec2.UserData {
  const userData = ec2.UserData.forLinux();
  userData.addCommands(
    "trap 'shutdown -h +30' EXIT",
    'set -euo pipefail',
    'exec > >(tee -a /var/log/lifeboat-agent.log) 2>&1',
    `export AWS_REGION=${region}`,
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
  /** The template's ARN (RunInstances authorizes on it; `ec2:LaunchTemplate` conditions name it). */
  readonly launchTemplateArn: string;

  constructor(scope: Construct, id: string, props: WorkerLaunchTemplateProps) {
    super(scope, id);
    const { siteId, role, worker } = props;
    this.launchTemplateName = workerLaunchTemplateName(siteId, role);

    this.securityGroup = new ec2.CfnSecurityGroup(this, 'SecurityGroup', {
      groupDescription: `Lifeboat ${role} workers of site ${siteId}: no inbound, HTTPS out only`,
      // Without a vpcId the group lands in the default VPC (no synth-time lookups, no account needed).
      vpcId: worker.vpcId,
      // CloudFormation accepts egress rules only with a VpcId; without one the group keeps AWS's default egress.
      securityGroupEgress: worker.vpcId
        ? [{ ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidrIp: '0.0.0.0/0', description: 'S3, EC2 and package repositories over HTTPS' }]
        : undefined,
      tags: cfnTags(tagsFor(siteId, role, 'security-group')),
    });

    if (!worker.vpcId) {
      Annotations.of(this).addWarningV2(
        'lifeboat:workerEgress',
        `${role} workers use the default VPC with its default (open) egress; set vpcId (and subnetId) in the config to limit egress to HTTPS`,
      );
    }

    const imageId =
      worker.amiId ??
      ec2.MachineImage.latestAmazonLinux2023({
        cpuType: isArmInstanceType(worker.instanceType) ? ec2.AmazonLinuxCpuType.ARM_64 : ec2.AmazonLinuxCpuType.X86_64,
      }).getImage(this).imageId;

    this.launchTemplate = new ec2.CfnLaunchTemplate(this, 'LaunchTemplate', {
      launchTemplateName: this.launchTemplateName,
      tagSpecifications: [{ resourceType: 'launch-template', tags: cfnTags(tagsFor(siteId, 'site', 'launch-template')) }],
      launchTemplateData: {
        imageId,
        instanceType: worker.instanceType,
        userData: Fn.base64(workerUserData(props.agent.s3Url, Aws.REGION).render()),
        // IMDSv2 only; instance tags in IMDS because the agent reads its job from an instance tag.
        metadataOptions: { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1, instanceMetadataTags: 'enabled' },
        instanceInitiatedShutdownBehavior: 'terminate',
        // The group sits on the primary interface. A configured subnet gets no public IP (the user gives it an S3
        // gateway endpoint or a NAT: docs/config.md); in the default VPC the internet gateway is the only way to S3
        // and the package repositories, and it needs a public IP (no inbound rule lets anything in).
        networkInterfaces: [
          {
            deviceIndex: 0,
            associatePublicIpAddress: !worker.subnetId,
            deleteOnTermination: true,
            groups: [this.securityGroup.attrGroupId],
            subnetId: worker.subnetId,
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
