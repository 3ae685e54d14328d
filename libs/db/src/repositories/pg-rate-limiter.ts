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
  /** The provider account (see connectionRateLimit in @paysync/providers). */
  readonly key: string;
  readonly ratePerSecond: number;
  readonly burst?: number;
}

/**
 * A token bucket in PostgreSQL (`provider_rate_limits`), shared by every replica that calls the
 * same provider account. Each request reserves a token in one statement; a negative balance is the
 * caller's wait (debt ÷ rate), so concurrent callers queue fairly at the configured rate. A 429
 * halves the rate (down to a tenth) and adds the Retry-After as debt; the base rate comes back
 * after a minute without 429s.
 */
export class PgRateLimiter implements ProviderRateLimiter {
  readonly #prisma: Db;
  readonly #key: string;
  readonly #rate: number;
  readonly #burst: number;
  #throttles = 0;

  constructor({ prisma, key, ratePerSecond, burst }: PgRateLimiterDeps) {
    this.#prisma = prisma;
    this.#key = key;
    this.#rate = ratePerSecond;
    this.#burst = burst ?? Math.max(1, Math.ceil(ratePerSecond));
  }

  async acquire(): Promise<void> {
    const rows = await this.#prisma.$queryRaw<{ tokens: number; rate: number }[]>`
      INSERT INTO provider_rate_limits AS p
        (key, rate_per_second, base_rate_per_second, burst, tokens, updated_at)
      VALUES (${this.#key}, ${this.#rate}, ${this.#rate}, ${this.#burst}, ${this.#burst} - 1, clock_timestamp())
      ON CONFLICT (key) DO UPDATE SET
        base_rate_per_second = EXCLUDED.base_rate_per_second,
        burst = EXCLUDED.burst,
        rate_per_second = CASE
          WHEN p.throttled_at IS NULL OR clock_timestamp() - p.throttled_at > interval '60 seconds'
          THEN EXCLUDED.base_rate_per_second ELSE p.rate_per_second END,
        tokens = LEAST(EXCLUDED.burst,
          p.tokens + EXTRACT(EPOCH FROM clock_timestamp() - p.updated_at) * p.rate_per_second) - 1,
        updated_at = clock_timestamp()
      RETURNING tokens, rate_per_second AS rate`;
    const row = rows[0];
    if (row && row.tokens < 0) {
      await new Promise((resolve) => setTimeout(resolve, (-row.tokens / row.rate) * 1000));
    }
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
