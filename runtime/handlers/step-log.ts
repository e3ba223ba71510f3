/**
 * The step functions' structured JSON logs, through the Logger of Powertools for AWS Lambda (TypeScript): one object
 * a line with Powertools' fields (`level`, `message`, `timestamp`, `service`, the Lambda context's
 * `function_request_id` and friends once an invocation gives it), its log level (POWERTOOLS_LOG_LEVEL, or Lambda's
 * AWS_LAMBDA_LOG_LEVEL, which wins) and its debug sampling (POWERTOOLS_LOGGER_SAMPLE_RATE), and always the step's
 * own fields: site, step, VPG, sync id and execution (the failback's import id).
 *
 * Where the lines go: Powertools prints through a `new Console({ stdout: process.stdout, stderr: process.stderr })`
 * of its own (Logger.setConsole in @aws-lambda-powertools/logger 2.x), not the global `console` the Lambda Node
 * runtime patches; only with POWERTOOLS_DEV set does it use the global console (and indent its JSON over several
 * lines), so no function sets it. That matters: with the Lambda JSON log format, output of the patched console is
 * wrapped into the runtime's own JSON (our line becomes a string in its "message") and CloudWatch would no longer
 * see the EMF metric documents in it; a raw stdout line is sent as it is. Its Console writes INFO lines to stdout
 * and WARN and ERROR lines to stderr, which Lambda sends to CloudWatch the same way.
 */
import { Logger, LogLevelThreshold, type LogItem } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions } from '@aws-lambda-powertools/logger/types';
import { deriveSyncId } from '../core/sync/ids';
import type { StepLog } from '../core/ports';

export type LogFields = Record<string, unknown>;

/** Every step line's `service` (Powertools' field; the agent's lines say `lifeboat-agent`: runtime/agent/log.ts). */
export const STEP_SERVICE = 'lifeboat';

/**
 * What Powertools reads of the Lambda context (the `context` argument of a handler; the real one holds more).
 * `function_request_id` on every line of the invocation is its awsRequestId.
 */
export interface LambdaContext {
  readonly awsRequestId: string;
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string | number;
}

/** A Logger that can print a line whatever its level, and, given `write`, prints into it instead of stdout (tests). */
function stepLoggerClass(write: ((line: string) => void) | undefined) {
  // a class per `write`, closed over it: Powertools prints from its constructor already, before a field would be set
  class StepLogger extends Logger {
    /** At INFO whatever the log level or sampling: an EMF document is data CloudWatch turns into metrics (the RPO alarm reads them), not a diagnostic. */
    always(message: string, fields: LogFields): void {
      this.printLog(LogLevelThreshold.INFO, this.createAndPopulateLogItem(LogLevelThreshold.INFO, message, [fields]));
    }

    protected override printLog(logLevel: number, log: LogItem): void {
      if (!write) return super.printLog(logLevel, log);
      // what Logger.printLog prints, into `write`
      log.prepareForPrint();
      write(JSON.stringify(log.getAttributes(), this.getJsonReplacer()));
    }

    protected override createLogger(options?: ConstructorOptions): Logger {
      return new StepLogger(options);
    }
  }
  return StepLogger;
}

type StepLogger = InstanceType<ReturnType<typeof stepLoggerClass>>;

/** The port (runtime/core/ports.ts) over one Powertools Logger. */
class PowertoolsStepLog implements StepLog {
  constructor(readonly logger: StepLogger) {}

  info(message: string, fields?: LogFields): void {
    // An EMF document goes on the line's top level (Powertools merges a log call's fields there), as CloudWatch reads it.
    if (fields && '_aws' in fields) this.logger.always(message, fields);
    else this.logger.info(message, fields ?? {});
  }

  warn(message: string, fields?: LogFields): void {
    this.logger.warn(message, fields ?? {});
  }

  /**
   * This logger, for one invocation: the invocation's fields replace the previous one's (Powertools' temporary
   * keys, kept apart per invocation when a sandbox runs several at once), the context's request id goes on its
   * lines, and the sampling is drawn again, as Powertools' injectLambdaContext does.
   */
  invocation(fields: LogFields, context: LambdaContext | undefined): StepLog {
    this.logger.resetKeys();
    this.logger.refreshSampleRateCalculation();
    if (context) this.logger.addContext(context as Parameters<Logger['addContext']>[0]);
    this.logger.appendKeys(fields);
    return this;
  }
}

/**
 * The steps' log: JSON lines with Powertools' fields and `base` (the site) on each. `write` takes each line instead
 * of stdout and stderr (without its newline): tests read the lines the functions print.
 */
export function jsonLog(base: LogFields, write?: (line: string) => void): StepLog {
  const LoggerClass = stepLoggerClass(write);
  return new PowertoolsStepLog(new LoggerClass({ serviceName: STEP_SERVICE, persistentKeys: base }));
}

/** A log whose every line also carries `fields`. */
export function withFields(log: StepLog, fields: LogFields): StepLog {
  return {
    info: (message, more) => log.info(message, { ...fields, ...more }),
    warn: (message, more) => log.warn(message, { ...fields, ...more }),
  };
}

/**
 * The log of one invocation: every line carries `fields` and, given the Lambda context, its request id. Over a
 * jsonLog, through Powertools (the fields are its keys for the invocation); over another log (a test's), withFields.
 */
export function invocationLog(log: StepLog, fields: LogFields, context?: LambdaContext): StepLog {
  return log instanceof PowertoolsStepLog ? log.invocation(fields, context) : withFields(log, fields);
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
