// `npm run fuzz:api`: fuzzes the management API with Schemathesis (PyPI), fed the OpenAPI document
// the running service serves. The api service runs as a real process on 127.0.0.1 against the
// local stack, a fresh database and the Stripe simulator; a seeded workspace gives the fuzzer
// real ids to hit. Fails on any 5xx, on responses that break their documented schema, status or
// content type, and on invalid input the API accepts. Bounded: a fixed number of examples per
// operation and a hard deadline.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import pg from 'pg';

// The test ledger (a plain .mjs module shared with scripts/test.mjs; types in test-totals.d.mts).
import { recordTotals } from '../test-totals.mjs';

import { KeyRing } from '@paysync/crypto';
import {
  ENTITY_TABLES,
  SyncWriteRepository,
  applyMigrations,
  createPrismaClient,
} from '@paysync/db';
import { anEvent } from '@paysync/db/testing';
import { stripeObjectToChange } from '@paysync/providers';
import { stripeFixture } from '@paysync/providers/testing';
import { StripeSimulator } from '@paysync/simulator';
import { freePort } from '@paysync/testkit';

import { DATA_COLLECTIONS } from '../../services/api/src/modules/data/collections.js';
import { BREADTH_TYPES, breadthChange } from '../../services/api/src/testing/breadth-rows.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const SCHEMATHESIS = 'schemathesis==4.32.5';
// Outside the checkout so fresh clones (CI) reuse it.
const venv = join(
  process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'),
  'paysync',
  `venv-${SCHEMATHESIS.replace('==', '-')}`,
);
const st = join(venv, 'bin/st');
const examples = process.env.FUZZ_MAX_EXAMPLES ?? '25';
const deadlineMs = Number(process.env.FUZZ_DEADLINE_MS ?? 600_000);

/** Read API collection → its table (every synced entity type). */
const TABLES = Object.fromEntries(
  Object.entries(DATA_COLLECTIONS).map(([collection, type]) => [
    collection,
    ENTITY_TABLES[type].table,
  ]),
);

/**
 * The case counts of Schemathesis's summary (`Test cases:` then `N generated, N passed` or
 * `N generated, N found M unique failures`). A run whose summary cannot be read counts as one
 * failure when it failed, so nothing is reported as passed that was not seen to pass.
 */
function fuzzCaseCounts(report: string, exitCode: number): { passed: number; failed: number } {
  const num = (s: string | undefined) => Number((s ?? '0').replace(/,/g, ''));
  const summary = /Test cases:\s*\n?\s*([\d,]+) generated(.*)/.exec(report);
  if (!summary) return { passed: 0, failed: exitCode === 0 ? 0 : 1 };
  const generated = num(summary[1]);
  const rest = summary[2] ?? '';
  const failures = /([\d,]+) (?:unique )?failures?/.exec(rest) ?? /found ([\d,]+)/.exec(rest);
  const skipped = num(/([\d,]+) skipped/.exec(rest)?.[1]);
  const failed = failures ? num(failures[1]) : exitCode === 0 ? 0 : 1;
  return { passed: Math.max(0, generated - skipped - failed), failed };
}

