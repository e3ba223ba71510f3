/**
 * The offline cloud's Lambda runtime: warm worker child processes (sandboxes) per function, each running one
 * invocation at a time and reused after it, with only the environment a Lambda sandbox would have. As in AWS,
 * concurrent invocations get sandboxes of their own, so one that times out (and is torn down) fails only itself
 * (https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html: "an execution environment handles one
 * request at a time"). Errors come back as
 * LambdaInvokeError whose `name` is the Lambda errorType, so Step Functions Retry/Catch match as in AWS.
 */
import { CLOCK_PRELOAD, type CloudClock, CloudTimers, REAL_TIME } from '../clock';
import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { type FunctionConfig, type LambdaErrorShape, LambdaInvokeError } from './function-types';
import { onLines } from './log-lines';
import { WORKER_SOURCE } from './worker-source';

export { type FunctionConfig, type LambdaErrorShape, LambdaInvokeError } from './function-types';

export interface LambdaRuntimeOptions {
  endpoint: () => string;
  region: string;
  log?: (message: string) => void;
  /**
   * The execution role's temporary credentials, as Lambda puts them in the environment
   * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).
   * Unset: dummy keys (the default account's administrator). Set: a function whose role is unknown gets none.
   */
  credentials?: (roleArn: string) => { AccessKeyId: string; SecretAccessKey: string; SessionToken: string } | undefined;
  /** The cloud clock: a function's Date and timers run on it (clock-preload.js), and so does its timeout. Unset: real time. */
  clock?: CloudClock;
  /**
   * Each whole line a function writes to stdout or stderr: what Lambda sends to the function's CloudWatch Logs log
   * group (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-logging.html), where embedded metric format lines
   * become metrics.
   */
  onLogLine?: (fn: FunctionConfig, line: string) => void;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  /** Cancels the invocation's timeout. */
  cancel: () => void;
}

interface WorkerResult {
  type: 'result';
  id: string;
  ok: boolean;
  payload?: unknown;
  error?: LambdaErrorShape;
}

/** One warm sandbox: a child process running WORKER_SOURCE for one function. */
class FunctionWorker {
  private readonly child: ChildProcess;
  private readonly pending = new Map<string, Pending>();
  private readonly results = new Map<string, WorkerResult>();
  private readonly endsSeen = new Set<string>();
  exited = false;
  /** The sandbox has loaded the handler (Init): invocations and their timeouts start after it. */
  private readonly ready: Promise<void>;
  private markReady!: () => void;
  private readonly exit: Promise<void>;
  /** Invocations in flight: the runtime hands a sandbox a new one only when this is 0. */
  inFlight = 0;

