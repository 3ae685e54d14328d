// The demo half of `npm run dev`: set up through the management API exactly as a user would
// (README's curl walk-through): a workspace, a Stripe connection pointed at the simulator, a
// connection test, the webhook endpoint registered (the simulator returns the signing secret,
// stored encrypted); beside it a Chargebee connection to a simulated Chargebee site (chargebee.ts:
// site + key, test, webhook URL with generated Basic credentials). Each is backfilled, then
// reconciled; steady activity at both providers flows in as webhooks, and every few seconds the
// demo prints what reached PostgreSQL, per provider.
import { ENTITY_TYPES, type ProviderName } from '@paysync/contracts';
import { ENTITY_TABLES, createPrismaClient } from '@paysync/db';

import { startChargebeeDemo, type ChargebeeDemo } from './chargebee.js';

const env = process.env;
const databaseUrl = env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:55432/paysync';
const simulatorUrl = env.SIMULATOR_URL ?? 'http://127.0.0.1:12111';
const ingressUrl = env.INGRESS_URL ?? 'http://127.0.0.1:3001';
const apiUrl = env.API_URL ?? 'http://127.0.0.1:3000';
const chargebeePort = Number(env.CHARGEBEE_SIMULATOR_PORT ?? 12113);
const adminToken = env.ADMIN_API_TOKEN ?? '';
const API_KEY = 'sk_test_paysyncDemoKey';

async function api<T = Record<string, unknown>>(
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${apiUrl}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
  return (text ? JSON.parse(text) : {}) as T;
}

type Page<T> = { data: T[]; nextCursor: string | null };
const existing = (
  await api<Page<{ id: string; name: string }>>(adminToken, 'GET', '/workspaces?limit=200')
).data.find((w) => w.name === 'demo');
let workspaceId: string;
let key: string;
if (existing) {
  workspaceId = existing.id;
  key = (
    await api<{ apiKey: string }>(adminToken, 'POST', `/workspaces/${workspaceId}/api-keys`, {
      name: 'demo run',
      // It adds connections below: that needs the admin scope (a new key defaults to read).
      scopes: ['admin'],
    })
  ).apiKey;
} else {
  const created = await api<{ id: string; apiKey: string }>(adminToken, 'POST', '/workspaces', {
    name: 'demo',
  });
  workspaceId = created.id;
  key = created.apiKey;
}
const ws = `/workspaces/${workspaceId}`;
const connections = await api<
  Page<{ id: string; provider: string; settings: { apiBaseUrl?: string } }>
>(key, 'GET', `${ws}/sync/config`);
const connectionId =
  connections.data.find((c) => c.provider === 'stripe' && c.settings.apiBaseUrl === simulatorUrl)
    ?.id ??
  (
    await api<{ id: string }>(key, 'POST', `${ws}/sync/config`, {
      provider: 'stripe',
      apiKey: API_KEY,
      settings: { apiBaseUrl: simulatorUrl },
    })
  ).id;
const test = await api<{ accountId: string; latencyMs: number }>(
  key,
  'POST',
  `${ws}/sync/config/${connectionId}/test`,
);
const endpoint = await api<{ endpointId: string; created: boolean }>(
  key,
  'POST',
  `${ws}/sync/config/${connectionId}/webhook-endpoint`,
  { url: `${ingressUrl}/webhooks/stripe/${connectionId}` },
);
console.log(
  `demo workspace ${workspaceId}: Stripe connection ${connectionId} → simulator ${simulatorUrl} ` +
    `(account ${test.accountId}, test ${test.latencyMs} ms, webhook endpoint ${endpoint.endpointId})`,
);
console.log(
  `read API: curl -H 'authorization: Bearer ${key}' ${apiUrl}/api/v1${ws}/customers?limit=5`,
);
// The Chargebee site beside the Stripe account (the Stripe demo goes on if it cannot start).
let chargebee: ChargebeeDemo | undefined;
try {
  chargebee = await startChargebeeDemo({
    api,
    key,
    workspacePath: ws,
    ingressUrl,
    port: chargebeePort,
  });
} catch (err) {
  console.error(`Chargebee demo not started: ${(err as Error).message}`);
}

/**
 * A backfill of everything the provider holds, run by the sync-runner (409: one is running), then
 * a reconciliation once it completed.
 */
async function backfill(provider: ProviderName): Promise<void> {
  const sync = await fetch(`${apiUrl}/api/v1${ws}/sync/${provider}/initial`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
  });
  const syncBody = (await sync.json()) as { sessionId?: string; code?: string };
  if (!syncBody.sessionId) {
    console.log(`${provider} backfill not started: ${syncBody.code ?? sync.status}`);
    return;
  }
  const sessionId = syncBody.sessionId;
  console.log(
    `${provider} backfill session ${sessionId} started (GET ${ws}/sync/sessions/${sessionId})`,
  );
  const watch = setInterval(() => {
    void api<{ status: string; progress: Record<string, { fetched?: number }> }>(
      key,
      'GET',
      `${ws}/sync/sessions/${sessionId}`,
    )
      .then((s) => {
        if (s.status === 'running' || s.status === 'pending') return;
        clearInterval(watch);
        const fetched = Object.entries(s.progress)
          .map(([t, p]) => `${t}=${p.fetched ?? 0}`)
          .join(' ');
        console.log(`${provider} backfill session ${s.status}: fetched ${fetched}`);
        if (s.status === 'completed') void reconcile(provider);
      })
      .catch((err: unknown) => console.error(`session watch failed: ${(err as Error).message}`));
  }, 2000);
}
await backfill('stripe');
if (chargebee) await backfill('chargebee');

