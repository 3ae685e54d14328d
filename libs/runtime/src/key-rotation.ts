import type { KeyRing } from '@paysync/crypto';
import type { RewrittenSecrets, SecretRotationRepository } from '@paysync/db';
import { isAppError } from '@paysync/errors';
import type { Logger } from '@paysync/observability';

/** What one `keys rotate` run did, counted per encrypted value (an API key or a webhook secret). */
export interface KeyRotationReport {
  /** The key everything was re-encrypted with. */
  readonly activeKeyId: string;
  /** Connections read. */
  readonly connections: number;
  readonly reEncrypted: number;
  /** Already written with the active key (nothing to do: a rerun after a finished run is all these). */
  readonly alreadyCurrent: number;
  /** Values that did not decrypt (unknown key, tampered): left as they are, listed in `failures`. */
  readonly failed: number;
  /** The first 100 failures: connection id, which value, error code (never a secret). */
  readonly failures: readonly {
    readonly connectionId: string;
    readonly value: string;
    readonly code: string;
  }[];
  /** Transactions committed. */
  readonly batches: number;
  /**
   * Encrypted values per key id after the run, every key of the ring included: a key at 0 can
   * leave ENCRYPTION_KEYS (an id outside the ring: values that cannot be decrypted).
   */
  readonly valuesByKeyId: Readonly<Record<string, number>>;
}

export interface EncryptionKeyRotationDeps {
  readonly secretRotationRepository: SecretRotationRepository;
  /** The service's key ring: its active key (ENCRYPTION_ACTIVE_KEY_ID) is the one written. */
  readonly keyRing: KeyRing;
  readonly logger: Logger;
}

const MAX_LISTED_FAILURES = 100;

/**
 * `keys rotate` (issue 15 item 8): re-encrypts every secret encrypted with the key ring with its
 * active key, in batches of `batchSize` connections, each its own committed transaction.
 * Idempotent (a value already on the active key is left alone) and so resumable: after a crash,
 * a rerun skips what the finished batches did and completes the rest. A value that does not
 * decrypt is counted and reported, never rewritten.
 */
export class EncryptionKeyRotation {
  readonly #repo: SecretRotationRepository;
  readonly #keyRing: KeyRing;
  readonly #logger: Logger;

  constructor({ secretRotationRepository, keyRing, logger }: EncryptionKeyRotationDeps) {
    this.#repo = secretRotationRepository;
    this.#keyRing = keyRing;
    this.#logger = logger;
  }

  get activeKeyId(): string {
    return this.#keyRing.activeKeyId;
  }

  async rotate({
    batchSize = 100,
  }: { readonly batchSize?: number } = {}): Promise<KeyRotationReport> {
    const ring = this.#keyRing;
    let afterId: string | null = null;
    let connections = 0;
    let reEncrypted = 0;
    let alreadyCurrent = 0;
    let failed = 0;
    let batches = 0;
    const failures: { connectionId: string; value: string; code: string }[] = [];
    const fail = (connectionId: string, value: string, err: unknown) => {
      failed += 1;
      if (failures.length < MAX_LISTED_FAILURES) {
        failures.push({ connectionId, value, code: isAppError(err) ? err.code : 'INTERNAL_ERROR' });
      }
    };

    for (;;) {
      const { rows, lastId } = await this.#repo.rewriteBatch(afterId, batchSize, (batch) => {
        const changes = new Map<string, RewrittenSecrets>();
        for (const conn of batch) {
          let changed = false;
          // Each value on its own: one that fails stays as it was, the others move on.
          const next = (value: { ciphertext: string; aad: string }, name: string): string => {
            try {
              const fresh = ring.reEncrypt(value.ciphertext, value.aad);
              if (fresh === undefined) {
                alreadyCurrent += 1;
                return value.ciphertext;
              }
              reEncrypted += 1;
              changed = true;
              return fresh;
            } catch (err) {
              fail(conn.id, name, err);
              return value.ciphertext;
            }
          };
          const apiKeyCiphertext = next(conn.apiKey, 'apiKey');
          const webhookSecretsCiphertext = conn.webhookSecrets.map((v, i) =>
            next(v, `webhookSecrets[${i}]`),
          );
          if (changed) changes.set(conn.id, { apiKeyCiphertext, webhookSecretsCiphertext });
        }
        return changes;
      });
      if (rows === 0) break;
      batches += 1;
      connections += rows;
      afterId = lastId;
      this.#logger.info(
        { batch: batches, connections, reEncrypted, alreadyCurrent, failed },
        'Encryption key rotation: batch committed',
      );
      if (rows < batchSize) break;
    }
    // Every key of the ring is listed, at 0 when nothing uses it any more (it can be retired).
    const valuesByKeyId = {
      ...Object.fromEntries(ring.keyIds.map((id) => [id, 0])),
      ...(await this.#repo.countByKeyId()),
    };
    const report = {
      activeKeyId: ring.activeKeyId,
      connections,
      reEncrypted,
      alreadyCurrent,
      failed,
      failures,
      batches,
      valuesByKeyId,
    };
    this.#logger.info({ ...report, failures: failures.length }, 'Encryption key rotation finished');
    return report;
  }
}
