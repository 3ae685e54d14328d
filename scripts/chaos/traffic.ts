// Steady provider activity during a chaos run: the simulator's objects change (updates, creates,
// deletes), and each change's event is delivered to the ingress signed, as Stripe would, with
// duplicates, shuffled arrival order and Stripe-like retries (any non-2xx or connection error is
// retried with backoff, for a bounded time). Every event is tracked: the scenario it was made in,
// whether and when a delivery was accepted (2xx).
import { prng, stripeSignatureHeader, type StripeSimulator } from '@paysync/simulator';

export type EventKind = 'change' | 'poison' | 'oversized' | 'over-cap';

export interface TrackedEvent {
  readonly id: string;
  readonly kind: EventKind;
  readonly scenario: string;
  readonly objectKey: string;
  readonly emittedAt: number;
  attempts: number;
  acceptedAt?: number;
  lastStatus?: number | string;
  gaveUp?: boolean;
}

export interface TrafficOptions {
  readonly sim: StripeSimulator;
  readonly url: string;
  readonly secret: string;
  readonly ratePerSecond: number;
  readonly duplicateRate: number;
  /** Events are held and released shuffled this many at a time. */
  readonly reorderWindow: number;
  /** Seeded customers that receive changes (0..n-1). */
  readonly customerPool: number;
  readonly productPool: number;
  /** How long one event is retried before the sender gives up (Stripe: 3 days; bounded here). */
  readonly retryForMs: number;
}

export class Traffic {
  readonly events = new Map<string, TrackedEvent>();
  /** Object key (`customers:cus_…`) → scenario of its last change. */
  readonly lastChange = new Map<string, string>();
  /** Customers never changed by the random mix (they carry the oversized bodies). */
  readonly reserved = new Set<string>();
  scenario = 'warm-up';
  duplicatesSent = 0;
  readonly #o: TrafficOptions;
  readonly #random = prng(7);
  readonly #live: string[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  #held: { id: string; payload: string }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #seq = 0;

  constructor(options: TrafficOptions) {
    this.#o = options;
    for (let i = 0; i < options.customerPool; i++)
      this.#live.push(`cus_sim${i.toString().padStart(10, '0')}`);
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.#tick(), 1000 / this.#o.ratePerSecond);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#release();
  }

  /** Waits until every delivery has been accepted or given up (bounded by retryForMs). */
  async flush(): Promise<void> {
    this.#release();
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  /** One provider change, its event queued for delivery. */
  #tick(): void {
    const { sim } = this.#o;
    const r = this.#random();
    const n = ++this.#seq;
    const pick = () => {
      const candidates = this.#live.filter((id) => !this.reserved.has(id));
      return candidates[Math.floor(this.#random() * candidates.length)];
    };
    if (r < 0.8) {
      const id = pick();
      if (!id) return;
      sim.update('customers', id, { name: `chaos ${n}`, metadata: { chaos_seq: String(n) } });
      this.#queueLast('customers', id);
    } else if (r < 0.88 && this.#o.productPool > 0) {
      const id = `prod_sim${Math.floor(this.#random() * this.#o.productPool)
        .toString()
        .padStart(10, '0')}`;
      sim.update('products', id, { name: `chaos product ${n}` });
      this.#queueLast('products', id);
    } else if (r < 0.95) {
      const created = sim.create('customers', {
        email: `chaos${n}@example.com`,
        name: `chaos new ${n}`,
      });
      this.#live.push(created.id as string);
      this.#queueLast('customers', created.id as string);
    } else {
      const id = pick();
      if (!id) return;
      this.#live.splice(this.#live.indexOf(id), 1);
      sim.delete('customers', id);
      this.#queueLast('customers', id);
    }
  }

  /** Queues the event the simulator emitted last (no endpoint is registered there). */
  #queueLast(collection: string, id: string): void {
    const event = this.#o.sim.events.at(-1);
    if (!event) return;
    this.lastChange.set(`${collection}:${id}`, this.scenario);
    this.#track(event.id, 'change', `${collection}:${id}`);
    this.#hold(event.id, JSON.stringify(event));
  }

  /** A customer change made now, delivered through the same path (oversized bodies). */
  changeCustomer(id: string, fields: Record<string, unknown>, kind: EventKind): TrackedEvent {
    this.reserved.add(id);
    this.#o.sim.update('customers', id, fields);
    const event = this.#o.sim.events.at(-1);
    if (!event) throw new Error('no event emitted');
    this.lastChange.set(`customers:${id}`, this.scenario);
    const tracked = this.#track(event.id, kind, `customers:${id}`);
    this.#deliver(event.id, JSON.stringify(event));
    return tracked;
  }

  /** A signed event that is not the simulator's (poison, over the cap), sent once with retries. */
  sendRaw(event: { id: string }, kind: EventKind, objectKey: string): TrackedEvent {
    const tracked = this.#track(event.id, kind, objectKey);
    this.#deliver(event.id, JSON.stringify(event), kind === 'over-cap' ? 1 : undefined);
    return tracked;
  }

  #track(id: string, kind: EventKind, objectKey: string): TrackedEvent {
    const tracked: TrackedEvent = {
      id,
      kind,
      scenario: this.scenario,
      objectKey,
      emittedAt: Date.now(),
      attempts: 0,
    };
    this.events.set(id, tracked);
    return tracked;
  }

