/** Everything a sync step talks to, injected: real adapters in Lambda, in-memory fakes in tests. */
import type { ReplicaStorePort } from '../replica-store-port';
import type { StepEnv } from '../step-env';
import type { EbsBlocksPort, Ec2Port, ExecutionsPort, StepLog } from '../sync-ports';

export interface StepDeps {
  readonly env: StepEnv;
  readonly ec2: Ec2Port;
  readonly ebs: EbsBlocksPort;
  readonly executions: ExecutionsPort;
  readonly store: ReplicaStorePort;
  readonly log: StepLog;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
}
