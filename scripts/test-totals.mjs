#!/usr/bin/env node
// One ledger of every test that ran, whatever ran it (jest tiers, the API fuzzer's cases, the
// outage tests, the image smoke checks), so the CI log ends with a line any reader can total:
//   tests: N passed, M failed
// Each runner appends one JSON line `{source, passed, failed}` to the ledger; `print` sums them.
//   node scripts/test-totals.mjs reset            start a new ledger
//   node scripts/test-totals.mjs add SOURCE P F   append a result (scripts that are not jest)
//   node scripts/test-totals.mjs add-if-no-failure SOURCE
//                                                 one failure, unless a failure is recorded already
//   node scripts/test-totals.mjs print            the per-source lines, then the totals line last
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The ledger file: `PAYSYNC_TEST_TOTALS`, else `.cache/test-totals.jsonl` in the checkout. */
export function ledgerPath(env = process.env) {
  return env.PAYSYNC_TEST_TOTALS ?? join(root, '.cache/test-totals.jsonl');
}

export function resetLedger(env = process.env) {
  rmSync(ledgerPath(env), { force: true });
}

export function recordTotals(source, passed, failed, env = process.env) {
  const file = ledgerPath(env);
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${JSON.stringify({ source, passed, failed })}\n`);
}

export function readLedger(env = process.env) {
  const file = ledgerPath(env);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

export function totalsLine(entries) {
  const passed = entries.reduce((n, e) => n + e.passed, 0);
  const failed = entries.reduce((n, e) => n + e.failed, 0);
  return `tests: ${passed} passed, ${failed} failed`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [command, ...args] = process.argv.slice(2);
  if (command === 'reset') resetLedger();
  else if (command === 'add') {
    const [source, passed, failed] = args;
    if (!source || !/^\d+$/.test(passed ?? '') || !/^\d+$/.test(failed ?? '')) {
      console.error('usage: test-totals.mjs add SOURCE PASSED FAILED');
      process.exit(2);
    }
    recordTotals(source, Number(passed), Number(failed));
  } else if (command === 'add-if-no-failure') {
    const [source] = args;
    if (!source) {
      console.error('usage: test-totals.mjs add-if-no-failure SOURCE');
      process.exit(2);
    }
    if (readLedger().every((e) => e.failed === 0)) recordTotals(source, 0, 1);
  } else if (command === 'print') {
    const entries = readLedger();
    for (const e of entries)
      console.log(`[tests] ${e.source}: ${e.passed} passed, ${e.failed} failed`);
    console.log(totalsLine(entries));
  } else {
    console.error(
      'usage: test-totals.mjs reset | add SOURCE PASSED FAILED | add-if-no-failure SOURCE | print',
    );
    process.exit(2);
  }
}
