import { isIPv4, isIPv6 } from 'node:net';

export interface AuthFailureLimiterDeps {
  readonly config: { readonly api: { readonly authFailuresPerMinute: number } };
}

interface Window {
  failures: number;
  readonly resetAt: number;
}

const WINDOW_MS = 60_000;
/**
 * Addresses tracked at once. An attacker rotating addresses can only push out other entries, never
 * grow memory; one rotating through more than this many /64s or IPv4 addresses a minute is a
 * network-level problem the edge (WAF, load balancer) must absorb.
 */
const MAX_TRACKED = 100_000;

/**
 * Issue 15 item 2: credential guessing is limited per client address BEFORE authentication. The
 * per-credential rate limit cannot see a request that fails authentication (there is no
 * credential), so failed authentications (401) and failed workspace checks (403/404) are counted
 * per address here; past `API_AUTH_FAILURES_PER_MINUTE` in a minute the address gets 429 with
 * `Retry-After` until its window ends, whatever it sends (a success does not reset the count:
 * an attacker holding one valid key could otherwise interleave guesses with it).
 *
 * IPv6 addresses count per /64, the block a single subscriber is usually given; IPv4-mapped IPv6
 * counts as the IPv4 address. In-memory, per replica: N replicas allow N times the budget, which
 * still turns an unbounded search into a few guesses a minute.
 */
export class AuthFailureLimiter {
  readonly #max: number;
  readonly #windows = new Map<string, Window>();

  constructor({ config }: AuthFailureLimiterDeps) {
    this.#max = config.api.authFailuresPerMinute;
  }

  /** Seconds until `address` may try again, or undefined when it is not blocked. */
  retryAfterSeconds(address: string): number | undefined {
    const key = addressKey(address);
    const window = this.#windows.get(key);
    if (!window) return undefined;
    const left = window.resetAt - Date.now();
    if (left <= 0) {
      this.#windows.delete(key);
      return undefined;
    }
    return window.failures >= this.#max ? Math.ceil(left / 1000) : undefined;
  }

  /** Counts one failed authentication or workspace check from `address`. */
  recordFailure(address: string): void {
    const key = addressKey(address);
    const now = Date.now();
    const window = this.#windows.get(key);
    if (window && window.resetAt > now) {
      window.failures += 1;
      return;
    }
    if (window) this.#windows.delete(key);
    if (this.#windows.size >= MAX_TRACKED) this.#evict(now);
    this.#windows.set(key, { failures: 1, resetAt: now + WINDOW_MS });
  }

  /** Drops ended windows; if none ended, the oldest (Map order is insertion order). */
  #evict(now: number): void {
    for (const [key, w] of this.#windows) if (w.resetAt <= now) this.#windows.delete(key);
    if (this.#windows.size >= MAX_TRACKED) {
      const oldest = this.#windows.keys().next();
      if (!oldest.done) this.#windows.delete(oldest.value);
    }
  }
}

/** The unit an address is counted by: the IPv4 address, or the /64 of an IPv6 address. */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (isIPv4(address) || !isIPv6(address)) return address;
  const [head = '', tail] = address.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
