/**
 * The `lifeboat` command line. Each verb lives in bin/commands/<verb>.ts and exports `register(program)`.
 * Exit codes: 0 success, 1 failure (with a message), 2 bad usage.
 */
import { Command, CommanderError } from 'commander';
import { register as registerCloud } from './commands/cloud';
import { register as registerSync } from './commands/sync';
import { register as registerCheckpoints } from './commands/checkpoints';
import { register as registerDemo } from './commands/demo';
import { register as registerExport } from './commands/export';
import { register as registerFailback } from './commands/failback';
import { register as registerFailbackCleanup } from './commands/failback-cleanup';
import { register as registerStatus } from './commands/status';
import { register as registerRelease } from './commands/release';
import { register as registerDoctor } from './commands/doctor';
import { UsageError } from './commands/context';

const program = new Command('lifeboat').description('Lifeboat: CDK-native disaster recovery for EC2').showHelpAfterError().exitOverride();

for (const register of [
  registerCloud,
  registerSync,
  registerCheckpoints,
  registerDemo,
  registerExport,
  registerFailback,
  registerFailbackCleanup,
  registerStatus,
  registerRelease,
  registerDoctor,
])
  register(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    // help and version are not errors; everything else commander raises is bad usage
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  const message = err instanceof Error ? err.message : String(err);
  console.error(`lifeboat: ${message}`);
  process.exit(err instanceof UsageError ? 2 : 1);
});
