import type { CanonicalChange, EntityType } from '@paysync/contracts';
import {
  ReconciliationRepository,
  SyncWriteRepository,
  type Db,
  type ReconciliationView,
} from '@paysync/db';
import type { BillingProvider } from '@paysync/providers';

import { Reconciler, type ReconcilerDeps } from '../modules/reconciliation/reconciler.js';

import { startRecoveryHarness, type RecoveryHarness } from './recovery-harness.js';

/** A provider simulator the harness starts and stops (the simulator as Stripe). */
interface Simulator {
  start(): Promise<string>;
  stop(): Promise<void>;
}

/** A recovery harness in front of simulators, that runs reconciliations itself. */
export interface ReconcilerHarness extends RecoveryHarness {
  /** The simulators' base URLs, in the order given. */
  readonly urls: readonly string[];
  /**
   * A new workspace `name` with a test-mode Stripe connection (key `apiKey`) to the simulator at
   * `url`, at 1000 requests a second, `settings` added.
   */
  simConnection(
    name: string,
    apiKey: string,
    url: string,
    settings?: Record<string, unknown>,
  ): Promise<{ workspaceId: string; configurationId: string }>;
  /** A reconciler on the app's dependencies as `workerId`, with `recovery` over the app's settings. */
  reconciler(
    workerId: string,
    recovery?: Partial<ReconcilerDeps['config']['recovery']>,
  ): Reconciler;
  /**
   * Creates a manual Stripe reconciliation run and runs the next one with `reconciler` (the app's
   * unless given), expecting it to be that run; returns how it ended and its report.
   */
  reconcile(
    run: {
      readonly workspaceId: string;
      readonly configurationId: string;
      readonly entityTypes: readonly EntityType[];
      readonly repair: boolean;
    },
    reconciler?: Reconciler,
  ): Promise<{ status: string | undefined; report: ReconciliationView['report'] }>;
}

/**
 * Starts `sims`, then the recovery app (consumers off, see `startRecoveryHarness`) allowed to call
 * them; `close` also stops the simulators.
 */
export async function startReconcilerHarness({
  name,
  sims,
  env = {},
}: {
  readonly name: string;
  readonly sims: readonly Simulator[];
  readonly env?: Record<string, string>;
}): Promise<ReconcilerHarness> {
  const stopSims = async () => {
    for (const sim of sims) await sim.stop();
  };
  let h: RecoveryHarness;
  const urls: string[] = [];
  try {
    for (const sim of sims) urls.push(await sim.start());
    h = await startRecoveryHarness({
      name,
      env: { API_ALLOWED_PROVIDER_BASE_URLS: urls.join(','), ...env },
    });
  } catch (err) {
    await stopSims();
    throw err;
  }
  const c = h.app.diContainer.cradle;
  const runs = new ReconciliationRepository({ prisma: h.prisma });
  return {
    ...h,
    urls,
    simConnection: (workspaceName, apiKey, url, settings = {}) =>
      h.stripeConnection(workspaceName, {
        apiKey,
        settings: { apiBaseUrl: url, rateLimitPerSecond: 1000, ...settings },
      }),
    reconciler: (workerId, recovery = {}) =>
      new Reconciler({
        connectionRepository: c.connectionRepository,
        driftRepository: c.driftRepository,
        syncWriteRepository: c.syncWriteRepository,
        reconciliationRepository: c.reconciliationRepository,
        providerFactory: c.providerFactory,
        rateLimiterFactory: c.rateLimiterFactory,
        recoveryMetrics: c.recoveryMetrics,
        logger: c.logger,
        workerId,
        config: { recovery: { ...c.config.recovery, ...recovery } },
      }),
    async reconcile(run, reconciler = c.reconciler) {
      const created = await runs.create({
        ...run,
        provider: 'stripe',
        trigger: 'manual',
        requestedBy: 'test',
      });
      const done = await reconciler.runNext();
      expect(done?.id).toBe(created.id);
      return { status: done?.status, report: (await runs.get(run.workspaceId, created.id)).report };
    },
    async close() {
      await h.close();
      await stopSims();
    },
  };
}

/** The initial sync, as the sync-runner does it: every page of each type through the write path. */
export async function backfill(
  prisma: Db,
  provider: Pick<BillingProvider, 'listPage'>,
  workspaceId: string,
  entityTypes: readonly EntityType[],
): Promise<void> {
  const writes = new SyncWriteRepository({ prisma });
  for (const entityType of entityTypes) {
    let cursor: string | null = null;
    do {
      const page = await provider.listPage(
        entityType,
        { cursor, limit: 100 },
        { workspaceId, source: 'backfill' },
      );
      await writes.applyChanges(page.changes);
      cursor = page.nextCursor;
    } while (cursor);
  }
}

/**
 * Copies of `template` as local rows of the objects `ids` (in `accountId` when given), which the
 * provider never had.
 */
export function localRows(
  template: CanonicalChange,
  ids: readonly string[],
  accountId?: string | null,
): CanonicalChange[] {
  return ids.map((id) => ({
    ...template,
    externalId: id,
    raw: { ...(template.raw as object), id },
    ...(accountId !== undefined && { accountId }),
  }));
}

/** A customer row: its object, account and whether it is deleted. */
interface CustomerRow {
  readonly external_id: string;
  readonly provider_account_id: string | null;
  readonly deleted: boolean;
}

/** The workspace's customer rows, live and deleted, with their account. */
export function customerRows(prisma: Db, workspaceId: string): Promise<CustomerRow[]> {
  return prisma.$queryRaw<
    CustomerRow[]
  >`SELECT external_id, provider_account_id, deleted_at IS NOT NULL AS deleted FROM customers
     WHERE workspace_id = ${workspaceId}::uuid ORDER BY external_id`;
}
