import type { CanonicalChange } from '@paysync/contracts';
import { SyncWriteRepository, type Db } from '@paysync/db';
import { StripeProvider } from '@paysync/providers';
import { StripeSimulator } from '@paysync/simulator';

import {
  customerRows,
  localRows,
  startReconcilerHarness,
  type ReconcilerHarness,
} from '../../testing/reconciler-harness.js';

// Stripe Connect (issue 19 item 3), review findings: the platform's own pass of a reconciliation
// covers only the platform's own rows (no account, or the connection's own account), whatever the
// connection's `settings.connect` and however many connected accounts `/v1/accounts` lists. Rows of
// another account are never retrieved as the platform, whose 404 would look like a deletion: a
// connection without `connect` whose Connect webhooks wrote rows of a connected account, and a
// `connect` platform whose accounts were all deauthorized, keep those rows. And a connected
// account's partial deletion check makes the entity type's check partial.

const API_KEY = 'sk_test_reconcileScope1';
/** Unlisted rows verified per entity type and run: 2, so 3 gone rows make a partial check. */
const MAX_VERIFY = 2;
let h: ReconcilerHarness;
let prisma: Db;
/** A platform with connected account A (customers 1–2) and account B (no customers). */
let sim: StripeSimulator;
/** A platform whose only connected account is deauthorized before its reconciliation. */
let deauth: StripeSimulator;
let simUrl: string;
let deauthUrl: string;
let accountA: string;
let accountB: string;
let deauthAccount: string;

interface CustomerReport {
  deletionCheck: string;
  localCount: number;
  providerCount: number;
  deleted: number;
  unverified: number;
  samples: { deleted: string[] };
  accounts?: Record<string, { deletionCheck: string; deleted: number; unverified: number }>;
}

/** Writes the customers `accountId` has at `baseUrl` as a Connect backfill does (its account on each). */
async function syncAccount(
  workspaceId: string,
  baseUrl: string,
  accountId: string,
): Promise<CanonicalChange> {
  const asAccount = new StripeProvider({ apiKey: API_KEY, apiBaseUrl: baseUrl, accountId });
  const page = await asAccount.listPage(
    'customer',
    { limit: 100 },
    { workspaceId, source: 'backfill' },
  );
  expect(page.changes.length).toBeGreaterThan(0);
  expect(page.changes.every((c) => c.accountId === accountId)).toBe(true);
  await new SyncWriteRepository({ prisma }).applyChanges(page.changes);
  return page.changes[0] as CanonicalChange;
}

/** Runs a repairing customer reconciliation of the connection; returns its customer report. */
async function reconcile(workspaceId: string, configurationId: string): Promise<CustomerReport> {
  const { status, report } = await h.reconcile({
    workspaceId,
    configurationId,
    entityTypes: ['customer'],
    repair: true,
  });
  expect(status).toBe('completed');
  return report.customer as unknown as CustomerReport;
}

beforeAll(async () => {
  // Each simulator numbers each account's objects on its own (ids tagged by account), so no id
  // is in two accounts of one platform.
  sim = new StripeSimulator({
    seed: { customers: 1 },
    connectedAccounts: [{ seed: { customers: 2 } }, { seed: { customers: 0 } }],
  });
  [accountA, accountB] = sim.connectedAccounts().map((a) => a.accountId) as [string, string];
  deauth = new StripeSimulator({
    accountId: 'acct_simdeauthplat01',
    seed: { customers: 0 },
    connectedAccounts: [{ seed: { customers: 2 } }],
  });
  [deauthAccount] = deauth.connectedAccounts().map((a) => a.accountId) as [string];
  h = await startReconcilerHarness({
    name: 'reconcile-scope',
    sims: [sim, deauth],
    env: { RECOVERY_RECONCILE_MAX_VERIFY: String(MAX_VERIFY) },
  });
  [simUrl, deauthUrl] = h.urls as [string, string];
  prisma = h.prisma;
}, 60_000);

afterAll(async () => {
  await h?.close();
});

