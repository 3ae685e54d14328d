#!/usr/bin/env node
// `npm run dev`: the whole of paysync on one machine. Brings up Kafka + PostgreSQL (no Docker),
// applies migrations, starts the five services from source, waits until each reports ready, and
// prints where to look. Ctrl-C stops the services; `npm run stack:down` stops Kafka and PostgreSQL.
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { stackConfig } from './stack/stack-config.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stack = stackConfig(process.env);
const tsx = join(root, 'node_modules/.bin/tsx');

/** Documented development defaults; never use them outside a laptop. */
export const DEV_DEFAULTS = {
  ADMIN_API_TOKEN: 'dev-admin-token-do-not-use-in-production',
  // 32 zero-ish bytes would be silly even for dev: this is a fixed, public, dev-only key.
  ENCRYPTION_KEYS: 'dev1:ZGV2LW9ubHkta2V5LWRvLW5vdC11c2UtaW4tcHJvZCE=',
};

const SERVICES = [
  { name: 'api', port: 3000 },
  { name: 'ingress', port: 3001 },
  { name: 'processor', port: 3002 },
  { name: 'sync-runner', port: 3003 },
  { name: 'recovery', port: 3004 },
];
const SIMULATOR_PORT = Number(process.env.SIMULATOR_PORT ?? 12111);
// A second simulated Stripe account, free for the README's API walk-through (the demo workspace
// has connected the first one, and a provider account belongs to one workspace).
const WALKTHROUGH_SIMULATOR_PORT = 12112;
// A simulated Chargebee site beside the Stripe account, run by the demo (scripts/demo/chargebee.ts).
const CHARGEBEE_SIMULATOR_PORT = Number(process.env.CHARGEBEE_SIMULATOR_PORT ?? 12113);

/** A URL as printed: the password (if any) replaced, never shown. */
function redactUrl(url) {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

function step(cmd, args, env = process.env) {
  const res = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env });
  if (res.status !== 0) {
    console.error(`[dev] ${[cmd, ...args].join(' ')} failed`);
    process.exit(res.status ?? 1);
  }
}

const COLORS = [36, 35, 33, 32, 34, 37, 91];
function pipeLogs(name, color, stream) {
  let buffer = '';
  stream.on('data', (chunk) => {
    buffer += chunk.toString();
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      let text = line;
      try {
        const parsed = JSON.parse(line);
        const { level, msg } = parsed;
        const rest = Object.fromEntries(
          Object.entries(parsed).filter(
            ([k]) => !['level', 'msg', 'time', 'service', 'pid', 'hostname', 'reqId'].includes(k),
          ),
        );
        const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
        text = `${String(level).padEnd(5)} ${msg}${extra.length > 300 ? `${extra.slice(0, 300)}…` : extra}`;
      } catch {
        // not JSON: print as is
      }
      process.stdout.write(`\x1b[${color}m[${name.padEnd(11)}]\x1b[0m ${text}\n`);
    }
  });
}

// Migrations (and the demo's counts) run as the owner; the services connect as the stack's login
// role, under row-level security as in production (DATABASE_APP_URL overrides it; a DATABASE_URL of
// your own without DATABASE_APP_URL is used for both).
const ownerDatabaseUrl = process.env.DATABASE_URL ?? stack.databaseUrl;
const appDatabaseUrl =
  process.env.DATABASE_APP_URL ??
  (process.env.DATABASE_URL ? ownerDatabaseUrl : stack.appDatabaseUrl);
const env = {
  ...process.env,
  DATABASE_URL: appDatabaseUrl,
  KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? stack.kafkaBrokers,
  ADMIN_API_TOKEN: process.env.ADMIN_API_TOKEN ?? DEV_DEFAULTS.ADMIN_API_TOKEN,
  ENCRYPTION_KEYS: process.env.ENCRYPTION_KEYS ?? DEV_DEFAULTS.ENCRYPTION_KEYS,
  // The demo connection points at the simulator; the api accepts only listed base URLs.
  API_ALLOWED_PROVIDER_BASE_URLS:
    process.env.API_ALLOWED_PROVIDER_BASE_URLS ??
    `http://127.0.0.1:${SIMULATOR_PORT},http://127.0.0.1:${WALKTHROUGH_SIMULATOR_PORT},http://127.0.0.1:${CHARGEBEE_SIMULATOR_PORT}`,
  HOST: process.env.HOST ?? '127.0.0.1',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  KAFKAJS_NO_PARTITIONER_WARNING: '1',
};

// Every service's configuration is checked before anything starts: a bad setting is one clear line
// and exit 1 within seconds, not a half-started stack.
{
  const envs = Object.fromEntries(
    SERVICES.map(({ name, port }) => [name, { ...env, PORT: String(port) }]),
  );
  const preflight = spawnSync(tsx, ['--conditions=@paysync/source', 'scripts/dev/preflight.ts'], {
    cwd: root,
    input: JSON.stringify(envs),
    stdio: ['pipe', 'inherit', 'inherit'],
  });
  if (preflight.status !== 0) {
    console.error(
      preflight.status === 3
        ? '[dev] not started: fix the setting(s) above'
        : `[dev] not started: the configuration check itself failed (exit ${preflight.status ?? preflight.signal})`,
    );
    process.exit(1);
  }
}

step(process.execPath, ['scripts/stack/stack.mjs', 'up']);
step(process.execPath, ['scripts/db/generate.mjs']);
step(tsx, ['--conditions=@paysync/source', 'scripts/db/migrate.ts'], {
  ...process.env,
  DATABASE_URL: ownerDatabaseUrl,
  ...(appDatabaseUrl !== ownerDatabaseUrl && {
    DATABASE_APP_ROLE: decodeURIComponent(new URL(appDatabaseUrl).username),
  }),
});

