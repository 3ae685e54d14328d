import {
  ENTITY_TYPES,
  type CanonicalChange,
  type EntityType,
  type ProviderName,
} from '@paysync/contracts';
import {
  withSystem,
  withTenant,
  type ClaimedReconciliation,
  type ConnectionRepository,
  type DriftRepository,
  type EntityDrift,
  type RateLimiterFactory,
  type ReconciliationRepository,
  type SyncWriteRepository,
} from '@paysync/db';
import { AppError, ValidationError } from '@paysync/errors';
import { withSpan, type Logger } from '@paysync/observability';
import { registeredAdapter, type BillingProvider, type ProviderFactory } from '@paysync/providers';

import type { RecoveryMetrics } from '../heartbeats/recovery.metrics.js';

export interface ReconcilerDeps {
  readonly connectionRepository: ConnectionRepository;
  readonly driftRepository: DriftRepository;
  readonly syncWriteRepository: SyncWriteRepository;
  readonly reconciliationRepository: ReconciliationRepository;
  readonly providerFactory: ProviderFactory;
  readonly rateLimiterFactory: RateLimiterFactory;
  readonly recoveryMetrics: RecoveryMetrics;
  readonly logger: Logger;
  /** The lease owner of this replica's reconciliation runs. */
  readonly workerId: string;
  readonly config: {
    readonly recovery: {
      readonly reconcileLeaseMs: number;
      /** Local-only rows verified by a retrieve per entity type; the rest are reported unverified. */
      readonly reconcileMaxVerify: number;
      /** Live local rows per created-time window (default 5,000): the bound on held ids. */
      readonly reconcileWindowRows?: number | undefined;
      /** Objects per provider list request (default 100, Stripe's maximum). */
      readonly reconcilePageSize?: number | undefined;
    };
  };
}

/** Objects per provider list request. */
const PROVIDER_PAGE = 100;
/** Live local rows per created-time window. */
const WINDOW_ROWS = 5000;
const SAMPLES = 10;
const LOCAL_PAGE = 1000;

class LeaseLostError extends Error {}

type Report = Partial<Record<EntityType, Tally>>;

/** One entity type of one run: what `#entity` and its steps work on. */
interface EntityJob {
  readonly run: ClaimedReconciliation;
  readonly provider: BillingProvider;
  readonly entityType: EntityType;
  readonly tally: Tally;
  /** The whole run's report (saved with each heartbeat). */
  readonly report: Report;
  /** The workspace has several connections to the provider: local rows cannot be attributed. */
  readonly severalConnections: boolean;
  /**
   * The provider lists the type by created time (`segmentableEntityTypes`); the others (children
   * listed through their parents) are listed whole, in one window.
   */
  readonly segmentable: boolean;
  /**
   * Whose rows are compared: a connected account's (Stripe Connect), or the connection's own (no
   * account, or one of `ownAccountIds`). Rows of any other account are never in the platform's
   * pass: retrieved as the platform, they would answer 404 and look deleted.
   */
  readonly scope: { readonly accountId: string | null; readonly ownAccountIds: readonly string[] };
}

interface Tally {
  providerCount: number;
  localCount: number;
  missing: number;
  stale: number;
  deleted: number;
  unverified: number;
  repaired: number;
  listingComplete: boolean;
  deletionCheck: EntityDrift['deletionCheck'];
  samples: { missing: string[]; stale: string[]; deleted: string[]; unverified: string[] };
  error?: { code: string; message: string };
  /**
   * Stripe Connect: each connected account's own result (listed with its `Stripe-Account`,
   * compared with its rows, deletions checked against its rows alone); the counts above add
   * them to the platform's own.
   */
  accounts?: Record<string, Omit<Tally, 'accounts'>>;
}

function emptyTally(): Tally {
  return {
    providerCount: 0,
    localCount: 0,
    missing: 0,
    stale: 0,
    deleted: 0,
    unverified: 0,
    repaired: 0,
    listingComplete: false,
    deletionCheck: 'pending',
    samples: { missing: [], stale: [], deleted: [], unverified: [] },
  };
}

