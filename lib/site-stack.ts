/**
 * `Lifeboat-<siteId>`: what every VPG of the site shares — the replica bucket, the worker launch templates and
 * their security groups, the agent bundle, and the sync step functions. Composition only.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AgentAsset } from './agent-asset';
import type { SiteConfig } from './config';
import { ReplicaBucket } from './replica-bucket';
import { SyncSteps } from './sync-steps';
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
   * Folder of the step handlers.
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
  readonly steps: SyncSteps;

  constructor(scope: Construct, id: string, props: LifeboatSiteStackProps) {
    super(scope, id, { description: `Lifeboat site ${props.config.siteId}: replica store, workers, sync steps`, ...props });
    const { config } = props;
    const siteId = config.siteId;
    this.store = new ReplicaBucket(this, 'ReplicaStore', { siteId, store: config.store });
    this.agent = new AgentAsset(this, 'Agent', { entry: props.agentEntry });
    this.zsatTemplate = new WorkerLaunchTemplate(this, 'Zsat', { siteId, role: 'zsat', worker: config.agent, agent: this.agent });
    this.importerTemplate = new WorkerLaunchTemplate(this, 'Importer', { siteId, role: 'zimporter', worker: config.importer, agent: this.agent });
    this.steps = new SyncSteps(this, 'SyncSteps', {
      siteId,
      bucket: this.store.bucket,
      bucketKey: this.store.key,
      bucketRegion: config.store.region,
      zsatTemplate: this.zsatTemplate,
      importerTemplate: this.importerTemplate,
      subnetId: config.agent.subnetId,
      handlersDir: props.handlersDir,
    });
    new CfnOutput(this, 'ReplicaBucketName', { value: this.store.bucket.bucketName, description: 'The replica store' });
    new CfnOutput(this, 'ZsatLaunchTemplateName', { value: this.zsatTemplate.launchTemplateName });
    new CfnOutput(this, 'ImporterLaunchTemplateName', { value: this.importerTemplate.launchTemplateName });
  }
}
