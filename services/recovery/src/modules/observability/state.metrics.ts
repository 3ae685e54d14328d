import { withSystem, type SyncSessionRepository } from '@paysync/db';
import { Gauge, type Logger, type Registry } from '@paysync/observability';

import type { DeadLetterRepository } from '../dead-letters/dead-letter.repository.js';

export interface StateMetricsDeps {
  readonly syncSessionRepository: SyncSessionRepository;
  readonly deadLetterRepository: DeadLetterRepository;
  readonly metrics: Registry;
  readonly logger: Logger;
}

/** Running sessions with an ETA on the Sync dashboard (the longest ones). */
const MAX_ETA_SERIES = 20;
/** A scrape within this long of the previous one reuses its numbers (several Prometheus replicas). */
const CACHE_MS = 5000;

/**
 * Cluster-wide state read from PostgreSQL at scrape time (the recovery service watches sessions
 * and dead letters, so it exports them): sync sessions by status, the ETA of running sessions,
 * dead letters by state. Every replica reports the same numbers: dashboards take `max`.
 * Labels are bounded: statuses are enums, and at most {@link MAX_ETA_SERIES} running sessions.
 */
export class StateMetrics {
  readonly #sessions: SyncSessionRepository;
  readonly #deadLetters: DeadLetterRepository;
  readonly #logger: Logger;
  readonly sessions: Gauge<'status'>;
  readonly sessionEta: Gauge<'session_id' | 'workspace_id'>;
  readonly deadLetters: Gauge<'status'>;
  #refreshed = 0;
  #refreshing: Promise<void> | undefined;

  constructor({ syncSessionRepository, deadLetterRepository, metrics, logger }: StateMetricsDeps) {
    this.#sessions = syncSessionRepository;
    this.#deadLetters = deadLetterRepository;
    this.#logger = logger.child({ component: 'StateMetrics' });
    const refresh = () => this.#refresh();
    this.sessions = new Gauge({
      name: 'paysync_sync_sessions',
      help: 'Sync sessions by status (pending, running, completed, failed, cancelled), from PostgreSQL',
      labelNames: ['status'],
      registers: [metrics],
      collect: refresh,
    });
    this.sessionEta = new Gauge({
      name: 'paysync_sync_session_eta_seconds',
      help: `Estimated seconds left of running sync sessions (share of segments done; the ${MAX_ETA_SERIES} longest)`,
      labelNames: ['session_id', 'workspace_id'],
      registers: [metrics],
      collect: refresh,
    });
    this.deadLetters = new Gauge({
      name: 'paysync_dead_letters',
      help: 'Dead letters by state (waiting = re-drive scheduled, redriven = outcome pending, resolved, dead = needs a human), from PostgreSQL',
      labelNames: ['status'],
      registers: [metrics],
      collect: refresh,
    });
  }

  /** One query round per scrape, shared by the three gauges. */
  #refresh(): Promise<void> {
    if (Date.now() - this.#refreshed < CACHE_MS) return Promise.resolve();
    this.#refreshing ??= this.#load()
      .catch((err: unknown) => this.#logger.warn({ err }, 'State metrics not refreshed'))
      .finally(() => {
        this.#refreshing = undefined;
      });
    return this.#refreshing;
  }

  async #load(): Promise<void> {
    // Totals over every workspace: system work (row-level security).
    const [sessions, deadLetters, running] = await withSystem('state metrics', () =>
      Promise.all([
        this.#sessions.countByStatus(),
        this.#deadLetters.countByStatus(),
        this.#sessions.runningEtas(MAX_ETA_SERIES),
      ]),
    );
    this.sessions.reset();
    for (const [status, n] of Object.entries(sessions)) this.sessions.set({ status }, n);
    this.deadLetters.reset();
    for (const [status, n] of Object.entries(deadLetters)) this.deadLetters.set({ status }, n);
    this.sessionEta.reset();
    for (const r of running) {
      // Unknown yet (no segment done): -1, so the session still shows as running.
      this.sessionEta.set(
        { session_id: r.id, workspace_id: r.workspaceId },
        r.etaSeconds === null ? -1 : Math.round(r.etaSeconds),
      );
    }
    this.#refreshed = Date.now();
  }

  /** Registered with asyncInit so the gauges exist from start-up. */
  start(): void {}
}