function note(tally: Tally, kind: 'missing' | 'stale' | 'deleted' | 'unverified', id: string) {
  tally[kind]++;
  if (tally.samples[kind].length < SAMPLES) tally.samples[kind].push(id);
}

/**
 * Live local rows the listing did not contain, in the order found, held within a bound: the
 * first `keep` ids (the verify budget), then only a count and the first samples of the rest.
 */
class Unlisted {
  readonly kept: string[] = [];
  /** Kept ids of local rows without a created time: in no window, but listed if they exist. */
  readonly withoutCreated = new Set<string>();
  overflow = 0;
  readonly overflowSamples: string[] = [];
  readonly #keep: number;

  constructor(keep: number) {
    this.#keep = keep;
  }

  get total(): number {
    return this.kept.length + this.overflow;
  }

  add(id: string, createdKnown = true): void {
    if (this.kept.length < this.#keep) {
      this.kept.push(id);
      if (!createdKnown) this.withoutCreated.add(id);
    } else {
      this.overflow++;
      if (this.overflowSamples.length < SAMPLES) this.overflowSamples.push(id);
    }
  }

  /** Notes the rows past the kept ones as `kind` (their count, and samples while there is room). */
  noteOverflow(tally: Tally, kind: 'unverified'): void {
    tally[kind] += this.overflow;
    for (const id of this.overflowSamples)
      if (tally.samples[kind].length < SAMPLES) tally.samples[kind].push(id);
  }
}

/** A created-time window [gte, lt) in provider seconds; null: unbounded on that side. */
interface Window {
  readonly gte: number | null;
  readonly lt: number | null;
}

function errorOf(err: unknown): { code: string; message: string } {
  return err instanceof AppError
    ? { code: err.code, message: err.message }
    : { code: 'INTERNAL_ERROR', message: 'unexpected error (see the recovery log)' };
}

/**
 * Runs one reconciliation: for each entity type, lists every object at the provider (ids and
 * canonical state, page by page under the account's shared rate limit) and compares it with the
 * local rows, then checks local rows the listing did not contain:
 * - `missing`: listed, absent locally (or a local tombstone for a live object);
 * - `stale`: listed, local canonical fields differ (a local row written after the page was read
 *   is newer, not drift);
 * - `deleted`: live locally, not listed, and a retrieve confirms it is gone;
 * - `unverified`: live locally, not listed, but the retrieve finds it (or the verify budget ran
 *   out): reported, never deleted.
 * Local-only rows are only looked at when the listing was read to its end, and never when the
 * workspace has several connections to the provider (rows cannot be attributed to an account): a
 * partial listing never deletes anything. With `repair`, fixes go through the shared write path
 * (version-gated: a newer webhook still wins) as `reconcile` writes.
 *
 * Memory does not grow with the account: the comparison walks the created-time axis in windows.
 * Each window holds the ids of at most `reconcileWindowRows` live local rows (read by created
 * time; a window ends at a second boundary, so a second holding more rows than that is a window
 * of its own), and the provider lists the same window (`createdGte`/`createdLt`) one page at a
 * time; a listed id leaves the window's set, what remains was not listed. Windows cover the whole
 * axis (the first and last are open-ended), so every object is listed exactly once. Besides one
 * page and one window, a run holds the unlisted ids it will verify (at most `reconcileMaxVerify`)
 * and a few samples: O(window + verify budget + page), whatever the account's size. A type the
 * provider cannot list by created time (`segmentableEntityTypes`) is listed whole against all its
 * live local ids: one window, O(live rows of the type) ids.
 */
export class Reconciler {
  readonly #connections: ConnectionRepository;
  readonly #drift: DriftRepository;
  readonly #writes: SyncWriteRepository;
  readonly #runs: ReconciliationRepository;
  readonly #providerFactory: ProviderFactory;
  readonly #rateLimiterFactory: RateLimiterFactory;
  readonly #metrics: RecoveryMetrics;
  readonly #owner: string;
  readonly #leaseMs: number;
  readonly #maxVerify: number;
  readonly #windowRows: number;
  readonly #pageSize: number;
  readonly #logger: Logger;

