import type { ProviderName } from '@paysync/contracts';
import { mapDbError, type ConnectionRepository, type DecryptedConnection } from '@paysync/db';

interface Entry {
  readonly value: DecryptedConnection | undefined;
  readonly expires: number;
}

export interface ConnectionCacheDeps {
  readonly connectionRepository: ConnectionRepository;
  readonly config: { readonly ingress: { readonly connectionCacheTtlMs: number } };
}

/**
 * Connections (with their decrypted secrets) cached for a few seconds: the hot path does no
 * database read per webhook, and a rotated secret or deactivated connection takes effect within
 * the TTL. Misses are cached too, so unknown ids cannot hammer the database. While the database
 * is unreachable, the last known entry is served (stale-if-error) so webhooks keep flowing to
 * Kafka; with no entry the caller gets a retryable 503.
 */
export class ConnectionCache {
  readonly #repo: ConnectionRepository;
  readonly #ttlMs: number;
  readonly #byId = new Map<string, Entry>();
  readonly #byAccount = new Map<string, Entry>();

  constructor({ connectionRepository, config }: ConnectionCacheDeps) {
    this.#repo = connectionRepository;
    this.#ttlMs = config.ingress.connectionCacheTtlMs;
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
    map: Map<string, Entry>,
    key: string,
    load: () => Promise<DecryptedConnection | undefined>,
  ): Promise<DecryptedConnection | undefined> {
    const now = Date.now();
    const hit = map.get(key);
    if (hit && hit.expires > now) return hit.value;
    let value: DecryptedConnection | undefined;
    try {
      value = await load();
    } catch (err) {
      const mapped = mapDbError(err, { operation: 'resolveConnection' });
      if (hit && mapped.retryable) return hit.value;
      throw mapped;
    }
    if (map.size > 10_000) map.clear(); // bounded: a flood of random ids cannot grow it forever
    map.set(key, { value, expires: now + this.#ttlMs });
    return value;
  }
}
