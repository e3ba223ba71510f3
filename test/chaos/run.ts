/**
 * `npm run chaos -- [--runs N] [--seed S] [--json FILE]`: the full chaos suite (default 10 runs). Prints one
 * line per run and the figures table; exits 1 when anything leaked, was lost or corrupted, or foreign was touched.
 */
import fs from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import '../setup-env';
import { chaosTable, runChaos } from './chaos-run';

const whole = (name: string, min: number) => (value: string) => {
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be a whole number >= ${min}`);
  return n;
};

const program = new Command('chaos')
  .description('Syncs under injected faults on the offline cloud; checks restores, leaks and foreign resources')
  .option('--runs <n>', 'number of faulty syncs', whole('--runs', 1), 10)
  .option('--seed <s>', 'seed of the fault choices (same seed, same faults)', whole('--seed', 0), 1)
  .option('--json <file>', 'also write the figures to FILE as JSON')
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

async function main(): Promise<void> {
  program.parse(process.argv);
  const opts = program.opts<{ runs: number; seed: number; json?: string }>();
  const figures = await runChaos({ runs: opts.runs, seed: opts.seed, log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(`${chaosTable(figures)}\n`);
  for (const p of figures.problems) process.stdout.write(`problem: ${p}\n`);
  if (opts.json) fs.writeFileSync(opts.json, `${JSON.stringify(figures, null, 2)}\n`);
  const clean =
    figures.leakedResources === 0 &&
    figures.leakedWorkingPrefixes === 0 &&
    figures.orphanPacks === 0 &&
    figures.lostOrCorruptCheckpoints === 0 &&
    figures.foreignTouched === 0 &&
    figures.finalSyncSucceeded;
  process.exit(clean ? 0 : 1);
}

main().catch((err: unknown) => {
  process.stderr.write(`chaos: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
