import { Counter, Gauge, Histogram, LATENCY_BUCKETS, type Registry } from '@paysync/observability';

/** Ingress metrics, registered once per process on the service's registry. */
export class IngressMetrics {
  readonly received: Counter<'provider'>;
  readonly rejected: Counter<'provider' | 'reason'>;
  readonly accepted: Counter<'provider' | 'path'>;
  readonly handoffSeconds: Histogram<'path'>;
  readonly outboxDepth: Gauge;

  constructor({ metrics }: { metrics: Registry }) {
    this.received = new Counter({
      name: 'paysync_webhooks_received_total',
      help: 'Webhook requests received, by provider',
      labelNames: ['provider'],
      registers: [metrics],
    });
    this.rejected = new Counter({
      name: 'paysync_webhooks_rejected_total',
      help: 'Webhook requests rejected, by provider and reason (error code)',
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
      name: 'paysync_webhook_handoff_duration_seconds',
      help: 'Time to hand a verified event off durably (Kafka acks=all, or the outbox)',
      labelNames: ['path'],
      buckets: LATENCY_BUCKETS,
      registers: [metrics],
    });
    this.outboxDepth = new Gauge({
      name: 'paysync_webhook_outbox_depth',
      help: 'Events waiting in the outbox for Kafka',
      registers: [metrics],
    });
  }
}