it("a connection without `connect` never verifies a connected account's rows (written by its Connect webhooks) as the platform", async () => {
  const { workspaceId, configurationId } = await h.simConnection(
    'scope-no-connect',
    API_KEY,
    simUrl,
  );
  const template = await syncAccount(workspaceId, simUrl, accountA);
  // One row of the platform's own that the platform no longer has: the platform's pass works.
  await new SyncWriteRepository({ prisma }).applyChanges(
    localRows(template, ['cus_platform_gone'], null),
  );

  const report = await reconcile(workspaceId, configurationId);
  expect(report).toMatchObject({
    deletionCheck: 'done',
    providerCount: 1,
    localCount: 1,
    deleted: 1,
    unverified: 0,
    samples: { deleted: ['cus_platform_gone'] },
  });
  expect(report.accounts).toBeUndefined();

  const rows = await customerRows(prisma, workspaceId);
  const ofA = rows.filter((r) => r.provider_account_id === accountA);
  expect(ofA).toHaveLength(2);
  expect(ofA.filter((r) => r.deleted)).toEqual([]);
  expect(rows.filter((r) => r.deleted).map((r) => r.external_id)).toEqual(['cus_platform_gone']);
  // The platform's own customer, missing locally, was repaired in as the platform's (no account).
  expect(rows.filter((r) => r.provider_account_id === null && !r.deleted)).toHaveLength(1);
}, 60_000);

it('a `connect` platform whose connected accounts were all deauthorized (none listed) keeps their rows', async () => {
  const { workspaceId, configurationId } = await h.simConnection(
    'scope-deauthorized',
    API_KEY,
    deauthUrl,
    { connect: true },
  );
  const template = await syncAccount(workspaceId, deauthUrl, deauthAccount);
  await new SyncWriteRepository({ prisma }).applyChanges(
    localRows(template, ['cus_own_gone'], null),
  );
  deauth.removeConnectedAccount(deauthAccount);

  const report = await reconcile(workspaceId, configurationId);
  expect(report).toMatchObject({
    deletionCheck: 'done',
    providerCount: 0,
    localCount: 1,
    deleted: 1,
    samples: { deleted: ['cus_own_gone'] },
  });
  expect(report.accounts).toBeUndefined();

  const rows = await customerRows(prisma, workspaceId);
  const ofAccount = rows.filter((r) => r.provider_account_id === deauthAccount);
  expect(ofAccount).toHaveLength(2);
  expect(ofAccount.filter((r) => r.deleted)).toEqual([]);
  expect(rows.filter((r) => r.deleted).map((r) => r.external_id)).toEqual(['cus_own_gone']);
}, 60_000);

it("a connected account's partial deletion check makes the entity type's check partial", async () => {
  const { workspaceId, configurationId } = await h.simConnection('scope-partial', API_KEY, simUrl, {
    connect: true,
  });
  const template = await syncAccount(workspaceId, simUrl, accountA);
  // Account B no longer has 3 of its rows: 2 are verified (the budget), the third is not.
  await new SyncWriteRepository({ prisma }).applyChanges(
    localRows(template, ['cus_gone_b1', 'cus_gone_b2', 'cus_gone_b3'], accountB),
  );

  const report = await reconcile(workspaceId, configurationId);
  expect(report.accounts?.[accountA]).toMatchObject({ deletionCheck: 'done', deleted: 0 });
  expect(report.accounts?.[accountB]).toMatchObject({
    deletionCheck: 'partial',
    deleted: 2,
    unverified: 1,
  });
  // The platform's own pass had nothing unlisted (done); the type's check is the weakest.
  expect(report).toMatchObject({ deletionCheck: 'partial', deleted: 2, unverified: 1 });

  const rows = await customerRows(prisma, workspaceId);
  expect(rows.filter((r) => r.deleted)).toHaveLength(2);
  expect(rows.filter((r) => r.provider_account_id === accountA && r.deleted)).toEqual([]);
}, 60_000);
