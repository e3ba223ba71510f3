/**
 * The `lifeboat` command line. Each verb lives in bin/commands/<verb>.ts and exports `register(program)`.
 * Exit codes: 0 success, 1 failure (with a message), 2 bad usage.
 */
import { Command, CommanderError } from 'commander';
import { register as registerCloud } from './commands/cloud';

const program = new Command('lifeboat')
  .description('Lifeboat: CDK-native disaster recovery for EC2')
  .showHelpAfterError()
  .exitOverride();

registerCloud(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    // help and version are not errors; everything else commander raises is bad usage
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  console.error(`lifeboat: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
