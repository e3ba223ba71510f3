/** Step Functions executions: which run (a hint for cleanups) and whether a lease holder still runs. */
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { NotFound } from '../core/errors';
import type { ExecutionsPort, RunningExecution } from '../core/ports';
import { RETRY_CONFIG } from './aws-client-config';
import { awsCall } from './aws-errors';

export function makeSfnClient(overrides: ConstructorParameters<typeof SFNClient>[0] = {}): SFNClient {
  return new SFNClient({ ...RETRY_CONFIG, ...overrides });
}

export class StepFunctionsExecutions implements ExecutionsPort {
  constructor(private readonly client: SFNClient = makeSfnClient()) {}

  async listRunning(stateMachineArn: string): Promise<RunningExecution[]> {
    const out: RunningExecution[] = [];
    let token: string | undefined;
    do {
      const page = await awsCall('ListExecutions', () =>
        this.client.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 1000, nextToken: token })),
      );
      for (const e of page.executions ?? []) {
        if (!e.executionArn) continue;
        out.push({ executionArn: e.executionArn, name: e.name ?? '', startDate: e.startDate ? new Date(e.startDate).toISOString() : '' });
      }
      token = page.nextToken || undefined;
    } while (token);
    return out;
  }

  /**
   * DescribeExecution's status. A stale answer can only say RUNNING for an execution that has just ended (an
   * ended execution never runs again, except by a redrive, which the lease's token then stops), so "ended" is
   * safe to act on; an execution that cannot be found is 'unknown', never 'ended'.
   */
  async state(executionArn: string): Promise<'running' | 'ended' | 'unknown'> {
    try {
      const out = await awsCall('DescribeExecution', () => this.client.send(new DescribeExecutionCommand({ executionArn })));
      if (!out.status) return 'unknown';
      return out.status === 'RUNNING' || out.status === 'PENDING_REDRIVE' ? 'running' : 'ended';
    } catch (err) {
      if (err instanceof NotFound) return 'unknown';
      throw err;
    }
  }

  /** ExecutionAlreadyExists (the same name, closed or with another input) comes out as Conflict. */
  async start(stateMachineArn: string, name: string, input: unknown): Promise<string> {
    const res = await awsCall('StartExecution', () => this.client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) })));
    if (!res.executionArn) throw new Error('StartExecution returned no execution ARN');
    return res.executionArn;
  }
}
