/** Structured JSON log lines on stdout; the fields of `context` (vpg, job id, sync id) go on every line. */
export type LogFields = Record<string, unknown>;
export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export function jsonLogger(context: LogFields = {}, write: (line: string) => void = (l) => process.stdout.write(l)): Logger {
  const emit = (level: string, msg: string, fields?: LogFields): void =>
    write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...context, ...fields })}\n`);
  return {
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    child: (fields) => jsonLogger({ ...context, ...fields }, write),
  };
}

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {}, child: () => silentLogger };

/** One line, whatever the error: what a person reads in a state machine's failure cause. */
export function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message || e.name : String(e);
  return msg.replace(/\s+/g, ' ').trim();
}