  constructor(
    readonly config: FunctionConfig,
    env: NodeJS.ProcessEnv,
    log: (message: string) => void,
    onLogLine: ((fn: FunctionConfig, line: string) => void) | undefined,
    private readonly clock: CloudClock,
    /** The timeout runs on the cloud clock: a scale set while an invocation runs moves its end too. */
    private readonly timers: CloudTimers,
  ) {
    this.child = spawn(process.execPath, ['--require', CLOCK_PRELOAD, '-e', WORKER_SOURCE, config.codeDir, config.handler], {
      env,
      cwd: config.codeDir,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const prefix = `lambda ${config.name}: `;
    for (const stream of [this.child.stdout, this.child.stderr]) {
      onLines(stream, (line) => {
        onLogLine?.(config, line);
        const marker = stream === this.child.stdout ? /^(START|END) RequestId: (\S+)/.exec(line) : null;
        if (marker?.[1] === 'END') this.ended(marker[2]);
        // the cloud's own log shows what the function wrote, not the runtime's markers around it
        if (!marker && line.trim()) log(prefix + line.trimEnd());
      });
    }
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    this.child.on('message', (msg: WorkerResult | { type: 'ready' }) => {
      if (msg.type === 'ready') return this.markReady();
      if (msg.type !== 'result') return;
      this.results.set(msg.id, msg);
      this.settle(msg.id);
    });
    this.exit = new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.once('error', () => resolve());
    });
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      const how = signal ? `signal ${signal}` : `exit status ${code}`;
      this.failAll({ errorType: 'Runtime.ExitError', errorMessage: `Runtime exited with error: ${how}`, trace: [] });
    });
    this.child.on('error', (err) => {
      this.exited = true;
      this.failAll({ errorType: 'Runtime.ExitError', errorMessage: `Runtime failed to start: ${err.message}`, trace: [] });
    });
  }

  async invoke(payload: unknown): Promise<unknown> {
    this.inFlight += 1;
    try {
      return await this.invokeOnce(payload);
    } finally {
      this.inFlight -= 1;
    }
  }

  private async invokeOnce(payload: unknown): Promise<unknown> {
    const id = randomUUID();
    const timeoutMs = this.config.timeoutSeconds * 1000;
    // a sandbox that dies during Init fails its waiting invocations through failAll (the exit handler)
    await Promise.race([this.ready, this.exit]);
    if (this.exited)
      throw new LambdaInvokeError({ errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${id} Error: Runtime exited during Init`, trace: [] });
    return new Promise((resolve, reject) => {
      const cancel = this.timers.at(this.clock.now() + timeoutMs, () => {
        // Lambda tears the sandbox down on a timeout; the next invoke gets a fresh one.
        this.pending.delete(id);
        reject(
          new LambdaInvokeError({
            errorType: 'Sandbox.Timedout',
            errorMessage: `RequestId: ${id} Error: Task timed out after ${this.config.timeoutSeconds.toFixed(2)} seconds`,
            trace: [],
          }),
        );
        this.kill();
      });
      this.pending.set(id, { resolve, reject, cancel });
      this.child.send({ type: 'invoke', id, requestId: id, payload, timeoutMs, functionArn: this.config.arn }, (err) => {
        if (err && this.pending.delete(id)) {
          cancel();
          reject(new LambdaInvokeError({ errorType: 'Runtime.ExitError', errorMessage: `Runtime exited: ${err.message}`, trace: [] }));
        }
      });
    });
  }

  /** The invocation's END line came through stdout: every line it wrote before is in. */
  private ended(requestId: string): void {
    this.endsSeen.add(requestId);
    this.settle(requestId);
  }

  /** An invocation ends once both its result (IPC) and its END line (stdout, another pipe) have arrived. */
  private settle(id: string): void {
    const msg = this.results.get(id);
    if (!msg || !this.endsSeen.has(id)) return;
    this.results.delete(id);
    this.endsSeen.delete(id);
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.cancel();
    if (msg.ok) p.resolve(msg.payload);
    else p.reject(new LambdaInvokeError(msg.error!));
  }

  private failAll(shape: LambdaErrorShape): void {
    for (const [id, p] of this.pending) {
      p.cancel();
      p.reject(new LambdaInvokeError({ ...shape, errorMessage: `RequestId: ${id} Error: ${shape.errorMessage}` }));
    }
    this.pending.clear();
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
    this.exited = true;
  }

  whenExited(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => this.child.once('exit', () => resolve()));
  }
}

export class LambdaRuntime {
  private readonly functions = new Map<string, FunctionConfig>();
  /** Each function's sandboxes: an invocation takes an idle one or starts another. */
  private readonly workers = new Map<string, FunctionWorker[]>();
  /** Called at the start of every invocation (tests count calls with it). */
  onInvoke?: (fn: FunctionConfig, payload: unknown) => void;
  private readonly timers: CloudTimers;

  constructor(private readonly opts: LambdaRuntimeOptions) {
    this.timers = new CloudTimers(opts.clock ?? REAL_TIME);
  }

  /** Registers or replaces a function; a changed configuration gets a fresh worker on next invoke. */
  register(config: FunctionConfig): void {
    const previous = this.functions.get(config.name);
    this.functions.set(config.name, config);
    if (previous && JSON.stringify(previous) !== JSON.stringify(config)) this.stopWorker(config.name);
  }

  /** By name, ARN, or ARN/name with a qualifier (':$LATEST', alias). */
  get(nameOrArn: string): FunctionConfig | undefined {
    const m = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)(?::.*)?$/.exec(nameOrArn);
    const name = m ? m[1] : nameOrArn.split(':')[0];
    return this.functions.get(name);
  }

  list(): FunctionConfig[] {
    return [...this.functions.values()];
  }

  async invoke(nameOrArn: string, payload: unknown): Promise<unknown> {
    const config = this.get(nameOrArn);
    if (!config) {
      throw new LambdaInvokeError({ errorType: 'ResourceNotFoundException', errorMessage: `Function not found: ${nameOrArn}`, trace: [] });
    }
    this.onInvoke?.(config, payload);
    const live = this.liveSandboxes(config.name);
    let worker = live.find((w) => w.inFlight === 0);
    if (!worker) {
      worker = new FunctionWorker(
        config,
        this.sandboxEnv(config),
        this.opts.log ?? (() => undefined),
        this.opts.onLogLine,
        this.opts.clock ?? REAL_TIME,
        this.timers,
      );
      live.push(worker);
    }
    this.workers.set(config.name, live);
    return worker.invoke(payload);
  }

  /** How many live sandboxes a function has (a test of concurrency counts them). */
  sandboxCount(nameOrArn: string): number {
    const config = this.get(nameOrArn);
    return config ? this.liveSandboxes(config.name).length : 0;
  }

  private liveSandboxes(name: string): FunctionWorker[] {
    return (this.workers.get(name) ?? []).filter((w) => !w.exited);
  }

  /**
   * Tears down a function's warm sandboxes now, as Lambda does when a runtime crashes: their in-flight invocations
   * fail with Runtime.ExitError and the next invoke starts a fresh one. False when it has no live sandbox.
   */
  killWorker(nameOrArn: string): boolean {
    const config = this.get(nameOrArn);
    if (!config || this.liveSandboxes(config.name).length === 0) return false;
    this.stopWorker(config.name);
    return true;
  }

  /** Only what a Lambda sandbox sees: the function's own variables plus the runtime's. */
  private sandboxEnv(config: FunctionConfig): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      ...config.environment,
      AWS_REGION: this.opts.region,
      AWS_DEFAULT_REGION: this.opts.region,
      AWS_ENDPOINT_URL: this.opts.endpoint(),
      ...this.credentialsEnv(config),
      AWS_LAMBDA_FUNCTION_NAME: config.name,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(config.memorySize),
      // every sandbox here starts on an invocation, as without provisioned concurrency; Lambda sets it in every runtime
      // (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime), and
      // Powertools reads it to tell a cold start
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      ...this.opts.clock?.childEnvironment(),
    };
  }

  private credentialsEnv(config: FunctionConfig): Record<string, string> {
    if (!this.opts.credentials) return { AWS_ACCESS_KEY_ID: 'offline', AWS_SECRET_ACCESS_KEY: 'offline', AWS_SESSION_TOKEN: 'offline' };
    const creds = config.roleArn ? this.opts.credentials(config.roleArn) : undefined;
    if (!creds) {
      this.opts.log?.(`lambda ${config.name}: execution role ${config.roleArn ?? '(none)'} is not deployed; the function runs without credentials`);
      return {};
    }
    return { AWS_ACCESS_KEY_ID: creds.AccessKeyId, AWS_SECRET_ACCESS_KEY: creds.SecretAccessKey, AWS_SESSION_TOKEN: creds.SessionToken };
  }

  private stopWorker(name: string): void {
    for (const w of this.workers.get(name) ?? []) w.kill();
    this.workers.delete(name);
  }

  async close(): Promise<void> {
    const exits = [...this.workers.values()].flat().map((w) => {
      w.kill();
      return w.whenExited();
    });
    this.workers.clear();
    this.timers.close();
    await Promise.all(exits);
  }
}