  #hold(id: string, payload: string): void {
    this.#held.push({ id, payload });
    if (this.#random() < this.#o.duplicateRate) {
      this.duplicatesSent++;
      this.#held.push({ id, payload });
    }
    if (this.#held.length >= this.#o.reorderWindow) this.#release();
  }

  #release(): void {
    const batch = this.#held;
    this.#held = [];
    for (let i = batch.length - 1; i > 0; i--) {
      const j = Math.floor(this.#random() * (i + 1));
      [batch[i], batch[j]] = [batch[j]!, batch[i]!];
    }
    for (const { id, payload } of batch) this.#deliver(id, payload);
  }

  /** Delivers until a 2xx or until retryForMs has passed (maxAttempts for one-shot events). */
  #deliver(id: string, payload: string, maxAttempts = Infinity): void {
    const tracked = this.events.get(id) as TrackedEvent;
    const started = Date.now();
    const run = (async () => {
      for (let attempt = 0; attempt < maxAttempts; attempt++) {
        tracked.attempts++;
        try {
          const res = await this.#post(payload);
          tracked.lastStatus = res;
          if (res >= 200 && res < 300) {
            tracked.acceptedAt ??= Date.now();
            return;
          }
          // 4xx other than 408/429 is final for Stripe too (the endpoint refused the event).
          if (res >= 400 && res < 500 && res !== 408 && res !== 429) break;
        } catch (err) {
          tracked.lastStatus = (err as NodeJS.ErrnoException).code ?? 'error';
        }
        if (Date.now() - started > this.#o.retryForMs) break;
        await new Promise((r) => setTimeout(r, Math.min(500 * 2 ** attempt, 4000)));
      }
      if (tracked.acceptedAt === undefined) tracked.gaveUp = true;
    })();
    this.#inFlight.add(run);
    void run.finally(() => this.#inFlight.delete(run));
  }

  async #post(payload: string): Promise<number> {
    const timestamp = Math.floor(Date.now() / 1000);
    const res = await fetch(this.#o.url, {
      method: 'POST',
      body: payload,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'stripe-signature': stripeSignatureHeader(payload, this.#o.secret, timestamp),
        'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks) paysync-chaos',
      },
      signal: AbortSignal.timeout(15_000),
    });
    await res.arrayBuffer();
    return res.status;
  }

  /** Events of one scenario (or all): sent, accepted, still being retried, given up. */
  counts(scenario?: string, kind?: EventKind) {
    let sent = 0;
    let accepted = 0;
    let pending = 0;
    let gaveUp = 0;
    for (const e of this.events.values()) {
      if (scenario !== undefined && e.scenario !== scenario) continue;
      if (kind !== undefined && e.kind !== kind) continue;
      if (e.attempts > 0) sent++;
      if (e.acceptedAt !== undefined) accepted++;
      else if (e.gaveUp) gaveUp++;
      else pending++;
    }
    return { sent, accepted, pending, gaveUp };
  }

  acceptedIds(filter: (e: TrackedEvent) => boolean = () => true): string[] {
    return [...this.events.values()]
      .filter((e) => e.acceptedAt !== undefined && filter(e))
      .map((e) => e.id);
  }
}
