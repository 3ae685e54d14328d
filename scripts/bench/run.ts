// `npm run bench [-- <scenario …>] [--count N] [--runs N]`: named benchmark scenarios against the
// local stack (started if needed). Prints a table per scenario and writes
// bench-results/<scenario>-<timestamp>.json with the machine and date. Scenarios: write-path, webhooks, backfill,
// backfill-fairness, reconcile, peers (paysync vs @stripe/sync-engine side by side) and floor (the
// least an HTTP → Kafka hand-off costs here, next to the ingress); the last two are not run by default.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { backfillFairness } from './backfill-fairness.js';
import { backfill } from './backfill.js';
import { floor } from './floor.js';
import { peers } from './peers.js';
import { reconcile } from './reconcile.js';
import { numericFlag } from './support.js';
import { webhooks } from './webhooks.js';
import { writePath } from './write-path.js';

import type { BenchContext, ScenarioResult } from './types.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const SCENARIOS: Record<string, (ctx: BenchContext) => Promise<ScenarioResult>> = {
  'write-path': writePath,
  webhooks,
  backfill,
  'backfill-fairness': backfillFairness,
  reconcile,
  peers,
  floor,
};

const args = process.argv.slice(2);
const positional = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
const selected =
  positional.length > 0
    ? positional
    : Object.keys(SCENARIOS).filter((s) => s !== 'peers' && s !== 'floor');
for (const name of selected) {
  if (!SCENARIOS[name]) {
    console.error(`unknown scenario ${name}; known: ${Object.keys(SCENARIOS).join(', ')}`);
    process.exit(2);
  }
}

const up = spawnSync(process.execPath, [join(root, 'scripts/stack/stack.mjs'), 'up'], {
  stdio: 'inherit',
});
if (up.status !== 0) process.exit(1);

const pgPort = process.env.PAYSYNC_PG_PORT ?? '55432';
const ctx: BenchContext = {
  serverUrl: (database) => `postgresql://postgres@127.0.0.1:${pgPort}/${database}`,
  kafkaBrokers: [`127.0.0.1:${process.env.PAYSYNC_KAFKA_PORT ?? '59092'}`],
  migrationsDir: join(root, 'prisma/migrations'),
  count: numericFlag('count'),
  runs: numericFlag('runs'),
};
const git = (...gitArgs: string[]) =>
  spawnSync('git', gitArgs, { cwd: root, encoding: 'utf8' }).stdout.trim();
const machine = {
  // What was measured: the commit, and whether tracked files differed from it (a shared checkout).
  commit: git('rev-parse', '--short', 'HEAD'),
  uncommittedChanges: git('status', '--porcelain', '--untracked-files=no')
    .split('\n')
    .filter(Boolean).length,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  date: new Date().toISOString(),
};
mkdirSync(join(root, 'bench-results'), { recursive: true });
for (const name of selected) {
  console.log(
    `\n== ${name} (${machine.cpus} cores, ${machine.cpuModel}, ${machine.date}, commit ${machine.commit}` +
      `${machine.uncommittedChanges > 0 ? ` + ${machine.uncommittedChanges} changed files` : ''})`,
  );
  const result = await (SCENARIOS[name] as (ctx: BenchContext) => Promise<ScenarioResult>)(ctx);
  const widths = (result.table[0] ?? []).map((_, c) =>
    Math.max(...result.table.map((row) => (row[c] ?? '').length)),
  );
  for (const row of result.table)
    console.log(row.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  '));
  const file = join(root, 'bench-results', `${name}-${machine.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ scenario: name, machine, result: result.json }, null, 2));
  console.log(`(written to ${file})`);
}
