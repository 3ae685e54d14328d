// The demo half of `npm run dev`: set up through the management API exactly as a user would
// (README's curl walk-through): a workspace, a Stripe connection pointed at the simulator, a
// connection test, the webhook endpoint registered (the simulator returns the signing secret,
// stored encrypted). Then steady provider activity and, every few seconds, what reached
// PostgreSQL as the read API serves it.
import { ENTITY_TYPES } from '@paysync/contracts';
import { SyncedEntityReader, createPrismaClient } from '@paysync/db';

const env = process.env;
const databaseUrl = env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:55432/paysync';
const simulatorUrl = env.SIMULATOR_URL ?? 'http://127.0.0.1:12111';
const ingressUrl = env.INGRESS_URL ?? 'http://127.0.0.1:3001';
const apiUrl = env.API_URL ?? 'http://127.0.0.1:3000';
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
const connections = await api<Page<{ id: string; settings: { apiBaseUrl?: string } }>>(
  key,
  'GET',
  `${ws}/sync/config`,
);
const connectionId =
  connections.data.find((c) => c.settings.apiBaseUrl === simulatorUrl)?.id ??
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
// A backfill of everything the simulator holds, run by the sync-runner (409: one is running).
const sync = await fetch(`${apiUrl}/api/v1${ws}/sync/stripe/initial`, {
  method: 'POST',
  headers: { authorization: `Bearer ${key}` },
});
const syncBody = (await sync.json()) as { sessionId?: string; code?: string };
if (syncBody.sessionId) {
  const sessionId = syncBody.sessionId;
  console.log(`backfill session ${sessionId} started (GET ${ws}/sync/sessions/${sessionId})`);
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
        console.log(`backfill session ${s.status}: fetched ${fetched}`);
        if (s.status === 'completed') void reconcile();
      })
      .catch((err: unknown) => console.error(`session watch failed: ${(err as Error).message}`));
  }, 2000);
} else {
  console.log(`backfill not started: ${syncBody.code ?? sync.status}`);
}

/** After the backfill: the recovery service compares the data with the provider (report only). */
async function reconcile(): Promise<void> {
  const started = await api<{ reconciliationId?: string; code?: string }>(
    key,
    'POST',
    `${ws}/sync/reconcile`,
    { provider: 'stripe' },
  ).catch((err: unknown) => ({ code: (err as Error).message, reconciliationId: undefined }));
  if (!started.reconciliationId) {
    console.log(`reconciliation not started: ${started.code ?? 'unknown'}`);
    return;
  }
  const id = started.reconciliationId;
  console.log(`reconciliation ${id} requested (GET ${ws}/sync/reconciliations/${id})`);
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
          `reconciliation ${r.status}: missing=${t.missing} stale=${t.stale} deleted=${t.deleted} ` +
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

const reader = new SyncedEntityReader({ prisma });
const summary = setInterval(() => {
  void (async () => {
    const counts = await Promise.all(
      ENTITY_TYPES.map(async (t) => `${t}=${await reader.count(workspace.id, t)}`),
    );
    const events = await prisma.paymentSyncEvent.groupBy({
      by: ['status'],
      where: { workspaceId: workspace.id },
      _count: true,
    });
    console.log(
      `rows: ${counts.join(' ')} | events: ${events.map((e) => `${e.status}=${e._count}`).join(' ') || 'none yet'}`,
    );
  })().catch((err: unknown) => console.error(`summary failed: ${(err as Error).message}`));
}, 5000);

const stop = () => {
  clearInterval(activity);
  clearInterval(summary);
  void prisma.$disconnect().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
