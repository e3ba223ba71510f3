/**
 * SyncRunsPort over Step Functions: the failback's final sync, started and followed by its steps (in the protected
 * region, when the recovery site is elsewhere: the ARN's region decides).
 */
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { SyncRun, SyncRunsPort } from '../core/failback/recovery-ports';
import { awsCall } from './aws-errors';
import { makeSfnClient, RegionalSfnClients } from './sfn-executions';

export class StepFunctionsSyncRuns implements SyncRunsPort {
  private readonly clients: RegionalSfnClients;

  constructor(client: SFNClient = makeSfnClient()) {
    this.clients = new RegionalSfnClients(client);
  }

  /** Same name and input while it runs → the same execution (Step Functions' own idempotency). */
  async start(stateMachineArn: string, name: string, input: unknown = {}): Promise<string> {
    const res = await awsCall('StartExecution', () =>
      this.clients.for(stateMachineArn).send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) })),
    );
    if (!res.executionArn) throw new Error('StartExecution returned no execution ARN');
    return res.executionArn;
  }

  async describe(executionArn: string): Promise<SyncRun> {
    const res = await awsCall('DescribeExecution', () => this.clients.for(executionArn).send(new DescribeExecutionCommand({ executionArn })));
    return {
      status: res.status ?? 'RUNNING',
      ...(res.output !== undefined ? { output: res.output } : {}),
      ...(res.cause !== undefined || res.error !== undefined ? { cause: [res.error, res.cause].filter(Boolean).join(': ') } : {}),
    };
  }
}
