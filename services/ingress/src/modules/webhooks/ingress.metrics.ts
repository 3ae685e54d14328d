import { PROVIDERS, type ProviderName } from '@paysync/contracts';
import { Counter, Gauge, Histogram, LATENCY_BUCKETS, type Registry } from '@paysync/observability';

/**
 * The `provider` label value for a raw URL segment: a known provider, else `unknown`. Anyone can
 * post to `/webhooks/<anything>`, so the raw segment would grow one series per guess.
 */
export function providerLabel(segment: string | undefined): ProviderName | 'unknown' {
  return segment !== undefined && (PROVIDERS as readonly string[]).includes(segment)
    ? (segment as ProviderName)
    : 'unknown';
}

export interface IngressMetricsDeps {
  /** The service's registry (`/metrics`). */
  readonly metrics: Registry;
}

/**
 * Ingress metrics, registered once per process on the service's registry. One prefix for all of
 * them: `paysync_webhooks_`. Every label is bounded: `provider` by {@link providerLabel}, `reason`
 * by the error codes in code, `path` by kafka | outbox.
 */
export class IngressMetrics {
  readonly received: Counter<'provider'>;
  readonly rejected: Counter<'provider' | 'reason'>;
  readonly accepted: Counter<'provider' | 'path'>;
  readonly handoffSeconds: Histogram<'path'>;
  readonly outboxDepth: Gauge;

  constructor({ metrics }: IngressMetricsDeps) {
    this.received = new Counter({
      name: 'paysync_webhooks_received_total',
      help: 'Webhook requests received, by provider',
      labelNames: ['provider'],
      registers: [metrics],
    });
    this.rejected = new Counter({
      name: 'paysync_webhooks_rejected_total',
      help: 'Webhook requests rejected, by provider (known providers, else unknown) and reason (error code)',
      labelNames: ['provider', 'reason'],
      registers: [metrics],
    });
    this.accepted = new Counter({
      name: 'paysync_webhooks_accepted_total',
      help: 'Verified webhooks handed off durably, by provider and path (kafka | outbox)',
      labelNames: ['provider', 'path'],
      registers: [metrics],
    });
    this.handoffSeconds = new Histogram({
      name: 'paysync_webhooks_handoff_duration_seconds',
      help: 'Time to hand a verified event off durably (Kafka acks=all, or the outbox)',
      labelNames: ['path'],
      buckets: LATENCY_BUCKETS,
      registers: [metrics],
    });
    this.outboxDepth = new Gauge({
      name: 'paysync_webhooks_outbox_depth',
      help: 'Events waiting in the outbox for Kafka',
      registers: [metrics],
    });
  }
}
