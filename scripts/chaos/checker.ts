// The invariants a chaos run ends with, read from the run's own database (plain SQL over a pool
// that reconnects after a PostgreSQL restart) and compared with the simulator's state and with
// what the traffic sender recorded.
import pg from 'pg';

import type { StripeSimulator } from '@paysync/simulator';

import type { Traffic, TrackedEvent } from './traffic.js';

/** Event-log statuses after which nothing more happens to an event by itself. */
const FINAL = ['processed', 'skipped_duplicate', 'skipped_stale', 'ignored', 'dead'];
/** Final and applied in effect (a stale or duplicate event is superseded by what is stored). */
export const APPLIED = new Set(['processed', 'skipped_duplicate', 'skipped_stale', 'ignored']);

export class Checker {
  readonly #pool: pg.Pool;
  readonly #workspaceId: string;

  constructor(databaseUrl: string, workspaceId: string) {
    this.#pool = new pg.Pool({ connectionString: databaseUrl, max: 3 });
    // An idle client broken by a PostgreSQL restart must not crash the run.
    this.#pool.on('error', () => undefined);
    this.#workspaceId = workspaceId;
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  /** provider_event_id → status for the given ids. */
  async statuses(ids: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < ids.length; i += 5000) {
      const { rows } = await this.#pool.query<{ id: string; status: string }>(
        `SELECT provider_event_id AS id, status::text AS status FROM payment_sync_events
          WHERE workspace_id = $1 AND provider_event_id = ANY($2::text[])`,
        [this.#workspaceId, ids.slice(i, i + 5000)],
      );
      for (const r of rows) out.set(r.id, r.status);
    }
    return out;
  }

