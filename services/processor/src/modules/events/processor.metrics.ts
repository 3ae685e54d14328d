import { Counter, Gauge, Histogram, LATENCY_BUCKETS, type Registry } from '@paysync/observability';
import { registeredProviders } from '@paysync/providers';

/** The event types each registered provider's adapter maps (its capabilities). */
const MAPPED_EVENT_TYPES: Readonly<Record<string, ReadonlySet<string>>> = Object.fromEntries(
  registeredProviders().map((a) => [a.name, new Set<string>(a.capabilities.eventTypes)]),
);

/**
 * The `type` label value for an event: a type we map, else `other`. Tenants sign their own events,
 * so the raw type would let any tenant create one series per string it makes up.
 */
export function eventTypeLabel(provider: string, type: string): string {
  return MAPPED_EVENT_TYPES[provider]?.has(type) ? type : 'other';
}

const E2E_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/**
 * Processor metrics. `type` is bounded by {@link eventTypeLabel}; `consumer_lag` is this replica's
 * view of the partitions it owns and is reset when a rebalance takes them away (cluster-wide lag
 * comes from the broker side: kafka-exporter or KEDA's Kafka scaler).
 */
export class ProcessorMetrics {
  readonly events: Counter<'outcome' | 'type' | 'provider'>;
  readonly batchSize: Histogram;
  readonly batchSeconds: Histogram;
  readonly endToEndSeconds: Histogram<'from'>;
  readonly retries: Counter<'tier'>;
  readonly deadLettered: Counter<'reason'>;
  readonly transientPauses: Counter;
  readonly lag: Gauge<'topic' | 'partition'>;

  constructor({ metrics }: { metrics: Registry }) {
    this.events = new Counter({
      name: 'paysync_processor_events_total',
      help: 'Events processed, by outcome (processed, skipped_duplicate, skipped_stale, ignored, failed, dead), type (mapped types, else other) and provider',
      labelNames: ['outcome', 'type', 'provider'],
      registers: [metrics],
    });
    this.batchSize = new Histogram({
      name: 'paysync_processor_batch_size',
      help: 'Messages per processed batch',
      buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000],
      registers: [metrics],
    });
    this.batchSeconds = new Histogram({
      name: 'paysync_processor_batch_duration_seconds',
      help: 'Time to process and commit one batch',
      buckets: LATENCY_BUCKETS,
      registers: [metrics],
    });
    this.endToEndSeconds = new Histogram({
      name: 'paysync_processor_end_to_end_seconds',
      help: 'From provider event time (from=provider) or ingress receipt (from=ingress) to commit',
      labelNames: ['from'],
      buckets: E2E_BUCKETS,
      registers: [metrics],
    });
    this.retries = new Counter({
      name: 'paysync_processor_retries_total',
      help: 'Events sent to a retry tier',
      labelNames: ['tier'],
      registers: [metrics],
    });
    this.deadLettered = new Counter({
      name: 'paysync_processor_dead_lettered_total',
      help: 'Messages sent to the dead-letter topic, by reason',
      labelNames: ['reason'],
      registers: [metrics],
    });
    this.transientPauses = new Counter({
      name: 'paysync_processor_transient_pauses_total',
      help: 'Times a batch paused because a dependency was unavailable',
      registers: [metrics],
    });
    this.lag = new Gauge({
      name: 'paysync_processor_consumer_lag',
      help: 'Messages behind the partition head after the last batch, for the partitions this replica owns (reset on rebalance)',
      labelNames: ['topic', 'partition'],
      registers: [metrics],
    });
  }
}
