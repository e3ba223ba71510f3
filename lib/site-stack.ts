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

export interface LifeboatSiteStackProps extends StackProps {
  /** The parsed config (defaults applied). */
  readonly config: SiteConfig;
  /**
   * Agent entry file.
   * @default lambda/agent/main.ts
   */
  readonly agentEntry?: string;
  /**
   * Folder of the sweeper's and the RPO probe's handlers.
   * @default lambda/steps
   */
  readonly handlersDir?: string;
}

export function siteStackName(siteId: string): string {
  return `Lifeboat-${siteId}`;
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

  constructor(scope: Construct, id: string, props: LifeboatSiteStackProps) {
    super(scope, id, { description: `Lifeboat site ${props.config.siteId}: replica store, workers, sweeper, monitoring`, ...props });
    const { config } = props;
    const siteId = config.siteId;
    this.store = new ReplicaBucket(this, 'ReplicaStore', { siteId, store: config.store });
    this.agent = new AgentAsset(this, 'Agent', { entry: props.agentEntry });
    this.zsatTemplate = new WorkerLaunchTemplate(this, 'Zsat', { siteId, role: 'zsat', worker: config.agent, agent: this.agent });
    this.importerTemplate = new WorkerLaunchTemplate(this, 'Importer', { siteId, role: 'zimporter', worker: config.importer, agent: this.agent });
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
    this.rpoProbe = new RpoProbe(this, 'RpoProbe', { siteId, config, bucket: this.store.bucket, bucketRegion: config.store.region, handlersDir: props.handlersDir });
    this.dashboard = new SiteDashboard(this, 'Dashboard', { config });
    new CfnOutput(this, 'AlertTopicArn', { value: this.alerts.topic.topicArn, description: 'Alarms of every VPG notify this topic' });
    new CfnOutput(this, 'ReplicaBucketName', { value: this.store.bucket.bucketName, description: 'The replica store' });
    new CfnOutput(this, 'ZsatLaunchTemplateName', { value: this.zsatTemplate.launchTemplateName });
    new CfnOutput(this, 'ImporterLaunchTemplateName', { value: this.importerTemplate.launchTemplateName });
  }
}
