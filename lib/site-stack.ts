/**
 * `Lifeboat-<siteId>`: what every VPG of the site shares — the replica bucket, the worker launch templates and
 * their security groups, the agent bundle, the sweeper, the RPO probe, the alerts and the dashboard.
 * With a recovery site elsewhere (lib/site-placement.ts) it is two stacks: `Lifeboat-<siteId>` in the recovery
 * site (the bucket, the ZImporter template, the sweeper and alerts of that region, the RPO probe, the dashboard) and
 * `Lifeboat-<siteId>-Protected` beside the protected instances (the zSAT template, that region's sweeper and alerts).
 * Composition only. The step functions and their roles are each VPG's own (lib/vpg-stack.ts).
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { AgentAsset } from './agent-asset';
import type { SiteConfig } from './config';
import { ReplicaBucket, replicaBucketName } from './replica-bucket';
import { Sweeper } from './sweeper';
import { RpoProbe, SiteAlerts } from './monitoring';
import { SiteDashboard } from './site-dashboard';
import { WorkerLaunchTemplate } from './worker-launch-template';
import { workerNetwork, type WorkerKind, type WorkerNetwork } from './config-network';
import { DefaultVpc } from './default-vpc';
import { ALL_HERE, type Peers, type SitePart } from './site-placement';
import * as ec2 from 'aws-cdk-lib/aws-ec2';

export interface LifeboatSiteStackProps extends StackProps {
  /** The parsed config (defaults applied). */
  readonly config: SiteConfig;
  /**
   * Which half of the site this stack holds.
   * @default 'whole'
   */
  readonly part?: SitePart;
  /**
   * Where the other half's resources are (lib/site-placement.ts).
   * @default all in this stack's account and region
   */
  readonly peers?: Peers;
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
  readonly part: SitePart;
  readonly peers: Peers;
  /** The replica bucket (by name on the protected side of a split site). */
  readonly bucket: s3.IBucket;
  /** The bucket's customer managed key, when this stack created the bucket with store.encryption "kms". */
  readonly bucketKey?: kms.IKey;
  /** The bucket's region: store.region, the recovery site's, else this stack's (undefined). */
  readonly bucketRegion?: string;
  readonly agent: AgentAsset;
  /** The zSAT template: on the protected side. */
  readonly zsatTemplate?: WorkerLaunchTemplate;
  /** The ZImporter template: in the recovery site. */
  readonly importerTemplate?: WorkerLaunchTemplate;
  readonly sweeper: Sweeper;
  /** This region's alert topic (an alarm notifies a topic of its own region only). */
  readonly alerts: SiteAlerts;
  /** In the recovery site, with the replica: losing the protected region raises the RPO alarm. */
  readonly rpoProbe?: RpoProbe;
  readonly dashboard?: SiteDashboard;
  /** The deploy-time default-VPC lookup, when a worker kind has no vpcId. */
  readonly defaultVpc?: DefaultVpc;

  constructor(scope: Construct, id: string, props: LifeboatSiteStackProps) {
    const part = props.part ?? 'whole';
    const what = part === 'protected' ? 'protected side: zSAT workers, sweeper, alerts' : 'replica store, workers, sweeper, monitoring';
    super(scope, id, { description: `Lifeboat site ${props.config.siteId}: ${what}`, ...props });
    this.part = part;
    this.peers = props.peers ?? ALL_HERE;
    const { config } = props;
    const siteId = config.siteId;
    const protects = part !== 'recovery';
    const recovers = part !== 'protected';
    if (recovers) {
      const store = new ReplicaBucket(this, 'ReplicaStore', { siteId, store: config.store });
      this.bucket = store.bucket;
      this.bucketKey = store.key;
    } else {
      this.bucket = s3.Bucket.fromBucketName(this, 'ReplicaStore', replicaBucketName(this, siteId, config.store, this.peers.store));
    }
    this.bucketRegion = config.store.region ?? this.peers.store.region;
    this.agent = new AgentAsset(this, 'Agent', { entry: props.agentEntry });
    const kinds: WorkerKind[] = [...(protects ? (['agent'] as const) : []), ...(recovers ? (['importer'] as const) : [])];
    const networks = new Map(kinds.map((k) => [k, workerNetwork(config, k)]));
    // one default-VPC lookup for every worker kind that has no vpcId (it fails the deploy, saying what to set, where there is none)
    const needsDefault = [...networks.values()].some((n) => n.vpcId === undefined);
    this.defaultVpc = needsDefault ? new DefaultVpc(this, 'DefaultVpc', { siteId, handlersDir: props.handlersDir }) : undefined;
    const defaultVpcId = this.defaultVpc?.vpcId ?? '';
    const vpcOf = (n: WorkerNetwork) => n.vpcId ?? defaultVpcId;
    const zsatNetwork = networks.get('agent');
    if (zsatNetwork) {
      this.zsatTemplate = new WorkerLaunchTemplate(this, 'Zsat', {
        siteId,
        role: 'zsat',
        worker: config.agent,
        network: zsatNetwork,
        vpcId: vpcOf(zsatNetwork),
        agent: this.agent,
        storeRegion: this.bucketRegion,
      });
    }
    const importerNetwork = networks.get('importer');
    if (importerNetwork) {
      this.importerTemplate = new WorkerLaunchTemplate(this, 'Importer', {
        siteId,
        role: 'zimporter',
        worker: config.importer,
        network: importerNetwork,
        vpcId: vpcOf(importerNetwork),
        agent: this.agent,
        storeRegion: this.bucketRegion,
      });
    }
    for (const kind of kinds) {
      const endpoint = config[kind].s3GatewayEndpoint;
      if (endpoint && config[kind].vpcId) {
        // Offered, off by default: the workers' private subnets reach S3 (and AL2023's repositories) through it, free of NAT charges.
        // A gateway endpoint serves its own region's buckets only: the zSATs of a split site reach the recovery site's
        // bucket through a NAT or peering (docs/deploying.md).
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
      bucket: this.bucket,
      bucketKey: this.bucketKey,
      bucketRegion: this.bucketRegion,
      peers: this.peers,
      settings: config.sweeper,
      handlersDir: props.handlersDir,
    });
    // Operability (docs/operations.md): the alert topic the VPG stacks' alarms of this region notify, the RPO probe, the dashboard.
    this.alerts = new SiteAlerts(this, 'Alerts', { siteId, alerts: config.alerts });
    if (recovers) {
      this.rpoProbe = new RpoProbe(this, 'RpoProbe', {
        siteId,
        config,
        bucket: this.bucket,
        bucketRegion: this.bucketRegion,
        syncAt: this.peers.sync,
        handlersDir: props.handlersDir,
      });
      this.dashboard = new SiteDashboard(this, 'Dashboard', { config });
      new CfnOutput(this, 'ReplicaBucketName', { value: this.bucket.bucketName, description: 'The replica store' });
    }
    new CfnOutput(this, 'AlertTopicArn', { value: this.alerts.topic.topicArn, description: `Alarms of this region's VPG stacks notify this topic` });
    if (this.zsatTemplate) new CfnOutput(this, 'ZsatLaunchTemplateName', { value: this.zsatTemplate.launchTemplateName });
    if (this.importerTemplate) new CfnOutput(this, 'ImporterLaunchTemplateName', { value: this.importerTemplate.launchTemplateName });
  }
}
