// The peer, @stripe/sync-engine, run the way its README suggests a user runs it, in a process of
// its own so its CPU time can be read from /proc:
//
//   node stripe-sync-engine.mjs migrate    creates its schema (OpenAPI spec from PEER_OPENAPI_SPEC)
//   node stripe-sync-engine.mjs serve      an HTTP server on 127.0.0.1:PEER_PORT whose POST /webhooks
//                                          answers after processWebhook() wrote the event (200), or
//                                          400 (bad signature) / 500 (anything else)
//   node stripe-sync-engine.mjs backfill   fullSync() of PEER_OBJECTS; prints one JSON line
//
// Its Stripe client has no host setting: Stripe.prototype._getPropsFromConfig of the `stripe` copy
// the engine imports is wrapped to point it at the simulator (PEER_STRIPE_BASE_URL), and every mode
// checks afterwards that the client really points there.
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';

import { StripeSync, runMigrations } from '@stripe/sync-engine';
import Stripe from 'stripe';

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
};

const simulator = new URL(env('PEER_STRIPE_BASE_URL'));
const original = Stripe.prototype._getPropsFromConfig;
if (typeof original !== 'function') throw new Error('stripe: _getPropsFromConfig not found');
Stripe.prototype._getPropsFromConfig = function pointAtSimulator(config) {
  return {
    ...original.call(this, config),
    host: simulator.hostname,
    port: simulator.port,
    protocol: simulator.protocol.replace(':', ''),
  };
};

const databaseUrl = env('PEER_DATABASE_URL');
const logger = {
  info() {},
  warn: (...args) => console.error('[peer warn]', ...args),
  error: (...args) => console.error('[peer error]', ...args),
  debug() {},
  trace() {},
  fatal: (...args) => console.error('[peer fatal]', ...args),
  child() {
    return logger;
  },
};

async function engine() {
  const sync = await StripeSync.create({
    poolConfig: { connectionString: databaseUrl, max: Number(env('PEER_POOL_MAX', '10')) },
    stripeSecretKey: env('PEER_STRIPE_KEY'),
    stripeWebhookSecret: process.env.PEER_WEBHOOK_SECRET,
    backfillRelatedEntities: false,
    logger,
  });
  const api = sync.stripe._api;
  if (api.host !== simulator.hostname || String(api.port) !== simulator.port) {
    throw new Error(
      `the peer's Stripe client points at ${api.host}:${api.port}, not the simulator`,
    );
  }
  return sync;
}

const mode = process.argv[2];
if (mode === 'migrate') {
  await runMigrations({
    databaseUrl,
    openApiSpecPath: env('PEER_OPENAPI_SPEC'),
    logger,
  });
  console.log(JSON.stringify({ migrated: true }));
} else if (mode === 'serve') {
  const sync = await engine();
  const server = createServer((req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(404).end();
      return;
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      sync.webhook.processWebhook(body, req.headers['stripe-signature']).then(
        () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}'),
        (err) => {
          const signature = /signature/i.test(String(err?.message));
          if (!signature) console.error('[peer] webhook failed:', err?.message ?? err);
          res.writeHead(signature ? 400 : 500).end();
        },
      );
    });
  });
  server.keepAliveTimeout = 65_000;
  const port = Number(env('PEER_PORT'));
  server.listen(port, '127.0.0.1', () => console.log(JSON.stringify({ listening: port })));
  const stop = () => server.close(() => sync.close().then(() => process.exit(0)));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else if (mode === 'backfill') {
  const sync = await engine();
  const objects = env('PEER_OBJECTS', 'product,price,customer,subscription').split(',');
  const started = performance.now();
  const result = await sync.fullSync(
    objects,
    true,
    Number(env('PEER_WORKERS', '20')),
    Number(env('PEER_RATE_LIMIT', '25')),
    false,
  );
  const seconds = (performance.now() - started) / 1000;
  await sync.close();
  console.log(JSON.stringify({ seconds, totals: result.totals, errors: result.errors }));
} else {
  console.error('usage: node stripe-sync-engine.mjs migrate|serve|backfill');
  process.exit(2);
}
