import { Counter, type Registry } from '@paysync/observability';

export interface RecoveryMetricsDeps {
  readonly metrics: Registry;
}

/** Recovery metrics (Prometheus): re-drives, automatic resumes, drift, event gaps. */
export class RecoveryMetrics {
  readonly redrives: Counter;
  readonly autoResumes: Counter<'reason'>;
  readonly reconciliations: Counter<'status' | 'trigger'>;
  readonly driftFound: Counter<'entity_type' | 'kind' | 'provider'>;
  readonly driftRepaired: Counter<'entity_type' | 'provider'>;
  readonly eventsChecked: Counter<'provider'>;
  readonly eventsGap: Counter<'provider'>;

  constructor({ metrics }: RecoveryMetricsDeps) {
    const registers = [metrics];
    this.redrives = new Counter({
      name: 'paysync_recovery_redrives_total',
      help: 'Dead letters sent back to the webhook topic automatically',
      registers,
    });
    this.autoResumes = new Counter({
      name: 'paysync_recovery_session_auto_resumes_total',
      help: 'Sync sessions resumed automatically, by reason (stalled, failed)',
      labelNames: ['reason'],
      registers,
    });
    this.reconciliations = new Counter({
      name: 'paysync_reconciliations_total',
      help: 'Reconciliation runs finished, by status and trigger',
      labelNames: ['status', 'trigger'],
      registers,
    });
    this.driftFound = new Counter({
      name: 'paysync_reconciliation_drift_found_total',
      help: 'Drifted objects found by reconciliation (missing, stale, deleted)',
      labelNames: ['entity_type', 'kind', 'provider'],
      registers,
    });
    this.driftRepaired = new Counter({
      name: 'paysync_reconciliation_drift_repaired_total',
      help: 'Drifted objects repaired through the write path',
      labelNames: ['entity_type', 'provider'],
      registers,
    });
    this.eventsChecked = new Counter({
      name: 'paysync_events_poll_checked_total',
      help: 'Provider events checked against the event log by the gap poller',
      labelNames: ['provider'],
      registers,
    });
    this.eventsGap = new Counter({
      name: 'paysync_events_gap_total',
      help: 'Provider events that never arrived by webhook, found and applied by the gap poller (alert when it grows)',
      labelNames: ['provider'],
      registers,
    });
  }
}
