/**
 * The one wrapper around NodejsFunction: project defaults, merged with (never overwriting) what the caller passes.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { STEP_MAX_SECONDS } from '../runtime/core/lease/vpg-lease';
import { ack, NODE_RUNTIME } from './nag-acks';

/**
 * How every Lambda bundle is built, for a short cold start (each step handler also imports only the SDK clients its
 * step uses: runtime/handlers/step-runtime.ts). `npm run bench` prints each function's size and cold start (figure 7).
 * - minify: less JavaScript for Node to read and compile at every cold start.
 * - mainFields module first: the SDK clients' ES modules, so esbuild drops the commands a function never sends
 *   (their CommonJS build is one file holding every command of the service: EC2's alone is megabytes).
 * - No `--enable-source-maps`: with it Node reads and parses the bundle's source map when it loads the bundle, at
 *   every cold start (https://nodejs.org/api/cli.html#--enable-source-maps; nodejs/node#41541). Stack traces stay
 *   readable another way: keepNames keeps every function's and class's name through minification, so each frame of a
 *   trace names its function (`at planSync`), and error classes keep theirs. For the exact TypeScript line, the
 *   source map lies beside the bundle (index.js.map, in cdk.out and the function's code; EXTERNAL: the bundle does
 *   not point at it, so nothing reads it at run time), without the sources themselves (they are in the repository).
 */
export const LAMBDA_BUNDLING: Readonly<nodejs.BundlingOptions> = {
  minify: true,
  keepNames: true,
  mainFields: ['module', 'main'],
  sourceMap: true,
  sourceMapMode: nodejs.SourceMapMode.EXTERNAL,
  sourcesContent: false,
  target: 'node22',
  // No Docker here: esbuild from node_modules bundles at synth time.
  forceDockerBundling: false,
  // Bundle the SDK too: pins the version we test with, and the bundle runs from any folder offline.
  externalModules: [],
};

export interface LifeboatFunctionProps extends Omit<nodejs.NodejsFunctionProps, 'logGroup'> {
  /**
   * The log group to write to.
   * @default a new log group, child of this construct, retained, with `logRetention`
   */
  readonly logGroup?: logs.ILogGroup;
  /** The handler's TypeScript file. */
  readonly entry: string;
  /**
   * Retention of the function's own log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/** A NodejsFunction (`fn`) and its log group, both children of this construct. */
export class LifeboatFunction extends Construct {
  readonly fn: nodejs.NodejsFunction;
  /** The log group the function writes to (created with it, so retention is ours to set). */
  readonly logGroup: logs.ILogGroup;

  constructor(scope: Construct, id: string, props: LifeboatFunctionProps) {
    super(scope, id);
    const { logRetention, bundling, ...rest } = props;
    const logGroup =
      props.logGroup ??
      new logs.LogGroup(this, 'Logs', {
        retention: logRetention ?? logs.RetentionDays.ONE_MONTH,
        // Logs of a DR system are evidence of what happened: keep them when a stack goes away.
        removalPolicy: RemovalPolicy.RETAIN,
      });
    this.fn = new nodejs.NodejsFunction(this, 'Function', {
      // nodejs20.x is deprecated; the offline cloud runs the same bundle on the local Node.
      runtime: lambda.Runtime.NODEJS_22_X,
      // Graviton: cheaper per GB-second, and nothing here is architecture specific.
      architecture: lambda.Architecture.ARM_64,
      // The VPG lease counts on no step's Lambda outliving this (a takeover waits for it): one figure, in core.
      timeout: Duration.seconds(STEP_MAX_SECONDS),
      memorySize: 512,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.DISABLED,
      ...rest,
      logGroup,
      bundling: { ...LAMBDA_BUNDLING, ...bundling },
    });
    this.logGroup = logGroup;
    ack(this.fn, [NODE_RUNTIME]);
  }
}
