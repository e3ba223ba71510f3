/** Structured JSON log lines for the step functions: one object a line, always with step, VPG, sync id and execution. */
import { deriveSyncId } from '../core/sync-ids';
import type { StepLog } from '../core/sync-ports';

export type LogFields = Record<string, unknown>;

/**
 * Raw stdout, not console.log: with the Lambda JSON log format, console output is wrapped into the runtime's own
 * JSON (our line becomes a string in its "message"), and CloudWatch would no longer see EMF metric documents.
 */
const writeStdout = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

export function jsonLog(base: LogFields, write: (line: string) => void = writeStdout): StepLog {
  const emit = (level: string, message: string, fields?: LogFields) =>
    write(JSON.stringify({ level, time: new Date().toISOString(), message, ...base, ...fields }));
  return {
    info: (message, fields) => emit('INFO', message, fields),
    warn: (message, fields) => emit('WARN', message, fields),
  };
}

/** A log whose every line also carries `fields`. */
export function withFields(log: StepLog, fields: LogFields): StepLog {
  return {
    info: (message, more) => log.info(message, { ...fields, ...more }),
    warn: (message, more) => log.warn(message, { ...fields, ...more }),
  };
}

/**
 * The fields every line of one step invocation carries, read from the raw event (a schema may strip fields it does
 * not need, such as a Map item's executionId): step, vpg, syncId (derived from the execution when the step has none
 * yet, as in Begin) and execution.
 */
export function stepLogContext(step: string, event: unknown): LogFields {
  const e = (event ?? {}) as { vpg?: { name?: unknown }; syncId?: unknown; begin?: { syncId?: unknown }; executionId?: unknown };
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const execution = str(e.executionId);
  const syncId = str(e.syncId) ?? str(e.begin?.syncId) ?? (execution ? deriveSyncId(execution) : undefined);
  return { step, vpg: str(e.vpg?.name), syncId, execution };
}
