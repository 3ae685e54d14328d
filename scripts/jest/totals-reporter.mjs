// A jest reporter with two jobs:
// - it appends this run's totals to the test ledger (scripts/test-totals.mjs), so `.ci/run` can end
//   with one `tests: N passed, M failed` line; a test file that fails to run counts as one failure;
// - service logs written during a test file go to that file's log (see scripts/jest/test-logs.mjs),
//   not to the console: this reporter prints the log of a test file only when that file failed,
//   so a green run stays readable and a red one shows what the services said.
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

import { recordTotals } from '../test-totals.mjs';
import { testLogFile } from './test-logs.mjs';

const MAX_PRINTED = 200_000;

export default class TotalsReporter {
  #rootDir;
  #source;

  constructor(globalConfig) {
    this.#rootDir = globalConfig.rootDir;
    this.#source = process.env.PAYSYNC_TEST_SOURCE ?? 'jest';
  }

  onTestResult(test, result) {
    const failed = result.numFailingTests > 0 || result.testExecError !== undefined;
    const file = testLogFile(test.path);
    if (!failed || !file || !existsSync(file)) return;
    const log = readFileSync(file, 'utf8');
    if (!log.trim()) return;
    const shown = log.length > MAX_PRINTED ? `…${log.slice(-MAX_PRINTED)}` : log;
    process.stderr.write(
      `\n── service logs of ${relative(this.#rootDir, test.path)} (it failed) ──\n${shown}\n── end of service logs ──\n`,
    );
  }

  onRunComplete(_contexts, results) {
    // A suite that could not run (syntax error, failing beforeAll) has no failing test of its own.
    const brokenSuites = results.testResults.filter(
      (r) => r.testExecError !== undefined && r.numFailingTests === 0,
    ).length;
    recordTotals(this.#source, results.numPassedTests, results.numFailedTests + brokenSuites);
  }
}
