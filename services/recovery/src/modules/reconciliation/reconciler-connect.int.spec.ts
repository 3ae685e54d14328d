import type { CanonicalChange } from '@paysync/contracts';
import {
  ConnectionRepository,
  ReconciliationRepository,
  SyncWriteRepository,
  type Db,
} from '@paysync/db';
import { StripeProvider } from '@paysync/providers';
import { StripeSimulator } from '@paysync/simulator';

import { startRecoveryHarness, type RecoveryHarness } from '../../testing/recovery-harness.js';

// Issue 19 item 3 (Stripe Connect): reconciliation checks deletions per account. A workspace with
// several Stripe connections cannot attribute rows of no account to one of them, so the
// platform's own rows are left unverified (as before); a connected account's rows carry its
// account, so they are listed with its `Stripe-Account`, compared with its rows alone, and its
// deletions are confirmed by a retrieve as that account.

const API_KEY = 'sk_test_reconcileConnect1';
let h: RecoveryHarness;
let prisma: Db;
let sim: StripeSimulator;
let other: StripeSimulator;
let workspaceId: string;
let configurationId: string;
let accountA: string;
let accountB: string;

/** A local row of `id` (a customer) in `accountId`, as a sync would have written it. */
function localRow(template: CanonicalChange, id: string, accountId: string | null) {
  return { ...template, externalId: id, raw: { ...(template.raw as object), id }, accountId };
}

beforeAll(async () => {
  // The simulator numbers each account's objects on its own: account A has customers 1–3,
  // account B and the platform none, so no id is in two accounts.
  sim = new StripeSimulator({
    seed: { customers: 0 },
    connectedAccounts: [{ seed: { customers: 3 } }, { seed: { customers: 0 } }],
  });
  [accountA, accountB] = sim.connectedAccounts().map((a) => a.accountId) as [string, string];
  other = new StripeSimulator({ accountId: 'acct_simother000002', seed: { customers: 0 } });
  const simUrl = await sim.start();
  const otherUrl = await other.start();
  h = await startRecoveryHarness({
    name: 'reconcile-connect',
    env: { API_ALLOWED_PROVIDER_BASE_URLS: `${simUrl},${otherUrl}` },
  });
  prisma = h.prisma;
  ({ workspaceId, configurationId } = await h.stripeConnection('reconcile-connect', {
    apiKey: API_KEY,
    settings: { apiBaseUrl: simUrl, rateLimitPerSecond: 1000, connect: true },
  }));
  // A second Stripe connection in the same workspace: rows of no account are not attributable.
  await new ConnectionRepository({
    prisma,
    keyRing: h.app.diContainer.cradle.keyRing,
  }).create({
    workspaceId,
    provider: 'stripe',
    mode: 'test',
    apiKey: 'sk_test_reconcileOther2',
    settings: { apiBaseUrl: otherUrl },
  });

  // Account A's customers as a Connect backfill writes them (its account on each row), one
  // local row per account that its account no longer has, and one of the platform's own.
  const asA = new StripeProvider({ apiKey: API_KEY, apiBaseUrl: simUrl, accountId: accountA });
  const page = await asA.listPage('customer', { limit: 100 }, { workspaceId, source: 'backfill' });
  expect(page.changes).toHaveLength(3);
  expect(page.changes.every((c) => c.accountId === accountA)).toBe(true);
  const writes = new SyncWriteRepository({ prisma });
  await writes.applyChanges(page.changes);
  const template = page.changes[0] as CanonicalChange;
  await writes.applyChanges([
    localRow(template, 'cus_gone_in_a', accountA),
    localRow(template, 'cus_gone_in_b', accountB),
    localRow(template, 'cus_own_unattributed', null),
  ]);
}, 60_000);

afterAll(async () => {
  await h?.close();
  await sim?.stop();
  await other?.stop();
});

it("checks each connected account's deletions against its own rows, even with several connections", async () => {
  const runs = new ReconciliationRepository({ prisma });
  const created = await runs.create({
    workspaceId,
    configurationId,
    provider: 'stripe',
    entityTypes: ['customer'],
    repair: true,
    trigger: 'manual',
    requestedBy: 'test',
  });
  const done = await h.app.diContainer.cradle.reconciler.runNext();
  expect(done).toEqual({ id: created.id, status: 'completed' });
  const report = (await runs.get(workspaceId, created.id)).report.customer as unknown as {
    deletionCheck: string;
    deleted: number;
    unverified: number;
    providerCount: number;
    accounts: Record<
      string,
      {
        deletionCheck: string;
        deleted: number;
        providerCount: number;
        localCount: number;
        samples: { deleted: string[] };
      }
    >;
  };
  // The platform's own rows: another connection could own them, nothing is deleted.
  expect(report.deletionCheck).toBe('skipped_several_connections');
  expect(report.unverified).toBe(1);
  // Each connected account: listed as itself, its unlisted row confirmed gone and deleted.
  expect(report.accounts[accountA]).toMatchObject({
    deletionCheck: 'done',
    providerCount: 3,
    localCount: 4,
    deleted: 1,
    samples: { deleted: ['cus_gone_in_a'] },
  });
  expect(report.accounts[accountB]).toMatchObject({
    deletionCheck: 'done',
    providerCount: 0,
    localCount: 1,
    deleted: 1,
    samples: { deleted: ['cus_gone_in_b'] },
  });
  expect(report.deleted).toBe(2);
  expect(report.providerCount).toBe(3);

  const rows = await prisma.$queryRaw<
    { external_id: string; provider_account_id: string | null; deleted: boolean }[]
  >`SELECT external_id, provider_account_id, deleted_at IS NOT NULL AS deleted FROM customers
     WHERE workspace_id = ${workspaceId}::uuid ORDER BY external_id`;
  const deleted = rows.filter((r) => r.deleted).map((r) => r.external_id);
  expect(deleted.sort()).toEqual(['cus_gone_in_a', 'cus_gone_in_b']);
  // The tombstones stay in their accounts; the platform's row is untouched.
  expect(rows.find((r) => r.external_id === 'cus_gone_in_b')?.provider_account_id).toBe(accountB);
  expect(rows.find((r) => r.external_id === 'cus_own_unattributed')?.deleted).toBe(false);
}, 60_000);
