import type { Db } from '@paysync/db';
import { StripeSimulator } from '@paysync/simulator';

import {
  BackfillHarness,
  ProviderProxy,
  type SyncRunnerApp,
} from '../../testing/backfill-harness.js';

// Issue 19 item 3 (Stripe Connect): a platform connection with `settings.connect` lists its
// connected accounts (GET /v1/accounts), then lists each account's objects with the
// `Stripe-Account` header into rows carrying that account (`provider_account_id`), fairly: the
// accounts' units progress together, not one account after another. The platform's own objects
// are synced as before (no account).

const ACCOUNTS = 3;
const CUSTOMERS = 25; // per connected account: 3 pages of 10
const PRODUCTS = 4;
const PRICES = 6;
const OWN_CUSTOMERS = 5;

/** `acct_simc0000000002` → `c2`: the tag of a connected account's ids. */
function tagOf(account: string): string {
  return `c${Number(account.replace(/\D/g, ''))}`;
}

let h: BackfillHarness;
let prisma: Db;
let sim: StripeSimulator;
let proxy: ProviderProxy;
/**
 * Every GET through the proxy, in the order it arrived: which account it was for (`Stripe-Account`,
 * '' for the platform's own) and its path. A connected account's ids carry its tag (`cus_simc<n>…`),
 * unique across accounts as Stripe's are.
 */
const calls: { account: string; path: string }[] = [];
let runner: SyncRunnerApp;
let accounts: string[];

beforeAll(async () => {
  h = await BackfillHarness.open();
  prisma = h.prisma;
  sim = new StripeSimulator({
    seed: { customers: OWN_CUSTOMERS, products: 0, prices: 0 },
    connectedAccounts: Array.from({ length: ACCOUNTS }, () => ({
      seed: { customers: CUSTOMERS, products: PRODUCTS, prices: PRICES },
    })),
  });
  accounts = sim.connectedAccounts().map((a) => a.accountId);
  proxy = await ProviderProxy.start(await sim.start(), {
    intercept: (url, req) => {
      const account = req.headers['stripe-account'];
      if (req.method === 'GET')
        calls.push({ account: typeof account === 'string' ? account : '', path: url.pathname });
      return undefined;
    },
  });
  runner = await h.startRunner('connect', proxy.url, {
    SYNC_POLL_INTERVAL_MS: '100',
    SYNC_SEGMENTS_PER_ENTITY: '1',
    SYNC_PAGE_SIZE: '10',
    SYNC_RUNNER_CONCURRENCY: '3',
  });
}, 60_000);

afterAll(() => h?.close(runner, proxy, sim));

interface Row {
  external_id: string;
  provider_account_id: string | null;
  product_external_id?: string | null;
}

