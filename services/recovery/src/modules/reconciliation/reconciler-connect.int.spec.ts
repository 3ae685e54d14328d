import type { CanonicalChange } from '@paysync/contracts';
import { ConnectionRepository, SyncWriteRepository, type Db } from '@paysync/db';
import { StripeProvider } from '@paysync/providers';
import { StripeSimulator } from '@paysync/simulator';

import {
  customerRows,
  localRows,
  startReconcilerHarness,
  type ReconcilerHarness,
} from '../../testing/reconciler-harness.js';

// Issue 19 item 3 (Stripe Connect): reconciliation checks deletions per account. A workspace with
// several Stripe connections cannot attribute rows of no account to one of them, so the
// platform's own rows are left unverified (as before); a connected account's rows carry its
// account, so they are listed with its `Stripe-Account`, compared with its rows alone, and its
// deletions are confirmed by a retrieve as that account.

const API_KEY = 'sk_test_reconcileConnect1';
let h: ReconcilerHarness;
let prisma: Db;
let workspaceId: string;
let configurationId: string;
let accountA: string;
let accountB: string;

beforeAll(async () => {
  // The simulator numbers each account's objects on its own: account A has customers 1–3,
  // account B and the platform none, so no id is in two accounts.
  const sim = new StripeSimulator({
    seed: { customers: 0 },
    connectedAccounts: [{ seed: { customers: 3 } }, { seed: { customers: 0 } }],
  });
  [accountA, accountB] = sim.connectedAccounts().map((a) => a.accountId) as [string, string];
  const other = new StripeSimulator({ accountId: 'acct_simother000002', seed: { customers: 0 } });
  h = await startReconcilerHarness({ name: 'reconcile-connect', sims: [sim, other] });
  const [simUrl, otherUrl] = h.urls as [string, string];
  prisma = h.prisma;
  ({ workspaceId, configurationId } = await h.simConnection('reconcile-connect', API_KEY, simUrl, {
    connect: true,
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
    ...localRows(template, ['cus_gone_in_a'], accountA),
    ...localRows(template, ['cus_gone_in_b'], accountB),
    ...localRows(template, ['cus_own_unattributed'], null),
  ]);
}, 60_000);

afterAll(async () => {
  await h?.close();
});

it("checks each connected account's deletions against its own rows, even with several connections", async () => {
  const { status, report: reports } = await h.reconcile({
    workspaceId,
    configurationId,
    entityTypes: ['customer'],
    repair: true,
  });
  expect(status).toBe('completed');
  const report = reports.customer as unknown as {
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
  for (const [account, providerCount, localCount, gone] of [
    [accountA, 3, 4, 'cus_gone_in_a'],
    [accountB, 0, 1, 'cus_gone_in_b'],
  ] as const)
    expect(report.accounts[account]).toMatchObject({
      deletionCheck: 'done',
      providerCount,
      localCount,
      deleted: 1,
      samples: { deleted: [gone] },
    });
  expect(report.deleted).toBe(2);
  expect(report.providerCount).toBe(3);

  const rows = await customerRows(prisma, workspaceId);
  const deleted = rows.filter((r) => r.deleted).map((r) => r.external_id);
  expect(deleted.sort()).toEqual(['cus_gone_in_a', 'cus_gone_in_b']);
  // The tombstones stay in their accounts; the platform's row is untouched.
  expect(rows.find((r) => r.external_id === 'cus_gone_in_b')?.provider_account_id).toBe(accountB);
  expect(rows.find((r) => r.external_id === 'cus_own_unattributed')?.deleted).toBe(false);
}, 60_000);
