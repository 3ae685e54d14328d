// The Chargebee half of the demo: a simulated Chargebee site (run here, on 127.0.0.1), connected to
// the demo workspace through the management API as the README's "Chargebee setup guide" does it —
// site + API key, a connection test, then "register webhook", which answers the URL and generated
// HTTP Basic credentials that the site's webhook settings get (what a user pastes in Settings →
// Configure Chargebee → Webhooks). Then a trickle of changes at the site, each delivered as a
// Basic-auth webhook to ingress.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';

import { ChargebeeSimulator, type ChargebeeResource } from '@paysync/simulator';

/** The demo's call of its management API (`token`, method, path under /api/v1, JSON body). */
export type DemoApi = <T = Record<string, unknown>>(
  token: string,
  method: string,
  path: string,
  body?: unknown,
) => Promise<T>;

export interface ChargebeeDemo {
  readonly sim: ChargebeeSimulator;
  readonly connectionId: string;
  stop(): Promise<void>;
}

const SITE = 'paysync-demo-test';
const API_KEY = 'test_paysyncDemoChargebeeKey';
/** What the site holds when it starts (every `npm run dev` starts it afresh, as the Stripe one). */
const SEED = {
  customer: 150,
  item: 5,
  item_price: 10,
  subscription: 60,
  invoice: 60,
  transaction: 60,
} satisfies Partial<Record<ChargebeeResource, number>>;

export async function startChargebeeDemo({
  api,
  key,
  workspacePath,
  ingressUrl,
  port,
}: {
  readonly api: DemoApi;
  readonly key: string;
  readonly workspacePath: string;
  readonly ingressUrl: string;
  readonly port: number;
}): Promise<ChargebeeDemo> {
  // The simulator's server would throw an unhandled EADDRINUSE: a busy port is an error here.
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', () => reject(new Error(`port ${port} is in use`)));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
  // Chargebee's own limit for a test site: 150 requests a minute (the sync-runner paces to it).
  const sim = new ChargebeeSimulator({
    site: SITE,
    apiKeys: [API_KEY],
    seed: SEED,
    rateLimitPerMinute: 150,
  });
  const simUrl = await sim.start(port);

  type Connection = { id: string; provider: string; settings: { apiBaseUrl?: string } };
  const existing = (
    await api<{ data: Connection[] }>(key, 'GET', `${workspacePath}/sync/config`)
  ).data.find((c) => c.provider === 'chargebee' && c.settings.apiBaseUrl === simUrl);
  const connectionId =
    existing?.id ??
    (
      await api<{ id: string }>(key, 'POST', `${workspacePath}/sync/config`, {
        provider: 'chargebee',
        apiKey: API_KEY,
        // `apiBaseUrl` only because the site is simulated: a real site needs just its name.
        settings: { site: SITE, apiBaseUrl: simUrl },
      })
    ).id;
  const config = `${workspacePath}/sync/config/${connectionId}`;
  const test = await api<{ accountId: string; mode: string; latencyMs: number }>(
    key,
    'POST',
    `${config}/test`,
  );
  const url = `${ingressUrl}/webhooks/chargebee/${connectionId}`;
  const endpoint = await api<{
    credentials: { username: string; password: string } | null;
    instructions: string | null;
  }>(key, 'POST', `${config}/webhook-endpoint`, { url });
  // The credentials are answered once. A connection from an earlier run kept its own (never
  // readable again), so this run gives it new ones, as a user who lost them would.
  const credentials = endpoint.credentials ?? {
    username: 'paysync-demo',
    password: randomBytes(24).toString('base64url'),
  };
  if (!endpoint.credentials) {
    await api(key, 'PUT', config, { webhookCredentials: [credentials] });
  }
  sim.addWebhookEndpoint(url, credentials.username, credentials.password);
  console.log(
    `Chargebee connection ${connectionId} → simulated site ${SITE} at ${simUrl} ` +
      `(test: account ${test.accountId}, ${test.mode}, ${test.latencyMs} ms); webhooks: ${url} with ` +
      `HTTP Basic user ${credentials.username} (password answered once by the API, not shown)` +
      `${endpoint.instructions ? `; at a real site: ${endpoint.instructions}` : ''}`,
  );

  // A trickle of changes at the site, as its users and billing runs make them.
  let tick = 0;
  const id = (prefix: string, n: number) => `${prefix}${String(n).padStart(8, '0')}`;
  // Objects created by this run get ids of their own: new rows on every run, not the last run's.
  const run = Date.now().toString(36);
  const actions: (() => void)[] = [
    () =>
      sim.create('customer', {
        id: `cbdemo_cus_${run}_${tick}`,
        first_name: 'Demo',
        last_name: String(tick),
        email: `cb-demo${tick}@example.com`,
      }),
    () =>
      sim.update('customer', id('cbsim_cus_', tick % SEED.customer), {
        first_name: `Edited ${tick}`,
      }),
    () =>
      sim.update('subscription', id('cbsim_sub_', tick % SEED.subscription), {
        meta_data: { demo_tick: String(tick) },
      }),
    () => {
      // An invoice falls due, or is paid again.
      const invoiceId = id('cbsim_inv_', tick % SEED.invoice);
      const total = Number(sim.getObject('invoice', invoiceId)?.total ?? 0);
      const paid = tick % 2 === 0;
      sim.update('invoice', invoiceId, {
        status: paid ? 'paid' : 'payment_due',
        amount_paid: paid ? total : 0,
        amount_due: paid ? 0 : total,
      });
    },
    () =>
      sim.create('transaction', {
        id: `cbdemo_txn_${run}_${tick}`,
        customer_id: id('cbsim_cus_', tick % SEED.customer),
        amount: 1000 + tick,
        date: sim.nowSeconds(),
      }),
  ];
  const trickle = setInterval(() => {
    tick++;
    try {
      (actions[tick % actions.length] as () => void)();
    } catch (err) {
      console.error(`Chargebee activity failed: ${(err as Error).message}`);
    }
  }, 1500);

  return {
    sim,
    connectionId,
    async stop() {
      clearInterval(trickle);
      await sim.stop();
    },
  };
}