/** After the backfill: the recovery service compares the data with the provider (report only). */
async function reconcile(provider: ProviderName): Promise<void> {
  const started = await api<{ reconciliationId?: string; code?: string }>(
    key,
    'POST',
    `${ws}/sync/reconcile`,
    { provider },
  ).catch((err: unknown) => ({ code: (err as Error).message, reconciliationId: undefined }));
  if (!started.reconciliationId) {
    console.log(`${provider} reconciliation not started: ${started.code ?? 'unknown'}`);
    return;
  }
  const id = started.reconciliationId;
  console.log(`${provider} reconciliation ${id} requested (GET ${ws}/sync/reconciliations/${id})`);
  const poll = setInterval(() => {
    void api<{ status: string; totals: Record<string, number> }>(
      key,
      'GET',
      `${ws}/sync/reconciliations/${id}`,
    )
      .then((r) => {
        if (r.status === 'pending' || r.status === 'running') return;
        clearInterval(poll);
        const t = r.totals;
        console.log(
          `${provider} reconciliation ${r.status}: missing=${t.missing} stale=${t.stale} deleted=${t.deleted} ` +
            '(webhooks still in flight count as drift for a moment; rows an earlier `npm run dev` ' +
            'created in a simulator that has since restarted empty are gone at the provider: deleted)',
        );
      })
      .catch((err: unknown) =>
        console.error(`reconciliation watch failed: ${(err as Error).message}`),
      );
  }, 2000);
}

const prisma = createPrismaClient({ url: databaseUrl, poolMax: 2, statementTimeoutMs: 10_000 });
const workspace = { id: workspaceId };

// Provider activity: the simulator's own API, as a tenant's Stripe account would see it.
async function stripe(method: string, path: string, form: Record<string, string> = {}) {
  const res = await fetch(`${simulatorUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${API_KEY}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    ...(method !== 'GET' && { body: new URLSearchParams(form).toString() }),
  });
  return (await res.json()) as Record<string, unknown>;
}
let tick = 0;
const activity = setInterval(() => {
  tick++;
  const n = tick % 200;
  const actions = [
    () =>
      stripe('POST', '/v1/customers', { email: `demo${tick}@example.com`, name: `Demo ${tick}` }),
    () =>
      stripe('POST', `/v1/customers/cus_sim${String(n).padStart(10, '0')}`, {
        name: `Customer ${n} (edited ${tick})`,
      }),
    () =>
      stripe('POST', `/v1/subscriptions/sub_sim${String(n % 50).padStart(10, '0')}`, {
        cancel_at_period_end: String(tick % 2 === 0),
      }),
    () =>
      stripe('POST', `/v1/invoices/in_sim${String(n % 50).padStart(10, '0')}`, { status: 'paid' }),
    () => stripe('POST', '/v1/payment_intents', { amount: String(1000 + tick), currency: 'usd' }),
  ];
  void (actions[tick % actions.length] as () => Promise<unknown>)().catch((err: unknown) =>
    console.error(`activity failed: ${(err as Error).message}`),
  );
}, 400);

/** The workspace's rows per provider and entity type (every synced table). */
async function rowCounts(): Promise<Map<string, Map<string, number>>> {
  const counts = new Map<string, Map<string, number>>();
  for (const t of ENTITY_TYPES) {
    const rows = await prisma.$queryRawUnsafe<{ provider: string; n: number }[]>(
      `SELECT provider::text AS provider, count(*)::int AS n FROM "${ENTITY_TABLES[t].table}" WHERE workspace_id = $1::uuid GROUP BY provider`,
      workspace.id,
    );
    for (const { provider, n } of rows) {
      const mine = counts.get(provider) ?? new Map<string, number>();
      mine.set(t, n);
      counts.set(provider, mine);
    }
  }
  return counts;
}

/** The six entity types both providers sync are always shown; others once they have rows. */
const SHOWN: readonly string[] = [
  'customer',
  'product',
  'price',
  'subscription',
  'invoice',
  'payment_transaction',
];
const providers: readonly ProviderName[] = chargebee ? ['stripe', 'chargebee'] : ['stripe'];
const summary = setInterval(() => {
  void (async () => {
    const counts = await rowCounts();
    const events = await prisma.paymentSyncEvent.groupBy({
      by: ['provider', 'status'],
      where: { workspaceId: workspace.id },
      _count: true,
    });
    for (const provider of providers) {
      const mine = counts.get(provider) ?? new Map<string, number>();
      const rows = ENTITY_TYPES.filter((t) => SHOWN.includes(t) || (mine.get(t) ?? 0) > 0)
        .map((t) => `${t}=${mine.get(t) ?? 0}`)
        .join(' ');
      const byStatus = events
        .filter((e) => e.provider === provider)
        .map((e) => `${e.status}=${e._count}`)
        .join(' ');
      const deliveries =
        provider === 'chargebee' && chargebee
          ? ` | Basic-auth webhooks delivered=${chargebee.sim.webhooks.stats.delivered} failed=${chargebee.sim.webhooks.stats.failed}`
          : '';
      console.log(
        `${provider.padEnd(9)} rows: ${rows} | events: ${byStatus || 'none yet'}${deliveries}`,
      );
    }
  })().catch((err: unknown) => console.error(`summary failed: ${(err as Error).message}`));
}, 5000);

const stop = () => {
  clearInterval(activity);
  clearInterval(summary);
  void Promise.all([chargebee?.stop(), prisma.$disconnect()]).then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