function run(cmd: string, args: string[]): void {
  const res = spawnSync(cmd, args, { stdio: 'inherit', cwd: root });
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${res.status}`);
}

async function waitReady(url: string, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`api did not become ready:\n${output()}`);
}

async function main(): Promise<number> {
  if (!existsSync(st)) {
    console.log(`[fuzz] installing ${SCHEMATHESIS} into ${venv}`);
    mkdirSync(dirname(venv), { recursive: true });
    run('python3', ['-m', 'venv', venv]);
    run(join(venv, 'bin/pip'), ['install', '--quiet', SCHEMATHESIS]);
  }
  run(process.execPath, ['scripts/stack/stack.mjs', 'up']);

  const server = `postgresql://postgres@127.0.0.1:${process.env.PAYSYNC_PG_PORT ?? 55432}`;
  const dbName = `paysync_fuzz_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: `${server}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  const databaseUrl = `${server}/${dbName}`;
  await applyMigrations({ databaseUrl, migrationsDir: join(root, 'prisma/migrations') });

  const sim = new StripeSimulator({ seed: { customers: 5, products: 2, prices: 3 } });
  const simUrl = await sim.start();
  const port = await freePort();
  const adminToken = randomBytes(24).toString('hex');
  const api = spawn(
    join(root, 'node_modules/.bin/tsx'),
    ['--conditions=@paysync/source', join(root, 'services/api/src/main.ts')],
    {
      cwd: root,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'warn',
        DATABASE_URL: databaseUrl,
        KAFKA_BROKERS: `127.0.0.1:${process.env.PAYSYNC_KAFKA_PORT ?? 59092}`,
        KAFKA_TOPIC_PREFIX: `fuzz-${randomBytes(3).toString('hex')}-`,
        ENCRYPTION_KEYS: `f1:${KeyRing.generateKey()}`,
        ADMIN_API_TOKEN: adminToken,
        API_ALLOWED_PROVIDER_BASE_URLS: simUrl,
        // A connection whose apiBaseUrl the fuzzer removed still talks to loopback only.
        STRIPE_API_BASE_URL: simUrl,
        API_RATE_LIMIT_PER_MINUTE: '1000000',
        // The fuzzer's auth checks send hundreds of requests without a valid credential.
        API_AUTH_FAILURES_PER_MINUTE: '1000000',
      },
    },
  );
  let out = '';
  api.stdout.on('data', (d: Buffer) => (out += d.toString()));
  api.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  const prisma = createPrismaClient({ url: databaseUrl, poolMax: 2, statementTimeoutMs: 30_000 });
  try {
    await waitReady(`${base}/ready`, () => out);
    const call = async (token: string, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      if (res.status >= 300)
        throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as Record<string, string>;
    };
    const ws = await call(adminToken, 'POST', '/api/v1/workspaces', { name: 'fuzz' });
    const wsBase = `/api/v1/workspaces/${ws.id}`;
    const key = ws.apiKey as string;
    const conn = await call(key, 'POST', `${wsBase}/sync/config`, {
      provider: 'stripe',
      apiKey: 'sk_test_fuzzKey000000001',
      webhookSecret: 'whsec_fuzzSecret00000001',
      settings: { apiBaseUrl: simUrl },
    });
    const session = await call(key, 'POST', `${wsBase}/sync/stripe/initial`, {});
    const extraKey = await call(key, 'POST', `${wsBase}/api-keys`, { name: 'fuzz' });
    const ctx = { workspaceId: ws.id as string, source: 'webhook' as const };
    await new SyncWriteRepository({ prisma }).applyChanges(
      ['customer', 'product', 'price', 'subscription', 'invoice', 'payment_intent'].map((name) =>
        stripeObjectToChange(stripeFixture(name), { version: Date.now(), ctx })!,
      ),
      { events: [anEvent({ workspaceId: ws.id as string })] },
    );
    // A row of each Stripe breadth type (issue 19), so their `{id}` routes answer 200 too.
    await new SyncWriteRepository({ prisma }).applyChanges(
      BREADTH_TYPES.map((t) => breadthChange(ws.id as string, t)),
    );
    const event = await prisma.paymentSyncEvent.findFirstOrThrow({ where: { workspaceId: ws.id } });
    const rowIds: Record<string, string> = {};
    for (const [collection, table] of Object.entries(TABLES)) {
      const rows = await prisma.$queryRawUnsafe<{ id: string }[]>(
        `SELECT id::text FROM ${table} WHERE workspace_id = $1::uuid LIMIT 1`,
        ws.id,
      );
      rowIds[collection] = rows[0]?.id ?? '';
    }
    const customer = { id: rowIds.customers };

    const dir = join(root, '.cache/fuzz');
    mkdirSync(dir, { recursive: true });
    const configFile = join(dir, 'schemathesis.toml');
    writeFileSync(
      configFile,
      [
        `headers = { Authorization = "Bearer ${key}" }`,
        '[parameters]',
        `"path.workspaceId" = "${ws.id}"`,
        `"path.configId" = "${conn.id}"`,
        `"path.sessionId" = "${session.sessionId}"`,
        `"path.keyId" = "${extraKey.id}"`,
        `"path.eventId" = "${event.id}"`,
        `"path.id" = "${customer.id}"`,
        `"path.provider" = "stripe"`,
        // Each collection's `{id}` gets a row of its own table.
        ...Object.entries(rowIds).flatMap(([collection, id]) => [
          '[[operations]]',
          `include-path-regex = '/${collection}/\\{id\\}$'`,
          `parameters = { "path.id" = "${id}" }`,
        ]),
        '',
      ].join('\n'),
    );
    console.log(`[fuzz] schemathesis against ${base} (${examples} examples per operation)`);
    const fuzz = spawn(
      st,
      [
        '--config-file',
        configFile,
        'run',
        `${base}/api/v1/openapi.json`,
        '--checks',
        'not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection',
        '--max-examples',
        examples,
        '--workers',
        '2',
        '--seed',
        process.env.FUZZ_SEED ?? '20261127',
        '--request-timeout',
        '30',
        '--no-color',
        '--generation-database',
        'none',
        '--report',
        'junit',
        '--report-dir',
        dir,
      ],
      { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    // Schemathesis closes with a pytest-style banner ("==== 2 warnings in 19.71s ====") that CI
    // readers take for a pytest run that executed no test. Its report goes to a file; the console
    // gets our one-line summary (and the whole report when it failed).
    let report = '';
    fuzz.stdout.on('data', (chunk: Buffer) => {
      report += chunk.toString();
    });
    const timer = setTimeout(() => fuzz.kill('SIGKILL'), deadlineMs);
    const code = await new Promise<number>((resolve) => fuzz.once('exit', (c) => resolve(c ?? 1)));
    clearTimeout(timer);
    const reportFile = join(
      dir,
      `schemathesis-${new Date().toISOString().replace(/[:.]/g, '')}.log`,
    );
    writeFileSync(reportFile, report);
    const cases = fuzzCaseCounts(report, code);
    if (code !== 0) process.stdout.write(report.replace(/^=+ (.*) =+$/gm, '[fuzz] $1'));
    const warnings = report.match(/^\s*⚠️.*$/gm) ?? [];
    for (const w of warnings) console.log(`[fuzz] warning: ${w.trim().replace(/^⚠️\s*/, '')}`);
    console.log(
      `[fuzz] schemathesis exited ${code}: ${cases.passed} cases passed, ${cases.failed} failed (report: ${reportFile})`,
    );
    recordTotals('api fuzz cases (schemathesis)', cases.passed, cases.failed);
    if (/"level":"error"/.test(out)) {
      console.error(
        '[fuzz] the api logged errors:\n' +
          out
            .split('\n')
            .filter((l) => l.includes('"level":"error"'))
            .slice(0, 20)
            .join('\n'),
      );
      return 1;
    }
    return code;
  } finally {
    if (api.pid !== undefined) {
      try {
        process.kill(-api.pid, 'SIGTERM');
      } catch {
        // gone
      }
    }
    await prisma.$disconnect();
    await sim.stop();
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
  }
}

process.exit(await main());
