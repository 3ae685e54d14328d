#!/usr/bin/env node
// `npm test`: brings the local Kafka + PostgreSQL stack up if it is not running (jest's global
// setup does it, idempotently) and runs every tier: unit, integration, e2e, the API fuzzer
// (Schemathesis, installed once into ~/.cache/paysync) and the outage tests.
// `npm test -- --unit` runs only the unit tier (no stack needed). Extra args go to jest.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { readLedger, recordTotals, resetLedger, totalsLine } from './test-totals.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const jestArgs = args.filter((a) => a !== '--unit');

// Stripe's own OpenAPI-validating mock, used by the provider tests (pinned; installed once).
const STRIPE_MOCK = 'github.com/stripe/stripe-mock@v0.203.0';
if (!unitOnly) {
  const gopath = spawnSync('go', ['env', 'GOPATH'], { encoding: 'utf8' });
  const bin = gopath.status === 0 ? join(gopath.stdout.trim(), 'bin', 'stripe-mock') : undefined;
  if (!bin) {
    console.error('[test] Go is needed to install stripe-mock (used by the provider tests)');
    process.exit(1);
  }
  if (!existsSync(bin)) {
    console.log(`[test] installing ${STRIPE_MOCK}`);
    const install = spawnSync('go', ['install', STRIPE_MOCK], { stdio: 'inherit' });
    if (install.status !== 0) {
      console.error('[test] go install of stripe-mock failed');
      process.exit(1);
    }
  }
  process.env.STRIPE_MOCK_BIN ??= bin;
}

const generate = spawnSync(process.execPath, [join(root, 'scripts/db/generate.mjs')], {
  stdio: 'inherit',
});
if (generate.status !== 0) process.exit(generate.status ?? 1);

// Every runner below appends to one ledger; the last line of `npm test` (and of `.ci/run`) totals it.
resetLedger();
// Service logs of each test file go to their own file here; the jest reporter prints a file's log
// only when that file failed (scripts/jest/totals-reporter.mjs).
const logDir =
  process.env.PAYSYNC_TEST_LOG_DIR ?? mkdtempSync(join(tmpdir(), 'paysync-test-logs-'));
console.log(`[test] service logs of each test file: ${logDir}`);

const jestEnv = {
  ...process.env,
  PAYSYNC_TEST_LOG_DIR: logDir,
  NODE_OPTIONS:
    `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules --disable-warning=ExperimentalWarning`.trim(),
  KAFKAJS_NO_PARTITIONER_WARNING: '1',
};
const jest = (source, extra) =>
  spawnSync(process.execPath, [join(root, 'node_modules/jest/bin/jest.js'), ...extra], {
    cwd: root,
    stdio: 'inherit',
    env: { ...jestEnv, PAYSYNC_TEST_SOURCE: source },
  }).status ?? 1;

// Topics of earlier runs (every test file uses its own prefix) pile up in the local broker, and a
// broker restart (the outage tests) must load and lead every partition it holds: prune them.
const pruneTestTopics = () => {
  const up = spawnSync(process.execPath, [join(root, 'scripts/stack/stack.mjs'), 'up'], {
    stdio: 'inherit',
  });
  if (up.status !== 0) process.exit(up.status ?? 1);
  const pruned = spawnSync(
    process.execPath,
    [join(root, 'scripts/stack/stack.mjs'), 'prune-test-topics'],
    { stdio: 'inherit' },
  );
  if (pruned.status !== 0) process.exit(pruned.status ?? 1);
};

const onlyFaults = jestArgs.includes('--faults');
const rest = jestArgs.filter((a) => a !== '--faults');
let status = 0;
if (!unitOnly) pruneTestTopics();
if (!onlyFaults) {
  // Two cores here: files isolate themselves (own database, topic prefix, group ids).
  status = jest(unitOnly ? 'jest unit' : 'jest unit+int+e2e', [
    ...(unitOnly ? ['--selectProjects', 'unit'] : ['--selectProjects', 'unit', 'int', 'e2e']),
    '--maxWorkers=2',
    ...rest,
  ]);
}
// The management API fuzzed from its own OpenAPI document (Schemathesis, against the real process).
if (status === 0 && !unitOnly && !onlyFaults && rest.every((a) => a.startsWith('-'))) {
  status =
    spawnSync(
      join(root, 'node_modules/.bin/tsx'),
      ['--conditions=@paysync/source', 'scripts/fuzz/api.ts'],
      {
        cwd: root,
        stdio: 'inherit',
        env: { ...process.env, PAYSYNC_TEST_LOG_DIR: logDir },
      },
    ).status ?? 1;
}
// Outage tests stop the shared Kafka and PostgreSQL: a second pass, one file at a time.
if (status === 0 && !unitOnly && rest.every((a) => a.startsWith('-'))) {
  if (!onlyFaults) pruneTestTopics();
  status = jest('jest faults', ['--selectProjects', 'faults', '--runInBand', ...rest]);
}
const entries = readLedger();
// A runner that failed without recording anything (it could not start) still counts as a failure.
if (status !== 0 && entries.every((e) => e.failed === 0)) {
  recordTotals('runner exited non-zero without a failing test', 0, 1);
}
// Under .ci/run the totals line is printed once, as the log's last line; here a subtotal.
const line = totalsLine(readLedger());
console.log(
  process.env.PAYSYNC_TOTALS_PRINTED_BY_CI === '1' ? `[test] npm test subtotal: ${line}` : line,
);
process.exit(status);
