/** Structured JSON log lines for the step functions: one object a line, always with step, VPG, sync id and execution. */
import type { StepLog } from '../core/sync-ports';

export type LogFields = Record<string, unknown>;

export function jsonLog(base: LogFields, write: (line: string) => void = (l) => console.log(l)): StepLog {
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
