/**
 * The agent's heartbeat: AgentProgress rewritten every heartbeatSeconds and at the end. Heartbeat write
 * failures are logged and retried at the next beat; the final state is retried until a deadline, so a
 * store that comes back still learns that the job failed.
 */
import type { AgentProgress } from '../core/workers/agent-job';
import type { Logger } from './log';
import { oneLine } from './log';

export interface ProgressSink {
  putJson(key: string, value: unknown): Promise<void>;
}

export interface ProgressCounts {
  blocksTotal: number;
  blocksDone: number;
  bytesRead: number;
  bytesStored: number;
}

export class ProgressReporter {
  readonly counts: ProgressCounts = { blocksTotal: 0, blocksDone: 0, bytesRead: 0, bytesStored: 0 };
  private timer: NodeJS.Timeout | null = null;
  private startedAt: string | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly sink: ProgressSink,
    private readonly key: string,
    private readonly jobId: string,
    private readonly heartbeatSeconds: number,
    private readonly log: Logger,
  ) {}

  /** First heartbeat now, then every heartbeatSeconds. */
  async start(): Promise<void> {
    this.startedAt ??= new Date().toISOString();
    await this.write('running');
    this.timer = setInterval(() => void this.beat(), Math.max(1, this.heartbeatSeconds) * 1000);
    this.timer.unref();
  }

  add(delta: Partial<ProgressCounts>): void {
    for (const k of Object.keys(delta) as Array<keyof ProgressCounts>) this.counts[k] += delta[k] ?? 0;
  }

  /** Final state, retried with back-off until `deadlineMs` passes. */
  async finish(state: 'done' | 'failed', error?: string, deadlineMs = 120_000): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.writing.catch(() => {});
    const deadline = Date.now() + deadlineMs;
    for (let delay = 250; ; delay = Math.min(delay * 2, 5000)) {
      try {
        await this.write(state, error);
        return;
      } catch (e) {
        if (Date.now() + delay > deadline) throw e;
        this.log.error('progress write failed; retrying', { state, error: oneLine(e) });
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private async beat(): Promise<void> {
    try {
      await this.write('running');
    } catch (e) {
      this.log.error('heartbeat write failed', { error: oneLine(e) });
    }
  }

  private write(state: AgentProgress['state'], error?: string): Promise<void> {
    const progress: AgentProgress = {
      jobId: this.jobId,
      state,
      updatedAt: new Date().toISOString(),
      ...(this.startedAt !== undefined ? { startedAt: this.startedAt } : {}),
      ...this.counts,
      ...(error !== undefined ? { error } : {}),
    };
    // One write at a time, in order: a late heartbeat must never overwrite the final state.
    const next = this.writing.catch(() => {}).then(() => this.sink.putJson(this.key, progress));
    this.writing = next;
    return next;
  }
}