  async outboxRows(): Promise<number> {
    const { rows } = await this.#pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM webhook_outbox',
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** Event-log rows per status (the whole workspace: webhooks, poller, replays). */
  async logByStatus(): Promise<Record<string, number>> {
    const { rows } = await this.#pool.query<{ status: string; n: string }>(
      `SELECT status::text AS status, count(*) AS n FROM payment_sync_events
        WHERE workspace_id = $1 GROUP BY status`,
      [this.#workspaceId],
    );
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  /**
   * Open work from events emitted up to `cutoff`: deliveries still being retried, accepted events
   * without a final status in the event log, and outbox rows (0 = drained). Events emitted after
   * the cutoff are still in flight under steady load and are not waited for.
   */
  async open(traffic: Traffic, cutoff = Infinity): Promise<number> {
    const events = [...traffic.events.values()].filter(
      (e) => e.emittedAt <= cutoff && e.kind !== 'over-cap',
    );
    const pending = events.filter((e) => e.acceptedAt === undefined && !e.gaveUp).length;
    const ids = events.filter((e) => e.acceptedAt !== undefined).map((e) => e.id);
    const statuses = await this.statuses(ids);
    const notFinal = ids.filter((id) => !FINAL.includes(statuses.get(id) ?? '')).length;
    return pending + notFinal + (await this.outboxRows());
  }

  /** Accepted events not applied in effect (absent from the log, or dead), by event. */
  async notApplied(traffic: Traffic, kinds: TrackedEvent['kind'][]): Promise<TrackedEvent[]> {
    const events = [...traffic.events.values()].filter(
      (e) => e.acceptedAt !== undefined && kinds.includes(e.kind),
    );
    const statuses = await this.statuses(events.map((e) => e.id));
    return events.filter((e) => !APPLIED.has(statuses.get(e.id) ?? ''));
  }

  /**
   * The database against the simulator: each simulator customer and product with its current
   * name (or deleted), each price, subscription, invoice, payment intent and charge present.
   * Returns the object keys that are missing or stale here, and live rows the provider no longer
   * has.
   */
  async compareWithSimulator(
    sim: StripeSimulator,
    ignore: ReadonlySet<string>,
  ): Promise<{ checked: number; missing: string[]; stale: string[]; extra: string[] }> {
    const missing: string[] = [];
    const stale: string[] = [];
    const extra: string[] = [];
    let checked = 0;
    const tables = [
      { collection: 'customers', table: 'customers', named: true },
      { collection: 'products', table: 'products', named: true },
      { collection: 'prices', table: 'prices', named: false },
      { collection: 'subscriptions', table: 'subscriptions', named: false },
      { collection: 'invoices', table: 'invoices', named: false },
      { collection: 'payment_intents', table: 'payment_transactions', named: false },
      { collection: 'charges', table: 'payment_transactions', named: false },
    ] as const;
    for (const { collection, table, named } of tables) {
      const col = sim.collections[collection];
      const { rows } = await this.#pool.query<{
        id: string;
        name: string | null;
        deleted: boolean;
      }>(
        `SELECT external_id AS id, ${named ? 'name' : 'NULL::text AS name'}, deleted_at IS NOT NULL AS deleted
           FROM ${table} WHERE workspace_id = $1`,
        [this.#workspaceId],
      );
      const local = new Map(rows.map((r) => [r.id, r]));
      const seen = new Set<string>();
      for (let i = 0; i < col.count; i++) {
        const object = col.get(i);
        if (!object) continue;
        const id = object.id as string;
        const key = `${collection}:${id}`;
        seen.add(id);
        if (ignore.has(key)) continue;
        checked++;
        const row = local.get(id);
        if (object.deleted === true) {
          if (row && !row.deleted) extra.push(key);
          continue;
        }
        if (!row || row.deleted) missing.push(key);
        else if (named && row.name !== object.name) stale.push(key);
      }
      const prefix =
        collection === 'payment_intents' ? 'pi_' : collection === 'charges' ? 'ch_' : '';
      for (const r of rows) {
        if (prefix && !r.id.startsWith(prefix)) continue;
        if (!seen.has(r.id) && !r.deleted && !ignore.has(`${collection}:${r.id}`))
          extra.push(`${collection}:${r.id}`);
      }
    }
    return { checked, missing, stale, extra };
  }

  /** A reconciliation run's status and the replica holding it. */
  async reconciliation(id: string): Promise<{ status: string; owner: string | null } | undefined> {
    const { rows } = await this.#pool.query<{ status: string; owner: string | null }>(
      'SELECT status, lease_owner AS owner FROM reconciliation_runs WHERE id = $1',
      [id],
    );
    return rows[0];
  }

  /** Backfill sessions by status. */
  async sessions(): Promise<Record<string, number>> {
    const { rows } = await this.#pool.query<{ status: string; n: string }>(
      `SELECT status::text AS status, count(*) AS n FROM payment_sync_sessions
        WHERE workspace_id = $1 GROUP BY status`,
      [this.#workspaceId],
    );
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  /** Failed backfill sessions' errors (code and message), with how often each occurred. */
  async sessionErrors(): Promise<Record<string, number>> {
    const { rows } = await this.#pool.query<{ e: string; n: string }>(
      `SELECT coalesce(error->>'code', '?') || ': ' || left(coalesce(error->>'message', ''), 160) AS e,
              count(*) AS n
         FROM payment_sync_sessions WHERE workspace_id = $1 AND status = 'failed' GROUP BY 1`,
      [this.#workspaceId],
    );
    return Object.fromEntries(rows.map((r) => [r.e, Number(r.n)]));
  }

  /** Pages committed by the workspace's backfill units (progress marker for the sync-runner). */
  async pages(): Promise<number> {
    const { rows } = await this.#pool.query<{ n: string | null }>(
      `SELECT sum(u.pages) AS n FROM sync_units u JOIN payment_sync_sessions s ON s.id = u.session_id
        WHERE s.workspace_id = $1`,
      [this.#workspaceId],
    );
    return Number(rows[0]?.n ?? 0);
  }
}
