import { BASE_CREATED, EVENT_PREFIX, OBJECT_NAME, simId, type CollectionName } from './store.js';
import { WebhookSender } from './webhook-sender.js';

export interface LoadOptions {
  readonly url: string;
  readonly secret: string;
  readonly count: number;
  /** Requests in flight at once. */
  readonly concurrency: number;
  /** Upper bound on sends per second (0 = as fast as the target answers). */
  readonly ratePerSecond?: number;
  /** Fraction of events sent a second time. */
  readonly duplicateRate?: number;
  /** Fraction of objects that get a second, older event sent after the newer one. */
  readonly reorderRate?: number;
  /** Event types to mix, round robin (default customer.updated). */
  readonly types?: readonly string[];
  /** Stripe `account` on every event (Connect). */
  readonly accountId?: string;
  /** Makes object ids unique per run. */
  readonly runId?: string;
  /** Stop after this long even if not done. */
  readonly maxDurationMs?: number;
}

export interface LoadReport {
  readonly sent: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly errors: number;
  readonly durationMs: number;
  readonly acceptedPerSecond: number;
  readonly latencyMs: {
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly max: number;
  };
  readonly statuses: Record<string, number>;
  /** Ids of the events the target accepted (2xx), for end-to-end checks. */
  readonly acceptedEventIds: string[];
  /** Distinct objects the events were about. */
  readonly objects: number;
}

const COLLECTION_OF: Record<string, CollectionName> = Object.fromEntries(
  (Object.entries(EVENT_PREFIX) as [CollectionName, string][]).map(([c, prefix]) => [prefix, c]),
);

/** Builds a signed-ready Stripe event about object `n` of the run. */
export function loadEvent(
  type: string,
  n: number,
  opts: { runId: string; createdSeconds: number; accountId?: string; seq: number },
) {
  const prefix = type.slice(0, type.lastIndexOf('.'));
  const collection = COLLECTION_OF[prefix] ?? 'customers';
  const id = `${simId(collection, n).replace('_sim', `_ld${opts.runId}`)}`;
  const object: Record<string, unknown> = {
    id,
    object: OBJECT_NAME[collection],
    created: BASE_CREATED + n,
    livemode: false,
    metadata: { seq: String(opts.seq) },
    ...(collection === 'customers' && {
      email: `load${n}@example.com`,
      name: `Load ${n} v${opts.seq}`,
    }),
    ...(collection === 'products' && { name: `Load product ${n}`, active: true }),
    ...(collection === 'subscriptions' && {
      status: 'active',
      customer: `cus_ld${opts.runId}${n}`,
      items: { data: [] },
    }),
    ...(collection === 'invoices' && {
      status: 'paid',
      amount_due: 100 + n,
      amount_paid: 100 + n,
      currency: 'usd',
    }),
    ...(collection === 'payment_intents' && {
      status: 'succeeded',
      amount: 100 + n,
      currency: 'usd',
    }),
    ...(collection === 'charges' && {
      status: 'succeeded',
      amount: 100 + n,
      amount_refunded: 0,
      currency: 'usd',
    }),
  };
  return {
    id: `evt_ld${opts.runId}_${opts.seq}`,
    object: 'event',
    api_version: '2026-10-28.endive',
    created: opts.createdSeconds,
    data: { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    ...(opts.accountId && { account: opts.accountId }),
  };
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0
    ? 0
    : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number);

/**
 * Sends `count` signed events to any webhook URL (ours or another system's) with a fixed
 * concurrency over keep-alive connections, and reports what the target answered.
 */
export async function runLoad(opts: LoadOptions): Promise<LoadReport> {
  const sender = new WebhookSender();
  const types = opts.types?.length ? opts.types : ['customer.updated'];
  const runId = opts.runId ?? Date.now().toString(36);
  const now = Math.floor(Date.now() / 1000);
  // Plan every send first: distinct objects, plus duplicates and late (older) events.
  const plan: { payload: string; eventId: string }[] = [];
  let seq = 0;
  let objects = 0;
  for (let n = 0; plan.length < opts.count; n++) {
    const type = types[n % types.length] as string;
    objects++;
    const event = loadEvent(type, n, {
      runId,
      createdSeconds: now,
      accountId: opts.accountId,
      seq: seq++,
    });
    const payload = JSON.stringify(event);
    plan.push({ payload, eventId: event.id });
    if (plan.length < opts.count && Math.random() < (opts.duplicateRate ?? 0))
      plan.push({ payload, eventId: event.id });
    if (plan.length < opts.count && Math.random() < (opts.reorderRate ?? 0)) {
      const older = loadEvent(type, n, {
        runId,
        createdSeconds: now - 5,
        accountId: opts.accountId,
        seq: seq++,
      });
      plan.push({ payload: JSON.stringify(older), eventId: older.id });
    }
  }
  const latencies: number[] = [];
  const accepted: string[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const deadline = opts.maxDurationMs ? started + opts.maxDurationMs : Infinity;
  const interval = opts.ratePerSecond ? 1000 / opts.ratePerSecond : 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= plan.length || performance.now() > deadline) return;
      if (interval > 0) {
        const due = started + i * interval;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const item = plan[i] as (typeof plan)[number];
      try {
        const result = await sender.deliver(opts.url, opts.secret, item.payload);
        latencies.push(result.latencyMs);
        statuses[result.status] = (statuses[result.status] ?? 0) + 1;
        if (result.status >= 200 && result.status < 300) accepted.push(item.eventId);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency) }, worker));
  const durationMs = performance.now() - started;
  sender.close();
  const sorted = [...latencies].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    sent: latencies.length + errors,
    accepted: accepted.length,
    rejected: latencies.length - accepted.length,
    errors,
    durationMs: Math.round(durationMs),
    acceptedPerSecond: Math.round((accepted.length / durationMs) * 1000),
    latencyMs: {
      p50: round(percentile(sorted, 50)),
      p90: round(percentile(sorted, 90)),
      p99: round(percentile(sorted, 99)),
      max: round(sorted.at(-1) ?? 0),
    },
    statuses,
    acceptedEventIds: accepted,
    objects,
  };
}
