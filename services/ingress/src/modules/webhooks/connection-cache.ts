import type { ProviderName } from '@paysync/contracts';
import { mapDbError, type ConnectionRepository, type DecryptedConnection } from '@paysync/db';

interface Entry {
  readonly value: DecryptedConnection | undefined;
  readonly expires: number;
}

/** Known connections and known misses, apart so misses cannot evict connections. */
interface Lookups {
  readonly found: Lru<Entry>;
  readonly missing: Lru<Entry>;
}

export interface ConnectionCacheDeps {
  readonly connectionRepository: ConnectionRepository;
  readonly config: {
    readonly ingress: {
      readonly connectionCacheTtlMs: number;
      readonly connectionCacheMaxEntries: number;
    };
  };
}

/**
 * A bounded map that forgets its least recently used key first (a Map iterates in insertion
 * order; a hit re-inserts its key).
 */
class Lru<V> {
  readonly #max: number;
  readonly #map = new Map<string, V>();

  constructor(max: number) {
    this.#max = max;
  }

  get(key: string): V | undefined {
    const value = this.#map.get(key);
    if (value !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next();
      if (!oldest.done) this.#map.delete(oldest.value);
    }
  }

  delete(key: string): void {
    this.#map.delete(key);
  }
}

/**
 * Connections (with their decrypted secrets) cached for a few seconds: the hot path does no
 * database read per webhook, and a rotated secret or deactivated connection takes effect within
 * the TTL. Misses are cached too (a negative cache), so unknown ids cannot hammer the database.
 * Both are LRUs of `INGRESS_CONNECTION_CACHE_MAX_ENTRIES`, kept apart: a flood of random ids only
 * churns the negative one and never evicts a real connection (issue 15 item 9; it used to clear
 * the whole cache). While the database is unreachable, the last known entry is served
 * (stale-if-error) so webhooks keep flowing to Kafka; with no entry the caller gets a retryable 503.
 */
export class ConnectionCache {
  readonly #repo: ConnectionRepository;
  readonly #ttlMs: number;
  readonly #byId: Lookups;
  readonly #byAccount: Lookups;

  constructor({ connectionRepository, config }: ConnectionCacheDeps) {
    this.#repo = connectionRepository;
    this.#ttlMs = config.ingress.connectionCacheTtlMs;
    const max = config.ingress.connectionCacheMaxEntries;
    this.#byId = { found: new Lru(max), missing: new Lru(max) };
    this.#byAccount = { found: new Lru(max), missing: new Lru(max) };
  }

  async byId(id: string): Promise<DecryptedConnection | undefined> {
    return this.#get(this.#byId, id, () => this.#repo.getDecryptedById(id));
  }

  async byProviderAccount(
    provider: ProviderName,
    accountId: string,
  ): Promise<DecryptedConnection | undefined> {
    return this.#get(this.#byAccount, `${provider}:${accountId}`, () =>
      this.#repo.getDecryptedByProviderAccount(provider, accountId),
    );
  }

  async #get(
    maps: Lookups,
    key: string,
    load: () => Promise<DecryptedConnection | undefined>,
  ): Promise<DecryptedConnection | undefined> {
    const now = Date.now();
    const hit = maps.found.get(key) ?? maps.missing.get(key);
    if (hit && hit.expires > now) return hit.value;
    let value: DecryptedConnection | undefined;
    try {
      value = await load();
    } catch (err) {
      const mapped = mapDbError(err, { operation: 'resolveConnection' });
      if (hit && mapped.retryable) return hit.value;
      throw mapped;
    }
    const entry = { value, expires: now + this.#ttlMs };
    if (value === undefined) {
      maps.found.delete(key);
      maps.missing.set(key, entry);
    } else {
      maps.missing.delete(key);
      maps.found.set(key, entry);
    }
    return value;
  }
}