it("a Connect platform with 3 connected accounts: each account's objects land in rows carrying its account, the accounts progressing together", async () => {
  expect(accounts).toHaveLength(ACCOUNTS);
  const c = await h.tenant('connect', { apiBaseUrl: proxy.url, rateLimitPerSecond: 500 });
  await prisma.workspacePaymentConfiguration.update({
    where: { id: c.id },
    data: { settings: { ...c.settings, connect: true } },
  });
  // The last account is linked already, to another workspace's connection: the backfill syncs it
  // but does not take the link over.
  const elsewhere = await h.tenant('connect-elsewhere', { apiBaseUrl: proxy.url });
  const linkedElsewhere = accounts.at(-1) as string;
  await prisma.workspaceProviderAccount.create({
    data: {
      provider: 'stripe',
      providerAccountId: linkedElsewhere,
      workspaceId: elsewhere.workspaceId,
      configurationId: elsewhere.id,
    },
  });
  const session = await h.startSession(c, ['customer', 'product', 'price']);
  const done = await h.finished(session.id, { timeoutMs: 90_000, what: 'the Connect backfill' });
  expect(done.status).toBe('completed');

  const customers = await prisma.$queryRaw<Row[]>`
    SELECT external_id, provider_account_id FROM customers WHERE workspace_id = ${c.workspaceId}::uuid`;
  const prices = await prisma.$queryRaw<Row[]>`
    SELECT external_id, provider_account_id, product_external_id FROM prices WHERE workspace_id = ${c.workspaceId}::uuid`;
  const products = await prisma.$queryRaw<Row[]>`
    SELECT external_id, provider_account_id FROM products WHERE workspace_id = ${c.workspaceId}::uuid`;
  const of = (rows: Row[], account: string | null) =>
    rows.filter((r) => r.provider_account_id === account);

  // The platform's own objects: no account.
  expect(of(customers, null)).toHaveLength(OWN_CUSTOMERS);
  expect(of(customers, null).every((r) => /^cus_sim\d{10}$/.test(r.external_id))).toBe(true);
  for (const account of accounts) {
    const tag = tagOf(account);
    // Exactly this account's objects (listed with its Stripe-Account header), in its rows.
    for (const [rows, n] of [
      [customers, CUSTOMERS],
      [products, PRODUCTS],
      [prices, PRICES],
    ] as const) {
      const mine = of(rows, account);
      expect(mine).toHaveLength(n);
      expect(mine.every((r) => r.external_id.includes(`_sim${tag}`))).toBe(true);
    }
    // A price's product is its own account's product.
    expect(of(prices, account).every((r) => r.product_external_id?.includes(`_sim${tag}`))).toBe(
      true,
    );
  }
  expect(customers).toHaveLength(OWN_CUSTOMERS + ACCOUNTS * CUSTOMERS);

  // The accounts were listed once (GET /v1/accounts), then their units ran with their header.
  const units = await prisma.syncUnit.findMany({ where: { sessionId: session.id } });
  expect(units.filter((u) => u.entityType === 'connected_accounts')).toHaveLength(1);
  for (const account of accounts)
    expect(
      units
        .filter((u) => u.providerAccountId === account)
        .map((u) => u.entityType)
        .sort(),
    ).toEqual(['customer', 'price', 'product']);
  expect(units.every((u) => u.status === 'done')).toBe(true);

  // Planning the accounts linked them to the platform connection (`workspace_provider_accounts`,
  // where the ingress finds the platform of a Connect webhook posted to the URL naming no
  // connection), except the one linked elsewhere already.
  const links = await prisma.workspaceProviderAccount.findMany({
    where: { providerAccountId: { in: accounts } },
  });
  const linkOf = (account: string) => {
    const link = links.find((l) => l.providerAccountId === account);
    return (
      link && {
        provider: link.provider,
        workspaceId: link.workspaceId,
        configurationId: link.configurationId,
      }
    );
  };
  expect(links).toHaveLength(ACCOUNTS);
  for (const account of accounts.filter((a) => a !== linkedElsewhere))
    expect(linkOf(account)).toEqual({
      provider: 'stripe',
      workspaceId: c.workspaceId,
      configurationId: c.id,
    });
  expect(linkOf(linkedElsewhere)).toEqual({
    provider: 'stripe',
    workspaceId: elsewhere.workspaceId,
    configurationId: elsewhere.id,
  });

  // Fair across accounts: every account's listing started before any account's listing ended.
  const listings = calls
    .map((call, i) => ({ ...call, i }))
    .filter((call) => call.account !== '' && call.path !== '/v1/accounts');
  const first = accounts.map((a) =>
    Math.min(...listings.filter((l) => l.account === a).map((l) => l.i)),
  );
  const last = accounts.map((a) =>
    Math.max(...listings.filter((l) => l.account === a).map((l) => l.i)),
  );
  expect(Math.max(...first)).toBeLessThan(Math.min(...last));

  // Rate limits are the platform's: no bucket of a connected account's own.
  const buckets = await prisma.providerRateLimit.findMany();
  expect(buckets.length).toBeGreaterThan(0);
  expect(buckets.filter((b) => accounts.some((a) => b.key.includes(a)))).toEqual([]);
}, 120_000);
