/** Step Functions executions: who holds a VPG's sync lock. */
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import type { ExecutionsPort, RunningExecution } from '../core/sync-ports';
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
}
