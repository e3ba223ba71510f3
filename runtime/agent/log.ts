/**
 * Structured JSON log lines on stdout, with the field names of the steps' Powertools Logger (runtime/handlers/step-log.ts):
 * `level` (`INFO`, `WARN`, `ERROR`), `message`, `timestamp` (ISO), `service` (`lifeboat-agent`), then the fields of
 * `context` (vpg, job id, sync id) and of the line; a field named like one of those four does not replace it.
 * Not Powertools itself: the agent is no Lambda function (Powertools' Lambda fields, levels and sampling mean
 * nothing on an instance), and Powertools writes WARN and ERROR to stderr, where the agent keeps only the one line
 * of a fatal error (main.ts): every line here goes to stdout.
 */
export type LogFields = Record<string, unknown>;
export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

/** Every agent line's `service`; the steps' say `lifeboat`. */
export const AGENT_SERVICE = 'lifeboat-agent';

export function jsonLogger(context: LogFields = {}, write: (line: string) => void = (l) => process.stdout.write(l)): Logger {
  const emit = (level: 'INFO' | 'WARN' | 'ERROR', message: string, fields?: LogFields): void => {
    const own = { level, message, timestamp: new Date().toISOString(), service: AGENT_SERVICE };
    // `own` first for the key order, and last so that no field replaces it
    write(`${JSON.stringify({ ...own, ...context, ...fields, ...own })}\n`);
  };
  return {
    info: (message, fields) => emit('INFO', message, fields),
    warn: (message, fields) => emit('WARN', message, fields),
    error: (message, fields) => emit('ERROR', message, fields),
    child: (fields) => jsonLogger({ ...context, ...fields }, write),
  };
}

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {}, child: () => silentLogger };

/** One line, whatever the error: what a person reads in a state machine's failure cause. */
export function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message || e.name : String(e);
  return msg.replace(/\s+/g, ' ').trim();
}