  constructor({
    connectionRepository,
    driftRepository,
    syncWriteRepository,
    reconciliationRepository,
    providerFactory,
    rateLimiterFactory,
    recoveryMetrics,
    logger,
    workerId,
    config,
  }: ReconcilerDeps) {
    this.#connections = connectionRepository;
    this.#drift = driftRepository;
    this.#writes = syncWriteRepository;
    this.#runs = reconciliationRepository;
    this.#providerFactory = providerFactory;
    this.#rateLimiterFactory = rateLimiterFactory;
    this.#metrics = recoveryMetrics;
    this.#owner = workerId;
    this.#leaseMs = config.recovery.reconcileLeaseMs;
    this.#maxVerify = config.recovery.reconcileMaxVerify;
    this.#windowRows = config.recovery.reconcileWindowRows ?? WINDOW_ROWS;
    this.#pageSize = config.recovery.reconcilePageSize ?? PROVIDER_PAGE;
    this.#logger = logger.child({ component: 'Reconciler' });
  }

  /** Claims and runs one due reconciliation; undefined when none is due. */
  async runNext(): Promise<{ id: string; status: 'completed' | 'failed' } | undefined> {
    // Row-level security: the claim spans workspaces (system work); the run is on behalf of its own.
    const run = await withSystem('reconciliation claim', () =>
      this.#runs.claim(this.#owner, this.#leaseMs),
    );
    if (!run) return undefined;
    return { id: run.id, status: await this.run(run) };
  }