const simulatorArgs = [
  'libs/simulator/src/cli.ts',
  'serve',
  '--port',
  String(SIMULATOR_PORT),
  ...['--customers', '200', '--products', '10', '--prices', '20', '--subscriptions', '50'],
  ...['--invoices', '50', '--payment_intents', '50', '--charges', '50'],
];
const processes = [
  // Each service loads its OpenTelemetry bootstrap first (off unless OTEL_* variables ask for it).
  ...SERVICES.map(({ name, port }) => ({
    name,
    args: ['--import', `./services/${name}/src/instrumentation.ts`, `services/${name}/src/main.ts`],
    port,
  })),
  { name: 'simulator', args: simulatorArgs, port: undefined },
  {
    name: 'simulator-2',
    args: [
      'libs/simulator/src/cli.ts',
      'serve',
      ...['--port', String(WALKTHROUGH_SIMULATOR_PORT), '--account', 'acct_sim0000000002'],
      ...['--customers', '25', '--products', '3', '--prices', '5', '--subscriptions', '5'],
    ],
    port: undefined,
  },
];
const children = processes.map(({ name, args, port }, i) => {
  const child = spawn(tsx, ['--conditions=@paysync/source', ...args], {
    cwd: root,
    env: { ...env, ...(port && { PORT: String(port) }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  pipeLogs(name, COLORS[i % COLORS.length], child.stdout);
  pipeLogs(name, COLORS[i % COLORS.length], child.stderr);
  const stderrTail = [];
  child.stderr.on('data', (chunk) => {
    stderrTail.push(chunk.toString());
    if (stderrTail.length > 20) stderrTail.shift();
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      const reason = stderrTail.join('').trim().split('\n').slice(-6).join('\n  ');
      console.error(
        `[dev] ${name} exited (${signal ?? code}) ${ready ? '' : 'before it was ready '}— stopping the others${reason ? `\n  ${reason}` : ''}`,
      );
      void shutdown(1);
    }
  });
  return { name, port, child };
});

let stopping = false;
let ready = false;
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  console.log('\n[dev] stopping services (the stack keeps running; `npm run stack:down` stops it)');
  await Promise.all(
    children.map(
      ({ child }) =>
        new Promise((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', resolve);
          child.kill('SIGTERM');
        }),
    ),
  );
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

async function waitReady({ name, port }) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && !stopping) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/ready`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  if (stopping) throw new Error('a service stopped during start-up');
  throw new Error(`${name} did not become ready on port ${port}`);
}

try {
  await Promise.all(children.filter((c) => c.port).map(waitReady));
  ready = true;
} catch (err) {
  console.error(`[dev] ${err.message}`);
  await shutdown(1);
}
// shutdown() exits the process; nothing below runs once a service failed.
if (stopping) await new Promise(() => {});

// Demo data: a workspace with a Stripe connection to the simulator and a Chargebee connection to a
// simulated Chargebee site, and steady activity at both whose webhooks flow through ingress →
// Kafka → processor → PostgreSQL, summarised per provider every 5 s.
const demo = spawn(tsx, ['--conditions=@paysync/source', 'scripts/demo/demo.ts'], {
  cwd: root,
  env: {
    ...env,
    // Totals over the whole database: the owner's view, not a tenant's.
    DATABASE_URL: ownerDatabaseUrl,
    SIMULATOR_URL: `http://127.0.0.1:${SIMULATOR_PORT}`,
    CHARGEBEE_SIMULATOR_PORT: String(CHARGEBEE_SIMULATOR_PORT),
    INGRESS_URL: 'http://127.0.0.1:3001',
    API_URL: 'http://127.0.0.1:3000',
  },
  stdio: ['ignore', 'pipe', 'pipe'],
});
pipeLogs('demo', COLORS[6], demo.stdout);
pipeLogs('demo', COLORS[6], demo.stderr);
children.push({ name: 'demo', port: undefined, child: demo });

console.log(`
\x1b[1mpaysync is running\x1b[0m
  api          http://127.0.0.1:3000   (admin token: ${env.ADMIN_API_TOKEN})
  ingress      http://127.0.0.1:3001   (webhooks: POST /webhooks/{provider}/{connectionId})
  simulator    http://127.0.0.1:${SIMULATOR_PORT}   (fake Stripe; GET /_sim/stats)
  simulator-2  http://127.0.0.1:${WALKTHROUGH_SIMULATOR_PORT}   (a second fake Stripe account, for the README walk-through)
  chargebee    http://127.0.0.1:${CHARGEBEE_SIMULATOR_PORT}   (fake Chargebee site paysync-demo-test, 150 requests/min, run by the demo; GET /_sim/stats)
  processor    http://127.0.0.1:3002/metrics
  sync-runner  http://127.0.0.1:3003/metrics
  recovery     http://127.0.0.1:3004/metrics
  PostgreSQL   ${redactUrl(appDatabaseUrl)} (services; migrations: ${redactUrl(ownerDatabaseUrl)})
  Kafka        ${env.KAFKA_BROKERS}
Demo: workspace "demo" with a Stripe connection to the simulator and a Chargebee connection to
the fake Chargebee site; both are backfilled, then their activity flows as webhooks (Stripe
signed, Chargebee with HTTP Basic credentials) through ingress → Kafka → processor → PostgreSQL
([demo] lines below every 5 s: rows and events per provider).
Ctrl-C stops the services.
`);
