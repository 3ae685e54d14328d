import type { Db } from '../client.js';
import type { ConnectionView } from './connection.repository.js';

/**
 * A provider account's shared rate limiter, as the sync-runner and recovery use it: what the
 * provider adapters need (`acquire`, `onThrottled`) plus the 429 count a unit records.
 */
export interface ProviderRateLimiter {
  /** Resolves when one request may be sent. */
  acquire(): Promise<void>;
  /** The provider answered 429: slow down for a while. */
  onThrottled(retryAfterMs: number): void;
  /** 429s seen since the last call. */
  takeThrottles(): number;
}

/**
 * Builds the rate limiter of a connection's provider account (registered once per service as
 * `rateLimiterFactory`; classes take the factory instead of building a PgRateLimiter).
 */
export type RateLimiterFactory = (connection: ConnectionView) => ProviderRateLimiter;

export interface PgRateLimiterDeps {
  readonly prisma: Db;
  /**
   * The shared bucket (see connectionRateLimit in @paysync/providers): a provider account the
   * provider confirmed, else the connection itself.
   */
  readonly key: string;
  /** Server configuration's rate for the provider and mode; stored when the bucket is created. */
  readonly ratePerSecond: number;
  /**
   * Requests the bucket holds (default: a second's worth). A budget counted per minute
   * (Chargebee: 150 per 60 s ⇒ 2.5/s) uses 1: the provider counts the past 60 s, so a burst at
   * the start of a minute spends what its end needs.
   */
  readonly burst?: number | undefined;
  /** A lower rate the connection asked for, in a bucket of its own (its key names the rate). */
  readonly connectionCap?: { readonly key: string; readonly ratePerSecond: number } | undefined;
}

/**
 * A token bucket in PostgreSQL (`provider_rate_limits`), shared by every replica that calls the
 * same provider account. Each request reserves a token in one statement; a negative balance is the
 * caller's wait (debt ÷ rate), so concurrent callers queue fairly at the bucket's rate. A 429
 * halves the rate (down to a tenth) and adds the Retry-After as debt; the base rate comes back
 * after a minute without 429s.
 *
 * The rate is written when the bucket is created and otherwise only by server configuration
 * ({@link ProviderRateLimitRepository.applyBaseRate}): an acquire never changes a stored rate, so
 * no caller can speed up or slow down a bucket for the others (issue 15 item 4). With a
 * connection cap, a request takes a token from both buckets and waits for the later one.
 */
export class PgRateLimiter implements ProviderRateLimiter {
  readonly #prisma: Db;
  readonly #key: string;
  readonly #rate: number;
  readonly #burst: number;
  readonly #cap:
    { readonly key: string; readonly rate: number; readonly burst: number } | undefined;
  #throttles = 0;

  constructor({ prisma, key, ratePerSecond, burst, connectionCap }: PgRateLimiterDeps) {
    this.#prisma = prisma;
    this.#key = key;
    this.#rate = ratePerSecond;
    this.#burst = burst ?? Math.max(1, Math.ceil(ratePerSecond));
    this.#cap = connectionCap && {
      key: connectionCap.key,
      rate: connectionCap.ratePerSecond,
      burst: Math.max(1, Math.ceil(connectionCap.ratePerSecond)),
    };
  }

  async acquire(): Promise<void> {
    const waits = await Promise.all([
      this.#reserve(this.#key, this.#rate, this.#burst),
      ...(this.#cap ? [this.#reserve(this.#cap.key, this.#cap.rate, this.#cap.burst)] : []),
    ]);
    const waitMs = Math.max(...waits);
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
  }

  /** Takes one token from `key` (creating the bucket at `rate` if new); the wait in ms. */
  async #reserve(key: string, rate: number, burst: number): Promise<number> {
    const rows = await this.#prisma.$queryRaw<{ tokens: number; rate: number }[]>`
      INSERT INTO provider_rate_limits AS p
        (key, rate_per_second, base_rate_per_second, burst, tokens, updated_at)
      VALUES (${key}, ${rate}, ${rate}, ${burst}, ${burst} - 1, clock_timestamp())
      ON CONFLICT (key) DO UPDATE SET
        rate_per_second = CASE
          WHEN p.throttled_at IS NULL OR clock_timestamp() - p.throttled_at > interval '60 seconds'
          THEN p.base_rate_per_second ELSE p.rate_per_second END,
        tokens = LEAST(p.burst,
          p.tokens + EXTRACT(EPOCH FROM clock_timestamp() - p.updated_at) * p.rate_per_second) - 1,
        updated_at = clock_timestamp()
      RETURNING tokens, rate_per_second AS rate`;
    const row = rows[0];
    return row && row.tokens < 0 ? (-row.tokens / row.rate) * 1000 : 0;
  }

  onThrottled(retryAfterMs: number): void {
    this.#throttles++;
    void this.#prisma.$executeRaw`
      UPDATE provider_rate_limits SET
        rate_per_second = GREATEST(base_rate_per_second * 0.1, rate_per_second * 0.5),
        throttled_at = clock_timestamp(),
        tokens = LEAST(tokens, -(rate_per_second * 0.5) * ${retryAfterMs} / 1000.0)
      WHERE key = ${this.#key}`.catch(() => undefined);
  }

  /** 429s seen since the last call (for the unit's counters). */
  takeThrottles(): number {
    const n = this.#throttles;
    this.#throttles = 0;
    return n;
  }
}

export interface ProviderRateLimitRepositoryDeps {
  readonly prisma: Db;
}

/** What server configuration does to the stored buckets (`provider_rate_limits`). */
export class ProviderRateLimitRepository {
  readonly #prisma: Db;

  constructor({ prisma }: ProviderRateLimitRepositoryDeps) {
    this.#prisma = prisma;
  }

  /**
   * Sets the base rate (and burst) of every shared bucket of `provider` and `mode` whose stored
   * rate or burst differs from the configured one: how a changed STRIPE_RATE_LIMIT_PER_SECOND_*
   * (CHARGEBEE_RATE_LIMIT_PER_MINUTE_*) reaches buckets created before (a service applies it at
   * start-up). `burst` defaults to a second's worth; a per-minute budget passes its own (1).
   * Connection caps (`…:<mode>:cap:<rate>`) keep the rate their key names. Returns the buckets
   * changed.
   */
  async applyBaseRate(
    provider: string,
    mode: string,
    ratePerSecond: number,
    burst: number = Math.max(1, Math.ceil(ratePerSecond)),
  ): Promise<number> {
    return this.#prisma.$executeRaw`
      UPDATE provider_rate_limits SET
        base_rate_per_second = ${ratePerSecond},
        burst = ${burst},
        rate_per_second = CASE
          WHEN throttled_at IS NULL OR clock_timestamp() - throttled_at > interval '60 seconds'
          THEN ${ratePerSecond} ELSE LEAST(rate_per_second, ${ratePerSecond}) END,
        tokens = LEAST(tokens, ${burst})
      WHERE key LIKE ${`${provider}:%:${mode}`}
        AND (base_rate_per_second <> ${ratePerSecond} OR burst <> ${burst})`;
  }
}