  run(run: ClaimedReconciliation): Promise<'completed' | 'failed'> {
    return withTenant(run.workspaceId, () => this.#run(run));
  }

  async #run(run: ClaimedReconciliation): Promise<'completed' | 'failed'> {
    const log = this.#logger.child({ reconciliationId: run.id, workspaceId: run.workspaceId });
    const report: Report = {};
    const finish = async (status: 'completed' | 'failed', error?: Record<string, unknown>) => {
      await this.#runs.finish(run.id, this.#owner, {
        status,
        report,
        ...(error && { error }),
      });
      this.#metrics.reconciliations.inc({ status, trigger: run.trigger });
      return status;
    };
    try {
      const connection = await this.#connections.getDecrypted(run.workspaceId, run.configurationId);
      const limiter = this.#rateLimiterFactory(connection);
      const provider = this.#providerFactory(connection, limiter);
      const { entityTypes: supported, segmentableEntityTypes } = provider.capabilities();
      const entityTypes = ENTITY_TYPES.filter(
        (t) =>
          supported.includes(t) && (run.entityTypes.length === 0 || run.entityTypes.includes(t)),
      );
      const siblings = (await this.#connections.list(run.workspaceId)).filter(
        (c) => c.provider === connection.provider && c.isActive,
      ).length;
      // The accounts under the connection, where it syncs them (Stripe Connect).
      const connected = await connectedAccountsOf(connection, provider);
      const ownAccountIds = [
        connection.providerAccountId,
        connection.verifiedProviderAccountId,
      ].filter((a): a is string => a !== null);
      log.info(
        { entityTypes, repair: run.repair, connectedAccounts: connected.length },
        'Reconciliation started',
      );
      for (const entityType of entityTypes) {
        const tally = emptyTally();
        report[entityType] = tally;
        await this.#entity({
          run,
          provider,
          entityType,
          tally,
          report,
          severalConnections: siblings > 1,
          segmentable: segmentableEntityTypes.includes(entityType),
          // Always its own rows only: Connect webhooks stamp their account on rows even without
          // Connect syncing switched on, and an account no longer listed (deauthorized) keeps its rows.
          scope: { accountId: null, ownAccountIds },
        });
        // Stripe Connect: each connected account as its own account. Its rows carry it, so its
        // deletions are checked even when the workspace has several connections.
        for (const accountId of connected) {
          const sub = emptyTally();
          await this.#entity({
            run,
            provider: this.#providerFactory({ ...connection, accountId }, limiter),
            entityType,
            tally: sub,
            report,
            severalConnections: false,
            segmentable: segmentableEntityTypes.includes(entityType),
            scope: { accountId, ownAccountIds },
          });
          addAccount(tally, accountId, sub);
        }
        for (const kind of ['missing', 'stale', 'deleted'] as const)
          if (tally[kind] > 0)
            this.#metrics.driftFound.inc(
              { entity_type: entityType, kind, provider: run.provider },
              tally[kind],
            );
        if (tally.repaired > 0)
          this.#metrics.driftRepaired.inc(
            { entity_type: entityType, provider: run.provider },
            tally.repaired,
          );
      }
      const failed = Object.values(report).some((t) => t.error !== undefined);
      log.info({ report: summary(report) }, 'Reconciliation finished');
      return await finish(
        failed ? 'failed' : 'completed',
        failed
          ? {
              code: 'RECONCILIATION_INCOMPLETE',
              message: 'Some entity types could not be reconciled; see the report',
            }
          : undefined,
      );
    } catch (err) {
      if (err instanceof LeaseLostError) {
        log.warn('Reconciliation lease lost; another replica took it over');
        return 'failed';
      }
      log.error({ err }, 'Reconciliation failed');
      return finish('failed', errorOf(err));
    }
  }

  /**
   * One entity type, window by window (see the class comment), then the local rows the listing
   * did not contain (only when the listing was read to its end and the rows can be attributed to
   * this connection).
   */
  async #entity(job: EntityJob): Promise<void> {
    const unlisted = new Unlisted(this.#maxVerify);
    await this.#compareWindows(job, unlisted);
    const { tally } = job;
    if (!tally.listingComplete) {
      tally.deletionCheck = 'skipped_partial_listing';
      return;
    }
    if (job.severalConnections) {
      tally.deletionCheck = 'skipped_several_connections';
      for (const id of unlisted.kept) note(tally, 'unverified', id);
      unlisted.noteOverflow(tally, 'unverified');
      return;
    }
    await this.#verifyUnlisted(job, unlisted);
  }

  /**
   * Steps 1 and 2, one created-time window at a time: the window's live local ids (at most
   * `windowRows`, or one second's rows when a single second holds more), then the provider's
   * listing of the same window page by page (notes missing and stale; each listed id leaves the
   * window's set); what is left of the set was not listed. Local rows without a created time fit
   * no window: they are verified like unlisted rows, but only their absence at the provider counts
   * (a live one was listed, and compared, in its window). Every local row is counted.
   */
  async #compareWindows(job: EntityJob, unlisted: Unlisted): Promise<void> {
    const { run, entityType, tally } = job;
    try {
      if (!job.segmentable) {
        await this.#compareWhole(job, unlisted);
        tally.listingComplete = true;
        return;
      }
      let gte: number | null = null;
      for (;;) {
        const end = await this.#drift.windowEnd(
          run.workspaceId,
          run.provider,
          entityType,
          gte,
          this.#windowRows,
          job.scope,
        );
        // The rows of the second where the window would end open the next window; a second
        // holding more rows than a window is a window of its own.
        const lt: number | null = end === null ? null : gte !== null && end <= gte ? gte + 1 : end;
        const local = new Set(
          await this.#drift.liveIdsCreatedIn(
            run.workspaceId,
            run.provider,
            entityType,
            gte,
            lt,
            job.scope,
          ),
        );
        tally.localCount += local.size;
        await this.#compareWindow(job, { gte, lt }, local);
        for (const id of local) unlisted.add(id);
        if (lt === null) break;
        gte = lt;
      }
      for await (const ids of this.#idsWithoutCreated(job)) {
        tally.localCount += ids.length;
        for (const id of ids) unlisted.add(id, false);
      }
      tally.listingComplete = true;
    } catch (err) {
      if (err instanceof LeaseLostError) throw err;
      tally.error = errorOf(err);
      this.#logger.warn(
        { err, reconciliationId: run.id, entityType },
        'Provider listing failed; nothing will be deleted for this entity type',
      );
    }
  }

  /**
   * A type the provider cannot list by created time (children listed through their parents:
   * Stripe subscription items, invoice lines, tax ids, discounts, payment methods): one listing
   * of the whole type against every live local id of it, with or without a created time (so
   * memory grows with the type's live rows here: ids only). What the listing did not contain is
   * verified like an unlisted row of a window.
   */
  async #compareWhole(job: EntityJob, unlisted: Unlisted): Promise<void> {
    const { run, entityType, tally } = job;
    const local = new Set(
      await this.#drift.liveIdsCreatedIn(
        run.workspaceId,
        run.provider,
        entityType,
        null,
        null,
        job.scope,
      ),
    );
    for await (const ids of this.#idsWithoutCreated(job)) for (const id of ids) local.add(id);
    tally.localCount += local.size;
    await this.#compareWindow(job, { gte: null, lt: null }, local);
    for (const id of local) unlisted.add(id);
  }

  /** The job's live local ids without a created time, a page of `LOCAL_PAGE` at a time. */
  async *#idsWithoutCreated(job: EntityJob): AsyncGenerator<readonly string[]> {
    const { run, entityType } = job;
    let after: string | null = null;
    for (;;) {
      const ids = await this.#drift.liveIdsWithoutCreated(
        run.workspaceId,
        run.provider,
        entityType,
        after,
        LOCAL_PAGE,
        job.scope,
      );
      yield ids;
      if (ids.length < LOCAL_PAGE) return;
      after = ids.at(-1) ?? null;
    }
  }

  /**
   * The provider's objects created in `window`, page by page: notes missing and stale (and
   * repairs them), and removes each listed id from `local`.
   */
  async #compareWindow(job: EntityJob, window: Window, local: Set<string>): Promise<void> {
    const { run, provider, entityType, tally } = job;
    const ctx = { workspaceId: run.workspaceId, source: 'reconcile' as const };
    const attributes = { 'paysync.entity_type': entityType, 'paysync.reconciliation.id': run.id };
    let cursor: string | null = null;
    do {
      cursor = await withSpan('reconcile.page', { attributes }, async (span) => {
        const page = await provider.listPage(
          entityType,
          {
            cursor,
            limit: this.#pageSize,
            ...(window.gte !== null && { createdGte: window.gte }),
            ...(window.lt !== null && { createdLt: window.lt }),
          },
          ctx,
        );
        // Deleted objects in a listing (Chargebee's include_deleted) are not provider objects:
        // their local rows stay unlisted, so only a complete listing and a retrieve delete them.
        const changes = page.changes.filter((c) => c.entityType === entityType && !c.deleted);
        const kinds = await this.#drift.compare(entityType, changes);
        const repairs: CanonicalChange[] = [];
        changes.forEach((change, i) => {
          local.delete(change.externalId);
          tally.providerCount++;
          const kind = kinds[i];
          if (kind === 'missing' || kind === 'stale') {
            note(tally, kind, change.externalId);
            repairs.push(change);
          }
        });
        if (run.repair) tally.repaired += await this.#repair(repairs);
        span.setAttribute('paysync.page.records', changes.length);
        span.setAttribute('paysync.reconciliation.drifted', repairs.length);
        return page.nextCursor;
      });
      await this.#heartbeat(run, job.report);
    } while (cursor);
  }

  /**
   * Step 3: asks the provider about each unlisted row (up to the verify budget): gone is
   * `deleted`, different is `stale`, anything else (or any doubt) is `unverified` and never
   * deleted. Rows past the budget are `unverified`.
   */
  async #verifyUnlisted(job: EntityJob, unlisted: Unlisted): Promise<void> {
    const { run, provider, entityType, tally } = job;
    const ctx = { workspaceId: run.workspaceId, source: 'reconcile' as const };
    const tombstones: CanonicalChange[] = [];
    const refreshed: CanonicalChange[] = [];
    let cannotRetrieve = false;
    for (const [i, id] of unlisted.kept.entries()) {
      if (cannotRetrieve) {
        note(tally, 'unverified', id);
        continue;
      }
      try {
        const current = await provider.retrieve(entityType, id, ctx);
        if (current.deleted) {
          note(tally, 'deleted', id);
          tombstones.push(current);
        } else if (unlisted.withoutCreated.has(id)) {
          // Live: the listing had it (its window is unknown locally) and compared it already.
        } else {
          const [kind] = await this.#drift.compare(entityType, [current]);
          if (kind === 'stale' || kind === 'missing') {
            note(tally, 'stale', id);
            refreshed.push(current);
          } else {
            note(tally, 'unverified', id);
          }
        }
      } catch (err) {
        // Could not verify: never delete on doubt.
        note(tally, 'unverified', id);
        // The provider cannot retrieve one object of this type by its id (Stripe invoice lines
        // and discounts): none can be verified, which is no failure of the run.
        if (err instanceof ValidationError) cannotRetrieve = true;
        else tally.error ??= errorOf(err);
      }
      if (i % 100 === 99) await this.#heartbeat(run, job.report);
    }
    unlisted.noteOverflow(tally, 'unverified');
    tally.deletionCheck = unlisted.overflow > 0 || cannotRetrieve ? 'partial' : 'done';
    if (run.repair) tally.repaired += await this.#repair([...tombstones, ...refreshed]);
  }

  /** Writes repairs through the shared write path; returns how many it applied. */
  async #repair(changes: readonly CanonicalChange[]): Promise<number> {
    if (changes.length === 0) return 0;
    // The provider's current state read at its version: it also wins a tie at that version.
    const { outcomes } = await this.#writes.applyChanges(changes, { authoritative: true });
    return outcomes.filter((o) => o === 'applied').length;
  }

  async #heartbeat(run: ClaimedReconciliation, report: Report): Promise<void> {
    const alive = await this.#runs.heartbeat(run.id, this.#owner, this.#leaseMs, report);
    if (!alive) throw new LeaseLostError();
  }
}

