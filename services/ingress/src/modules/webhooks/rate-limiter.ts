import { BlockList, isIP } from 'node:net';

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
  /** IPv4/IPv6 addresses and CIDR ranges (`INGRESS_IP_ALLOWLIST`). */
  readonly entries: readonly string[];
}

/** Matches client IPs against IPv4/IPv6 addresses and CIDR ranges (node's BlockList). */
export class IpAllowlist {
  readonly #list = new BlockList();

  constructor({ entries }: IpAllowlistOptions) {
    for (const entry of entries) {
      const [address = '', bits] = entry.split('/');
      const family = isIP(address);
      const prefix = Number(bits);
      if (family === 0) {
        throw new TypeError(
          `invalid ${bits === undefined ? 'address' : 'CIDR'} in allowlist: ${entry}`,
        );
      }
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (bits === undefined) {
        this.#list.addAddress(address, type);
      } else if (Number.isInteger(prefix) && prefix >= 0 && prefix <= (family === 4 ? 32 : 128)) {
        this.#list.addSubnet(address, prefix, type);
      } else {
        throw new TypeError(`invalid CIDR in allowlist: ${entry}`);
      }
    }
  }

  allows(ip: string): boolean {
    // An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d.
    const plain = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1] ?? ip;
    const family = isIP(plain);
    if (family === 0) return false;
    return this.#list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
  }
}
