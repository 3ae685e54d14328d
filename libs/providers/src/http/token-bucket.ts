/** Anything that hands out request permits at a bounded rate. */
export interface RateLimiter {
  /** Resolves when one request may be sent. */
  acquire(): Promise<void>;
  /** The provider answered 429: slow down for a while. */
  onThrottled?(retryAfterMs: number): void;
}

export interface TokenBucketOptions {
  readonly ratePerSecond: number;
  /** Permits available at once (default: one second's worth, at least 1). */
  readonly burst?: number | undefined;
}

/**
 * In-process token bucket: `ratePerSecond` permits per second, bursts up to `burst`. After a 429
 * the bucket pauses for the provider's Retry-After and refills at half rate until a minute of
 * calm has passed (adaptive slow-down).
 */
export class TokenBucket implements RateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  #tokens: number;
  #last: number;
  #pausedUntil = 0;
  #slowUntil = 0;
  #queue: Promise<void> = Promise.resolve();

  constructor({ ratePerSecond, burst }: TokenBucketOptions) {
    if (!(ratePerSecond > 0)) throw new TypeError('ratePerSecond must be positive');
    this.#rate = ratePerSecond;
    this.#burst = burst ?? Math.max(1, Math.ceil(ratePerSecond));
    this.#tokens = this.#burst;
    this.#last = Date.now();
  }

  acquire(): Promise<void> {
    // Serialise waiters so permits go out in arrival order.
    const next = this.#queue.then(() => this.#take());
    this.#queue = next.catch(() => undefined);
    return next;
  }

  onThrottled(retryAfterMs: number): void {
    const now = Date.now();
    this.#pausedUntil = Math.max(this.#pausedUntil, now + retryAfterMs);
    this.#slowUntil = now + 60_000;
    this.#tokens = 0;
  }

  async #take(): Promise<void> {
    for (;;) {
      const now = Date.now();
      if (now < this.#pausedUntil) {
        await sleep(this.#pausedUntil - now);
        continue;
      }
      const rate = now < this.#slowUntil ? this.#rate / 2 : this.#rate;
      this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * rate);
      this.#last = now;
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
        return;
      }
      await sleep(Math.ceil(((1 - this.#tokens) / rate) * 1000));
    }
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
