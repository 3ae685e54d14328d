import type { ProviderRateLimiter, SyncSessionRepository } from '@paysync/db';
import type { Logger } from '@paysync/observability';
import type { BillingProvider } from '@paysync/providers';

import type { LeaseKeeper } from './lease-keeper.js';
import type { ClaimedUnit, SyncUnitRepository } from './sync-unit.repository.js';
import type { SyncMetrics } from './sync.metrics.js';

/**
 * Stripe Connect (a platform connection whose adapter syncs its sub-accounts: `settings.connect:
 * true`): the entity type of the one unit of a session that lists the platform's connected
 * accounts (`GET /v1/accounts`). Each page of accounts plans, per account, a unit per entity type
 * of the session; those units list with the `Stripe-Account` header (their `provider_account_id`)
 * and write rows carrying that account. The claim order interleaves a session's accounts (sync-unit.repository.ts), and every unit of the
 * session calls Stripe with the platform's key under the platform's one rate-limit bucket: Stripe
 * counts requests made for connected accounts against the platform that makes them.
 */
export const CONNECTED_ACCOUNTS_UNIT = 'connected_accounts';

export function isConnectedAccountsUnit(unit: ClaimedUnit): boolean {
  return (unit.entityType as string) === CONNECTED_ACCOUNTS_UNIT;
}

/** What listing a platform's connected accounts needs from the unit runner. */
export interface ConnectedAccountsRun {
  readonly unit: ClaimedUnit;
  readonly provider: BillingProvider;
  readonly units: SyncUnitRepository;
  readonly sessions: SyncSessionRepository;
  readonly limiter: ProviderRateLimiter;
  readonly lease: LeaseKeeper;
  readonly metrics: SyncMetrics;
  readonly leaseMs: number;
  readonly pageSize: number;
  readonly shouldStop: () => boolean;
  /** Wakes idle workers: the accounts' units are claimable at once. */
  readonly onPlanned?: (() => void) | undefined;
  readonly log: Logger;
}

/**
 * Lists the platform's connected accounts page by page from the unit's cursor, planning each
 * page's units and checkpointing in one transaction (a resumed unit goes on from its cursor; a
 * re-listed page plans nothing twice). A provider without sub-accounts plans nothing.
 */
export async function listConnectedAccounts(run: ConnectedAccountsRun): Promise<void> {
  const { unit, provider, units, log } = run;
  let cursor = unit.cursor;
  let accounts = 0;
  for (;;) {
    const page = provider.listConnectedAccounts
      ? await provider.listConnectedAccounts({ cursor, limit: run.pageSize })
      : { accountIds: [], nextCursor: null, requests: 0 };
    if (!provider.listConnectedAccounts)
      log.warn(
        { provider: provider.name },
        'Sub-accounts unit ignored: the provider client lists no sub-accounts',
      );
    // The checkpoint presents the claim's lease token: a lost lease refuses it (LeaseLostError).
    const planned = await units.planAccounts(unit, run.leaseMs, {
      accountIds: page.accountIds,
      nextCursor: page.nextCursor,
      requests: page.requests,
      throttles: run.limiter.takeThrottles(),
    });
    run.lease.progressed();
    accounts += page.accountIds.length;
    run.metrics.requests.inc({ entity_type: CONNECTED_ACCOUNTS_UNIT }, page.requests);
    if (planned > 0) run.onPlanned?.();
    log.info(
      { accounts: page.accountIds.length, unitsPlanned: planned },
      'Connected accounts listed: their units planned',
    );
    cursor = page.nextCursor;
    if (!cursor) break;
    if (run.shouldStop()) {
      await units.release(unit);
      log.info('Connected-accounts unit handed back (shutting down)');
      return;
    }
  }
  run.metrics.unitsFinished.inc({ outcome: 'done' });
  log.info({ accounts }, 'Connected accounts listed');
  if (await run.sessions.completeIfUnitsDone(unit.sessionId)) {
    run.metrics.sessionsFinished.inc({ status: 'completed' });
    log.info('Sync session completed');
  }
}
