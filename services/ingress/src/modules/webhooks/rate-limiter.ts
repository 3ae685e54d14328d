export interface WindowRateLimiterOptions {
  readonly limitPerSecond: number;
}

/**
 * Fixed one-second windows per key (client IP, connection id). Cheap enough for the hot path;
 * a limit per replica, which is what protects this process.
 */
export class WindowRateLimiter {
  readonly #limit: number;
  #window = 0;
  #counts = new Map<string, number>();

  constructor({ limitPerSecond }: WindowRateLimiterOptions) {
    this.#limit = limitPerSecond;
  }

  /** True if the request may pass. */
  take(key: string, nowMs = Date.now()): boolean {
    const window = Math.floor(nowMs / 1000);
    if (window !== this.#window) {
      this.#window = window;
      this.#counts = new Map();
    }
    const count = (this.#counts.get(key) ?? 0) + 1;
    this.#counts.set(key, count);
    return count <= this.#limit;
  }
}

export interface IpAllowlistOptions {
  /** Plain addresses and IPv4 CIDR ranges (`INGRESS_IP_ALLOWLIST`). */
  readonly entries: readonly string[];
}

/** Matches client IPs against plain addresses and IPv4 CIDR ranges. */
export class IpAllowlist {
  readonly #exact = new Set<string>();
  readonly #ranges: { base: number; mask: number }[] = [];

  constructor({ entries }: IpAllowlistOptions) {
    for (const entry of entries) {
      const [address, bits] = entry.split('/');
      if (bits === undefined) {
        this.#exact.add(entry);
        continue;
      }
      const base = ipv4ToInt(address ?? '');
      const prefix = Number(bits);
      if (base === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) {
        throw new TypeError(`invalid CIDR in allowlist: ${entry}`);
      }
      const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
      this.#ranges.push({ base: (base & mask) >>> 0, mask });
    }
  }

  allows(ip: string): boolean {
    const plain = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
    if (this.#exact.has(ip) || this.#exact.has(plain)) return true;
    const value = ipv4ToInt(plain);
    return value !== undefined && this.#ranges.some((r) => (value & r.mask) >>> 0 === r.base);
  }
}

function ipv4ToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    const n = Number(part);
    if (!/^\d{1,3}$/.test(part) || n > 255) return undefined;
    value = value * 256 + n;
  }
  return value >>> 0;
}
