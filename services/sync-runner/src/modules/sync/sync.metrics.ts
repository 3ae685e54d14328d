import { Counter, Gauge, Histogram, type Registry } from '@paysync/observability';

export interface SyncMetricsDeps {
  readonly metrics: Registry;
}

/** Backfill metrics (Prometheus); per-page series carry the connection's provider. */
export class SyncMetrics {
  readonly records: Counter<'entity_type' | 'outcome' | 'provider'>;
  readonly pages: Counter<'entity_type' | 'provider'>;
  readonly requests: Counter<'entity_type' | 'provider'>;
  readonly throttles: Counter<'entity_type' | 'provider'>;
  readonly fetchSeconds: Histogram<'entity_type' | 'provider'>;
  readonly writeSeconds: Histogram<'entity_type' | 'provider'>;
  readonly activeUnits: Gauge;
  readonly unitsFinished: Counter<'outcome'>;
  readonly sessionsFinished: Counter<'status'>;
  readonly leaseLost: Counter<'operation'>;
  readonly failedRecords: Counter<'entity_type' | 'provider'>;

  constructor({ metrics }: SyncMetricsDeps) {
    const registers = [metrics];
    this.records = new Counter({
      name: 'paysync_sync_records_total',
      help: 'Backfill records by outcome (written = applied, skipped = stale, unchanged or tie)',
      labelNames: ['entity_type', 'outcome', 'provider'],
      registers,
    });
    this.pages = new Counter({
      name: 'paysync_sync_pages_total',
      help: 'Backfill pages committed',
      labelNames: ['entity_type', 'provider'],
      registers,
    });
    this.requests = new Counter({
      name: 'paysync_sync_provider_requests_total',
      help: 'Provider requests made by the backfill (retries included)',
      labelNames: ['entity_type', 'provider'],
      registers,
    });
    this.throttles = new Counter({
      name: 'paysync_sync_throttles_total',
      help: 'Provider 429 answers seen by the backfill',
      labelNames: ['entity_type', 'provider'],
      registers,
    });
    const buckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    this.fetchSeconds = new Histogram({
      name: 'paysync_sync_page_fetch_seconds',
      help: 'Provider list request duration, rate-limit wait included',
      labelNames: ['entity_type', 'provider'],
      buckets,
      registers,
    });
    this.writeSeconds = new Histogram({
      name: 'paysync_sync_page_write_seconds',
      help: 'Page write + checkpoint transaction duration',
      labelNames: ['entity_type', 'provider'],
      buckets,
      registers,
    });
    this.activeUnits = new Gauge({
      name: 'paysync_sync_active_units',
      help: 'Units this replica is running',
      registers,
    });
    this.unitsFinished = new Counter({
      name: 'paysync_sync_units_finished_total',
      help: 'Units that ended a run, by outcome',
      labelNames: ['outcome'],
      registers,
    });
    this.sessionsFinished = new Counter({
      name: 'paysync_sync_sessions_finished_total',
      help: 'Sessions this replica completed or failed',
      labelNames: ['status'],
      registers,
    });
    this.leaseLost = new Counter({
      name: 'paysync_sync_lease_lost_total',
      help: 'Unit changes refused because the lease had passed to another claim (a stale worker), by operation',
      labelNames: ['operation'],
      registers,
    });
    this.failedRecords = new Counter({
      name: 'paysync_sync_failed_records_total',
      help: 'Backfill records the database refused; listed on their unit, the session goes on',
      labelNames: ['entity_type', 'provider'],
      registers,
    });
  }
}
