/**
 * `lifeboat cloud`: runs the offline cloud in the foreground until SIGINT/SIGTERM.
 * Prints exactly one stdout line when ready: `lifeboat cloud listening on http://127.0.0.1:PORT`.
 */
import fs from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { FAULT_SPEC_HELP, FaultSpecError, parseFaultSpec } from '@lifeboat/offline-cloud/src/faults';
import type { FaultConfig } from '@lifeboat/offline-cloud/src/context';
import { DEFAULT_VCPU_QUOTA } from '@lifeboat/offline-cloud/src/aws-rates';
import { isRegionName } from '@lifeboat/offline-cloud/src/account-regions';

interface CloudFlags {
  port: number;
  data?: string;
  faults?: Partial<FaultConfig>;
  assembly?: string;
  timeScale?: number;
  schedules: boolean;
  vcpuQuota?: number;
  region?: string;
  quiet?: boolean;
  /** false with --no-default-vpc (commander's negatable option). */
  defaultVpc: boolean;
}

const FAULTS_HELP = `
Fault spec (--faults), comma-separated key=value parts, each optional and at most once:
  throttle=RATE     fraction 0..1 of requests answered with the service's throttling error
                    (EC2: 503 RequestLimitExceeded; EBS: 429 ThrottlingException)
  5xx=RATE          fraction 0..1 answered 500 InternalError or 503 ServiceUnavailable
  latency=MS        milliseconds added to every request
  capacity=RATE     fraction 0..1 of RunInstances answered InsufficientInstanceCapacity (HTTP 500)
  consistency=MS    a new resource stays NotFound to Describe-by-id for MS after creation
  seed=INT          seed of the fault RNG (same seed, same faults)
  services=A+B      SigV4 service names the faults apply to: ec2, ebs, states (default ec2+ebs)
Example: lifeboat cloud --port 0 --faults throttle=0.2,5xx=0.05,latency=20,consistency=3000,seed=7,services=ec2+ebs
At run time: GET/PUT http://127.0.0.1:PORT/_lifeboat/faults (JSON); POST /_lifeboat/instances/ID/kill.`;

export function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError('port must be a whole number from 0 to 65535 (0 = any free port)');
  return n;
}

export function parseTimeScale(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('time scale must be a number above 0');
  return n;
}

export function parseVcpuQuota(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('vCPU quota must be a whole number of vCPUs (0 or more)');
  return n;
}

export function parseFaultsOption(value: string): Partial<FaultConfig> {
  try {
    return parseFaultSpec(value);
  } catch (err) {
    if (err instanceof FaultSpecError) throw new InvalidArgumentError(err.message);
    throw err;
  }
}

export function parseRegion(value: string): string {
  if (!isRegionName(value)) throw new InvalidArgumentError(`'${value}' is not an AWS region name (e.g. us-east-1, eu-west-1)`);
  return value;
}

function parseAssemblyDir(value: string): string {
  if (!fs.existsSync(value) || !fs.statSync(value).isDirectory()) {
    throw new InvalidArgumentError(`'${value}' is not a folder (give a cdk synth output, e.g. cdk.out)`);
  }
  return value;
}

export function register(program: Command): void {
  program
    .command('cloud')
    .description('run the offline cloud (EC2, EBS direct APIs, Step Functions, S3) on 127.0.0.1')
    .option('--port <port>', 'port to listen on (0 = any free port)', parsePort, 4566)
    .option('--data <dir>', 'keep state in this folder across restarts (default: a temp folder, removed on exit)')
    .option('--faults <spec>', `inject faults: ${FAULT_SPEC_HELP}`, parseFaultsOption)
    .option('--assembly <dir>', 'deploy the state machines of this cdk synth output at start', parseAssemblyDir)
    .option(
      '--time-scale <n>',
      'speed of the cloud clock: one real second is N AWS seconds for EC2, EBS, Step Functions, Lambda and the instances (default 1)',
      parseTimeScale,
    )
    .option('--no-schedules', 'deployed EventBridge schedules do not fire (they do by default, on the cloud clock)')
    .option(
      '--vcpu-quota <n>',
      `Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances quota in vCPUs (default ${DEFAULT_VCPU_QUOTA}, a new account's)`,
      parseVcpuQuota,
    )
    .option('--region <region>', 'the region of environment-agnostic stacks and the default account (default us-east-1)', parseRegion)
    .option('--quiet', 'no log lines on stderr')
    .option('--no-default-vpc', 'an account without a default VPC: RunInstances and CreateSecurityGroup then need a subnet / VpcId')
    .addHelpText('after', FAULTS_HELP)
    .action(async (flags: CloudFlags) => {
      // required here, not at the top, so `--help` and usage errors never load the emulators
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { startCloud } = require('@lifeboat/offline-cloud/src/cloud') as typeof import('@lifeboat/offline-cloud/src/cloud');
      const cloud = await startCloud({
        port: flags.port,
        dataDir: flags.data,
        faults: flags.faults,
        assemblyDir: flags.assembly,
        timeScale: flags.timeScale,
        schedules: flags.schedules,
        vcpuQuota: flags.vcpuQuota,
        region: flags.region,
        quiet: flags.quiet,
        noDefaultVpc: !flags.defaultVpc,
      });
      process.stdout.write(`lifeboat cloud listening on ${cloud.url}\n`);
      await new Promise<void>((resolve) => {
        const shutdown = () => {
          process.off('SIGINT', shutdown);
          process.off('SIGTERM', shutdown);
          void cloud.stop().finally(resolve);
        };
        process.on('SIGINT', shutdown);
        process.on('SIGTERM', shutdown);
      });
      process.exit(0);
    });
}