/**
 * The accounts under a connection that syncs them (Stripe Connect, as its adapter says), every
 * page; else none.
 */
async function connectedAccountsOf(
  connection: {
    readonly provider: ProviderName;
    readonly settings: Readonly<Record<string, unknown>>;
  },
  provider: BillingProvider,
): Promise<string[]> {
  const adapter = registeredAdapter(connection.provider);
  if (!adapter?.syncsSubAccounts(connection.settings) || !provider.listConnectedAccounts) return [];
  const accounts: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await provider.listConnectedAccounts({ cursor, limit: PROVIDER_PAGE });
    accounts.push(...page.accountIds);
    cursor = page.nextCursor;
  } while (cursor);
  return accounts;
}

/** `deletionCheck` results from the strongest to the weakest. */
const DELETION_CHECK_ORDER: readonly Tally['deletionCheck'][] = [
  'done',
  'partial',
  'skipped_several_connections',
  'skipped_partial_listing',
  'pending',
];

/** The weaker of two deletion checks (one account checked in part makes the whole partial). */
function weakest(a: Tally['deletionCheck'], b: Tally['deletionCheck']): Tally['deletionCheck'] {
  return DELETION_CHECK_ORDER.indexOf(a) >= DELETION_CHECK_ORDER.indexOf(b) ? a : b;
}

/**
 * A connected account's result, kept under its id and added to the entity type's counts; the
 * type's deletion check is the weakest of the platform's and its accounts'.
 */
function addAccount(tally: Tally, accountId: string, sub: Tally): void {
  (tally.accounts ??= {})[accountId] = sub;
  tally.providerCount += sub.providerCount;
  tally.localCount += sub.localCount;
  for (const kind of ['missing', 'stale', 'deleted', 'unverified'] as const) {
    tally[kind] += sub[kind];
    for (const id of sub.samples[kind])
      if (tally.samples[kind].length < SAMPLES) tally.samples[kind].push(id);
  }
  tally.repaired += sub.repaired;
  tally.listingComplete &&= sub.listingComplete;
  tally.deletionCheck = weakest(tally.deletionCheck, sub.deletionCheck);
  tally.error ??= sub.error;
}

function summary(report: Report) {
  return Object.fromEntries(
    Object.entries(report).map(([type, t]) => [
      type,
      { missing: t.missing, stale: t.stale, deleted: t.deleted, repaired: t.repaired },
    ]),
  );
}
