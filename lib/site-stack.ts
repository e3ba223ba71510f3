/**
 * `Lifeboat-<siteId>`: what every VPG of the site shares — the replica bucket, the worker launch templates and
 * their security groups, the agent bundle, the sweeper, the RPO probe, the alerts and the dashboard.
 * Composition only. The step functions and their roles are each VPG's own (lib/vpg-stack.ts).
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AgentAsset } from './agent-asset';
import type { SiteConfig } from './config';
import { ReplicaBucket } from './replica-bucket';
import { Sweeper } from './sweeper';
import { RpoProbe, SiteAlerts } from './monitoring';
import { SiteDashboard } from './site-dashboard';
import { WorkerLaunchTemplate } from './worker-launch-template';
import { workerNetwork, type WorkerNetwork } from './config-network';
import { DefaultVpc } from './default-vpc';
import * as ec2 from 'aws-cdk-lib/aws-ec2';

export interface LifeboatSiteStackProps extends StackProps {
  /** The parsed config (defaults applied). */
  readonly config: SiteConfig;
  /**
   * Agent entry file.
   * @default runtime/agent/main.ts
   */
  readonly agentEntry?: string;
  /**
   * Folder of the sweeper's and the RPO probe's handlers.
   * @default runtime/handlers
   */
  readonly handlersDir?: string;
}

export class LifeboatSiteStack extends Stack {
  readonly store: ReplicaBucket;
  readonly agent: AgentAsset;
  readonly zsatTemplate: WorkerLaunchTemplate;
  readonly importerTemplate: WorkerLaunchTemplate;
  readonly sweeper: Sweeper;
  readonly alerts: SiteAlerts;
  readonly rpoProbe: RpoProbe;
  readonly dashboard: SiteDashboard;
  /** The deploy-time default-VPC lookup, when a worker kind has no vpcId. */
  readonly defaultVpc?: DefaultVpc;

  constructor(scope: Construct, id: string, props: LifeboatSiteStackProps) {
    super(scope, id, { description: `Lifeboat site ${props.config.siteId}: replica store, workers, sweeper, monitoring`, ...props });
    const { config } = props;
    const siteId = config.siteId;
    this.store = new ReplicaBucket(this, 'ReplicaStore', { siteId, store: config.store });
    this.agent = new AgentAsset(this, 'Agent', { entry: props.agentEntry });
    const zsatNetwork = workerNetwork(config, 'agent');
    const importerNetwork = workerNetwork(config, 'importer');
    // one default-VPC lookup for every worker kind that has no vpcId (it fails the deploy, saying what to set, where there is none)
    const needsDefault = [zsatNetwork, importerNetwork].some((n) => n.vpcId === undefined);
    this.defaultVpc = needsDefault ? new DefaultVpc(this, 'DefaultVpc', { siteId, handlersDir: props.handlersDir }) : undefined;
    const defaultVpcId = this.defaultVpc?.vpcId ?? '';
    const vpcOf = (n: WorkerNetwork) => n.vpcId ?? defaultVpcId;
    this.zsatTemplate = new WorkerLaunchTemplate(this, 'Zsat', {
      siteId,
      role: 'zsat',
      worker: config.agent,
      network: zsatNetwork,
      vpcId: vpcOf(zsatNetwork),
      agent: this.agent,
    });
    this.importerTemplate = new WorkerLaunchTemplate(this, 'Importer', {
      siteId,
      role: 'zimporter',
      worker: config.importer,
      network: importerNetwork,
      vpcId: vpcOf(importerNetwork),
      agent: this.agent,
    });
    for (const kind of ['agent', 'importer'] as const) {
      const endpoint = config[kind].s3GatewayEndpoint;
      if (endpoint && config[kind].vpcId) {
        // Offered, off by default: the workers' private subnets reach S3 (and AL2023's repositories) through it, free of NAT charges
        new ec2.CfnVPCEndpoint(this, kind === 'agent' ? 'S3GatewayEndpoint' : 'ImporterS3GatewayEndpoint', {
          vpcId: config[kind].vpcId,
          serviceName: `com.amazonaws.${this.region}.s3`,
          vpcEndpointType: 'Gateway',
          routeTableIds: [...endpoint.routeTableIds],
        });
      }
    }
    this.sweeper = new Sweeper(this, 'Sweeper', {
      siteId,
      vpgNames: config.vpgs.map((v) => v.name),
      bucket: this.store.bucket,
      bucketKey: this.store.key,
      bucketRegion: config.store.region,
      zsatLaunchTemplateName: this.zsatTemplate.launchTemplateName,
      settings: config.sweeper,
      handlersDir: props.handlersDir,
    });
    // Operability (docs/operations.md): the alert topic the VPG stacks' alarms notify, the RPO probe, the dashboard.
    this.alerts = new SiteAlerts(this, 'Alerts', { siteId, alerts: config.alerts });
    this.rpoProbe = new RpoProbe(this, 'RpoProbe', {
      siteId,
      config,
      bucket: this.store.bucket,
      bucketRegion: config.store.region,
      handlersDir: props.handlersDir,
    });
    this.dashboard = new SiteDashboard(this, 'Dashboard', { config });
    new CfnOutput(this, 'AlertTopicArn', { value: this.alerts.topic.topicArn, description: 'Alarms of every VPG notify this topic' });
    new CfnOutput(this, 'ReplicaBucketName', { value: this.store.bucket.bucketName, description: 'The replica store' });
    new CfnOutput(this, 'ZsatLaunchTemplateName', { value: this.zsatTemplate.launchTemplateName });
    new CfnOutput(this, 'ImporterLaunchTemplateName', { value: this.importerTemplate.launchTemplateName });
  }
}
