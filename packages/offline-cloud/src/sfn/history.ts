/**
 * Execution history in GetExecutionHistory's shape. Events come from two places: aws-local-stepfunctions'
 * event log (state entered/exited, map iterations, execution end) and the Task handlers (the Lambda
 * scheduled/started/succeeded/failed events the library does not log). Pure apart from the clock.
 */
export interface HistoryEventRecord {
  id: number;
  previousEventId: number;
  /** Epoch milliseconds (rendered as epoch seconds on the wire). */
  timestamp: number;
  type: string;
  [details: string]: unknown;
}

/** The subset of the library's EventLog fields this mapping reads. */
export interface LibraryEvent {
  type: string;
  timestamp: number;
  input?: unknown;
  output?: unknown;
  Error?: string;
  Cause?: unknown;
  index?: number;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
  parentState?: { name: string; type: string };
}

import { type CloudClock, REAL_TIME } from '../clock';
import { HISTORY_EVENT_LIMIT, HISTORY_LIMIT_CAUSE, HISTORY_LIMIT_ERROR } from './quotas';

const json = (value: unknown): string => JSON.stringify(value ?? null);
const dataDetails = { truncated: false };

export class ExecutionHistory {
  readonly events: HistoryEventRecord[] = [];
  private closed = false;
  /** Set once the history quota ended the execution (event 25,000 is the ExecutionFailed). */
  exhausted = false;

  /** `onExhausted` runs when the 25,000-event quota fails the execution (quotas.ts). */
  constructor(
    private readonly roleArn: string,
    private readonly onExhausted: (error: string, cause: string) => void = () => undefined,
    /** The cloud clock; the runner library stamps its events with real time, which it converts. */
    private readonly clock: Pick<CloudClock, 'now' | 'cloudTimeOf'> = REAL_TIME,
  ) {}

  add(type: string, details: Record<string, unknown> = {}, timestamp = this.clock.now()): void {
    if (this.closed) return;
    const id = this.events.length + 1;
    // The last event AWS allows: only an ExecutionSucceeded (or the end the caller already imposed) may
    // take it; anything else becomes the history quota's ExecutionFailed (bp-history-limit.html).
    if (id === HISTORY_EVENT_LIMIT && !/^Execution(Succeeded|Aborted|TimedOut)$/.test(type)) {
      this.events.push({
        id,
        previousEventId: id - 1,
        timestamp,
        type: 'ExecutionFailed',
        executionFailedEventDetails: { error: HISTORY_LIMIT_ERROR, cause: HISTORY_LIMIT_CAUSE },
      });
      this.closed = true;
      this.exhausted = true;
      this.onExhausted(HISTORY_LIMIT_ERROR, HISTORY_LIMIT_CAUSE);
      return;
    }
    this.events.push({ id, previousEventId: id - 1, timestamp, type, ...details });
    if (/^Execution(Succeeded|Failed|Aborted|TimedOut)$/.test(type)) this.closed = true;
  }

  /** Adds the AWS events one library event stands for; `stateTypes` gives each state's original type. */
  addLibraryEvent(ev: LibraryEvent, stateTypes: Map<string, string>): void {
    const typeOf = (name: string, fallback: string) => stateTypes.get(name) ?? fallback;
    switch (ev.type) {
      case 'ExecutionStarted':
        return this.add(
          'ExecutionStarted',
          { executionStartedEventDetails: { input: json(ev.input), inputDetails: dataDetails, roleArn: this.roleArn } },
          this.clock.cloudTimeOf(ev.timestamp),
        );
      case 'ExecutionSucceeded':
        return this.add(
          'ExecutionSucceeded',
          { executionSucceededEventDetails: { output: json(ev.output), outputDetails: dataDetails } },
          this.clock.cloudTimeOf(ev.timestamp),
        );
      case 'ExecutionFailed':
        return this.add(
          'ExecutionFailed',
          { executionFailedEventDetails: { error: ev.Error, cause: causeText(ev.Cause) } },
          this.clock.cloudTimeOf(ev.timestamp),
        );
      case 'ExecutionAborted':
        return this.add('ExecutionAborted', { executionAbortedEventDetails: {} }, this.clock.cloudTimeOf(ev.timestamp));
      case 'ExecutionTimeout':
        return this.add('ExecutionTimedOut', { executionTimedOutEventDetails: { error: 'States.Timeout' } }, this.clock.cloudTimeOf(ev.timestamp));
      case 'StateEntered': {
        const type = typeOf(ev.state!.name, ev.state!.type);
        this.add(
          `${type}StateEntered`,
          { stateEnteredEventDetails: { name: ev.state!.name, input: json(ev.state!.input), inputDetails: dataDetails } },
          this.clock.cloudTimeOf(ev.timestamp),
        );
        // AWS logs one MapStateStarted / ParallelStateStarted right after the state is entered.
        // (AWS's mapStateStartedEventDetails.length is left out: the items' count after ItemsPath is not known here.)
        if (type === 'Map') this.add('MapStateStarted', {}, this.clock.cloudTimeOf(ev.timestamp));
        if (type === 'Parallel') this.add('ParallelStateStarted', {}, this.clock.cloudTimeOf(ev.timestamp));
        return;
      }
      case 'StateExited': {
        const type = typeOf(ev.state!.name, ev.state!.type);
        if (type === 'Map') this.add('MapStateSucceeded', {}, this.clock.cloudTimeOf(ev.timestamp));
        if (type === 'Parallel') this.add('ParallelStateSucceeded', {}, this.clock.cloudTimeOf(ev.timestamp));
        return this.add(
          `${type}StateExited`,
          { stateExitedEventDetails: { name: ev.state!.name, output: json(ev.state!.output), outputDetails: dataDetails } },
          this.clock.cloudTimeOf(ev.timestamp),
        );
      }
      case 'StateFailed': {
        const type = typeOf(ev.state!.name, ev.state!.type);
        if (type === 'Map' || type === 'Parallel') this.add(`${type}StateFailed`, {}, this.clock.cloudTimeOf(ev.timestamp));
        return;
      }
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const key = `mapIteration${ev.type.slice('MapIteration'.length)}EventDetails`;
        return this.add(ev.type, { [key]: { name: ev.parentState?.name, index: ev.index } }, this.clock.cloudTimeOf(ev.timestamp));
      }
      default:
        // StateRetried/StateCaught/ParallelBranch* have no AWS history event of their own.
        return;
    }
  }
}

function causeText(cause: unknown): string | undefined {
  if (cause === undefined || cause === null) return undefined;
  if (typeof cause === 'string') return cause;
  if (cause instanceof Error) return cause.message;
  return JSON.stringify(cause);
}
