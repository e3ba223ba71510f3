/**
 * A jest reporter: at the end of a run, one line per tier (jest.config.js projects) with its suites, tests and the
 * time its suites took (summed over the workers, so a tier's share of the run can be compared).
 */
class TierTimesReporter {
  onRunComplete(_contexts, results) {
    const tiers = new Map();
    for (const suite of results.testResults) {
      const name = suite.displayName?.name ?? 'tests';
      const t = tiers.get(name) ?? { suites: 0, tests: 0, failed: 0, ms: 0 };
      t.suites += 1;
      t.tests += suite.numPassingTests + suite.numFailingTests;
      t.failed += suite.numFailingTests + (suite.testExecError ? 1 : 0);
      t.ms += Math.max(0, suite.perfStats.end - suite.perfStats.start);
      tiers.set(name, t);
    }
    const lines = [...tiers].map(
      ([name, t]) =>
        `  ${name.padEnd(9)} ${String(t.suites).padStart(4)} suites ${String(t.tests).padStart(5)} tests ${String(t.failed).padStart(3)} failed ${(t.ms / 1000).toFixed(0).padStart(6)} s`,
    );
    process.stderr.write(`\nTime per tier (suite time summed over workers):\n${lines.join('\n')}\n`);
  }
}

module.exports = TierTimesReporter;
