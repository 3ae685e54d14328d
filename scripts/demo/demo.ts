// The demo half of `npm run dev`: a demo workspace with a Stripe connection pointed at the
// simulator, its webhook endpoint registered the way a user would (the simulator returns the
// signing secret, stored encrypted), then steady provider activity and a summary every few
// seconds of what reached PostgreSQL.
import { ENTITY_TYPES } from '@paysync/contracts';
import { KeyRing } from '@paysync/crypto';
import { ConnectionRepository, SyncedEntityReader, createPrismaClient } from '@paysync/db';
import { createBillingProvider } from '@paysync/providers';

const env = process.env;
const databaseUrl = env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:55432/paysync';
const simulatorUrl = env.SIMULATOR_URL ?? 'http://127.0.0.1:12111';
const ingressUrl = env.INGRESS_URL ?? 'http://127.0.0.1:3001';
const keyRing = KeyRing.fromString(env.ENCRYPTION_KEYS ?? '');
const API_KEY = 'sk_test_paysync_demo_key';

const prisma = createPrismaClient({ url: databaseUrl, poolMax: 2, statementTimeoutMs: 10_000 });
const connections = new ConnectionRepository({ prisma, keyRing });

const workspace =
  (await prisma.workspace.findFirst({ where: { name: 'demo' } })) ??
  (await prisma.workspace.create({ data: { name: 'demo' } }));
let connection = (await connections.list(workspace.id)).find(
  (c) => c.settings.apiBaseUrl === simulatorUrl,
);
connection ??= await connections.create({
  workspaceId: workspace.id,
  provider: 'stripe',
  mode: 'test',
  apiKey: API_KEY,
  settings: { apiBaseUrl: simulatorUrl },
});
const provider = createBillingProvider({
  provider: 'stripe',
  apiKey: API_KEY,
  apiBaseUrl: simulatorUrl,
});
const { accountId } = await provider.testConnection();
await connections.linkProviderAccount(connection, accountId);
const endpoint = await provider.registerWebhookEndpoint(
  `${ingressUrl}/webhooks/stripe/${connection.id}`,
);
if (endpoint.secret)
  connection = await connections.update(workspace.id, connection.id, {
    webhookSecrets: [endpoint.secret],
  });
console.log(
  `demo workspace ${workspace.id}, Stripe connection ${connection.id} → simulator ${simulatorUrl} (account ${accountId})`,
);

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
