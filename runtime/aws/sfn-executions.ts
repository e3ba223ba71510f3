/** Step Functions executions: which run (a hint for cleanups) and whether a lease holder still runs. */
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { NotFound } from '../core/errors';
import type { ExecutionsPort, RunningExecution } from '../core/ports';
import { RETRY_CONFIG } from './aws-client-config';
import { awsCall } from './aws-errors';

export function makeSfnClient(overrides: ConstructorParameters<typeof SFNClient>[0] = {}): SFNClient {
  return new SFNClient({ ...RETRY_CONFIG, ...overrides });
}

/** The region an ARN names (`arn:<partition>:states:<region>:…`), or undefined. */
export function regionOfArn(arn: string): string | undefined {
  const region = arn.split(':')[3];
  return region ? region : undefined;
}

/**
 * Step Functions answers for its own region only: a state machine or execution of the other half of a split site
 * (lib/site-placement.ts) is asked in the region its ARN names, through a client made once per region.
 */
export class RegionalSfnClients {
  private readonly byRegion = new Map<string, SFNClient>();

  constructor(private readonly home: SFNClient = makeSfnClient()) {}

  for(arn: string): SFNClient {
    const region = regionOfArn(arn);
    if (!region || region === process.env.AWS_REGION) return this.home;
    let client = this.byRegion.get(region);
    if (!client) {
      client = makeSfnClient({ region });
      this.byRegion.set(region, client);
    }
    return client;
  }
}

export class StepFunctionsExecutions implements ExecutionsPort {
  private readonly clients: RegionalSfnClients;

  constructor(client: SFNClient = makeSfnClient()) {
    this.clients = new RegionalSfnClients(client);
  }

  async listRunning(stateMachineArn: string): Promise<RunningExecution[]> {
    const out: RunningExecution[] = [];
    let token: string | undefined;
    do {
      const page = await awsCall('ListExecutions', () =>
        this.clients.for(stateMachineArn).send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 1000, nextToken: token })),
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
      const out = await awsCall('DescribeExecution', () => this.clients.for(executionArn).send(new DescribeExecutionCommand({ executionArn })));
      if (!out.status) return 'unknown';
      return out.status === 'RUNNING' || out.status === 'PENDING_REDRIVE' ? 'running' : 'ended';
    } catch (err) {
      if (err instanceof NotFound) return 'unknown';
      throw err;
    }
  }

  /** ExecutionAlreadyExists (the same name, closed or with another input) comes out as Conflict. */
  async start(stateMachineArn: string, name: string, input: unknown): Promise<string> {
    const res = await awsCall('StartExecution', () =>
      this.clients.for(stateMachineArn).send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) })),
    );
    if (!res.executionArn) throw new Error('StartExecution returned no execution ARN');
    return res.executionArn;
  }
}
