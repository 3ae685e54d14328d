import { createHmac } from 'node:crypto';
import { Agent, request } from 'node:http';

/**
 * Stripe's signature scheme, implemented here independently of @paysync/providers so the
 * simulator checks our verifier instead of agreeing with it by construction.
 */
export function stripeSignatureHeader(
  payload: string,
  secret: string,
  timestampSeconds: number,
): string {
  const signature = createHmac('sha256', secret)
    .update(`${timestampSeconds}.${payload}`, 'utf8')
    .digest('hex');
  return `t=${timestampSeconds},v1=${signature}`;
}

/** The provider-specific headers of one delivery (its authentication, its user agent). */
export type WebhookHeaders = (
  payload: string,
  secret: string,
  timestampSeconds: number,
) => Record<string, string>;

const stripeHeaders: WebhookHeaders = (payload, secret, timestampSeconds) => ({
  'stripe-signature': stripeSignatureHeader(payload, secret, timestampSeconds),
  'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks) paysync-simulator',
});

export interface DeliveryOptions {
  /** Fraction of events delivered twice. */
  duplicateRate: number;
  /** Hold events and release them in shuffled order, this many at a time (0 = in order). */
  reorderWindow: number;
  /** Added before each delivery. */
  delayMs: number;
  /** Fraction of events never delivered (for reconciliation and gap tests). */
  dropRate: number;
}

export interface DeliveryStats {
  sent: number;
  delivered: number;
  failed: number;
  dropped: number;
  duplicated: number;
  /** HTTP status → count. */
  statuses: Record<string, number>;
}

export interface DeliveryResult {
  readonly status: number;
  readonly latencyMs: number;
  readonly body: string;
}

/**
 * Posts signed Stripe events to webhook URLs, with the delivery quirks real providers have:
 * duplicates, reordering, delays, drops. Keep-alive connections; `flush()` waits for everything
 * in flight.
 */
export class WebhookSender {
  options: DeliveryOptions = { duplicateRate: 0, reorderWindow: 0, delayMs: 0, dropRate: 0 };
  readonly stats: DeliveryStats = {
    sent: 0,
    delivered: 0,
    failed: 0,
    dropped: 0,
    duplicated: 0,
    statuses: {},
  };
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 64 });
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #random: () => number;
  #held: { url: string; secret: string; event: Record<string, unknown> }[] = [];

  readonly #headers: WebhookHeaders;

  constructor({
    random = Math.random,
    headers = stripeHeaders,
  }: { random?: () => number; headers?: WebhookHeaders } = {}) {
    this.#random = random;
    this.#headers = headers;
  }

  /** Queues one event for delivery under the current options. */
  send(url: string, secret: string, event: Record<string, unknown>): void {
    if (this.#random() < this.options.dropRate) {
      this.stats.dropped++;
      return;
    }
    const copies = this.#random() < this.options.duplicateRate ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let i = 0; i < copies; i++) this.#held.push({ url, secret, event });
    if (this.#held.length >= Math.max(1, this.options.reorderWindow)) this.release();
  }

  /** Delivers everything held (shuffled when reordering is on). */
  release(): void {
    const batch = this.#held;
    this.#held = [];
    if (this.options.reorderWindow > 1) {
      for (let i = batch.length - 1; i > 0; i--) {
        const j = Math.floor(this.#random() * (i + 1));
        [batch[i], batch[j]] = [
          batch[j] as (typeof batch)[number],
          batch[i] as (typeof batch)[number],
        ];
      }
    }
    // Reordered batches are delivered one after another so the shuffled order is the arrival order.
    const run = (async () => {
      for (const { url, secret, event } of batch) {
        if (this.options.delayMs > 0) await new Promise((r) => setTimeout(r, this.options.delayMs));
        const delivery = this.deliver(url, secret, JSON.stringify(event)).catch(() => undefined);
        if (this.options.reorderWindow > 1) await delivery;
      }
    })();
    this.#track(run);
  }

  /** One signed POST; resolves with the answer (never throws on HTTP errors). */
  deliver(
    url: string,
    secret: string,
    payload: string,
    timestampSeconds = Math.floor(Date.now() / 1000),
  ): Promise<DeliveryResult> {
    this.stats.sent++;
    const started = performance.now();
    const target = new URL(url);
    const promise = new Promise<DeliveryResult>((resolve, reject) => {
      const req = request(
        {
          agent: this.#agent,
          host: target.hostname,
          port: target.port,
          path: `${target.pathname}${target.search}`,
          method: 'POST',
          headers: {
            'content-type': 'application/json; charset=utf-8',
            'content-length': Buffer.byteLength(payload),
            ...this.#headers(payload, secret, timestampSeconds),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            this.stats.statuses[status] = (this.stats.statuses[status] ?? 0) + 1;
            if (status >= 200 && status < 300) this.stats.delivered++;
            else this.stats.failed++;
            resolve({
              status,
              latencyMs: performance.now() - started,
              body: Buffer.concat(chunks).toString('utf8'),
            });
          });
        },
      );
      req.on('error', (err) => {
        this.stats.failed++;
        reject(err);
      });
      req.end(payload);
    });
    this.#track(promise.catch(() => undefined));
    return promise;
  }

  async flush(): Promise<void> {
    this.release();
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  close(): void {
    this.#agent.destroy();
  }

  #track(promise: Promise<unknown>): void {
    this.#inFlight.add(promise);
    void promise.finally(() => this.#inFlight.delete(promise));
  }
}
