import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

import { CryptoError } from '@paysync/errors';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
/** Ciphertext format version; the key id travels next to it so old data survives key rotation. */
const FORMAT = 'psenc1';

export interface KeyRingOptions {
  /** Key id → 32-byte key. */
  readonly keys: ReadonlyMap<string, Buffer>;
  /** The key new ciphertexts are written with. */
  readonly activeKeyId: string;
}

/**
 * AES-256-GCM envelope with a versioned key ring. A ciphertext is
 * `psenc1.<keyId>.<iv>.<ciphertext>.<tag>` (base64url parts), so decrypting picks the key it was
 * written with, and rotation is: add a key, make it active, re-encrypt at leisure.
 * `aad` binds a ciphertext to its context (e.g. the connection id) so it cannot be moved elsewhere.
 */
export class KeyRing {
  readonly activeKeyId: string;
  readonly #keys: ReadonlyMap<string, Buffer>;

  constructor({ keys, activeKeyId }: KeyRingOptions) {
    for (const [id, key] of keys) {
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(id)) throw new TypeError(`invalid key id "${id}"`);
      if (key.length !== KEY_BYTES) throw new TypeError(`key "${id}" must be ${KEY_BYTES} bytes`);
    }
    if (!keys.has(activeKeyId))
      throw new TypeError(`active key "${activeKeyId}" is not in the ring`);
    this.#keys = keys;
    this.activeKeyId = activeKeyId;
  }

  /**
   * Parses `ENCRYPTION_KEYS` (`v1:<base64 32 bytes>,v2:<base64>`); the active key is
   * `activeKeyId` or else the last one listed.
   */
  static fromString(spec: string, activeKeyId?: string): KeyRing {
    const keys = new Map<string, Buffer>();
    for (const part of spec
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const sep = part.indexOf(':');
      if (sep <= 0) throw new TypeError('each key must be written as <id>:<base64 key>');
      const id = part.slice(0, sep);
      if (keys.has(id)) throw new TypeError(`key id "${id}" appears twice`);
      keys.set(id, Buffer.from(part.slice(sep + 1), 'base64'));
    }
    const last = [...keys.keys()].at(-1);
    if (last === undefined) throw new TypeError('the key ring is empty');
    return new KeyRing({ keys, activeKeyId: activeKeyId ?? last });
  }

  /** A fresh random key, base64, for `ENCRYPTION_KEYS`. */
  static generateKey(): string {
    return randomBytes(KEY_BYTES).toString('base64');
  }

  hasKey(id: string): boolean {
    return this.#keys.has(id);
  }

  /** Every key id in the ring, in the order `ENCRYPTION_KEYS` lists them. */
  get keyIds(): readonly string[] {
    return [...this.#keys.keys()];
  }

  /**
   * The same keys with `activeKeyId` encrypting (`ENCRYPTION_ACTIVE_KEY_ID`): a key can be staged
   * on every replica (it decrypts) before any replica encrypts with it. Undefined keeps this ring.
   */
  withActiveKey(activeKeyId: string | undefined): KeyRing {
    if (activeKeyId === undefined || activeKeyId === this.activeKeyId) return this;
    return new KeyRing({ keys: this.#keys, activeKeyId });
  }

  /** Whether a ciphertext was written with the active key (nothing to re-encrypt). */
  isCurrent(ciphertext: string): boolean {
    return KeyRing.keyIdOf(ciphertext) === this.activeKeyId;
  }

  /**
   * `ciphertext` re-encrypted with the active key (same plaintext, same context); `undefined` when
   * it already is. Throws the decrypt's `CryptoError` (unknown key, tampered, wrong context).
   */
  reEncrypt(ciphertext: string, aad = ''): string | undefined {
    if (this.isCurrent(ciphertext)) return undefined;
    return this.encrypt(this.decrypt(ciphertext, aad), aad);
  }

  encrypt(plaintext: string, aad = ''): string {
    const key = this.#keys.get(this.activeKeyId) as Buffer;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(`${FORMAT}.${this.activeKeyId}.${aad}`));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [FORMAT, this.activeKeyId, iv, body, cipher.getAuthTag()]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
  }

  decrypt(ciphertext: string, aad = ''): string {
    const parts = ciphertext.split('.');
    if (parts.length !== 5 || parts[0] !== FORMAT) {
      throw new CryptoError('CRYPTO_INVALID_CIPHERTEXT', 'Value is not a paysync ciphertext');
    }
    const [, keyId, ivPart, bodyPart, tagPart] = parts as [string, string, string, string, string];
    const key = this.#keys.get(keyId);
    if (!key) {
      throw new CryptoError(
        'CRYPTO_UNKNOWN_KEY',
        'Ciphertext was written with a key not in the ring',
        {
          keyId,
        },
      );
    }
    const iv = Buffer.from(ivPart, 'base64url');
    const tag = Buffer.from(tagPart, 'base64url');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
      throw new CryptoError('CRYPTO_INVALID_CIPHERTEXT', 'Ciphertext has a malformed iv or tag', {
        keyId,
      });
    }
    try {
      const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(`${FORMAT}.${keyId}.${aad}`));
      decipher.setAuthTag(tag);
      return Buffer.concat([
        decipher.update(Buffer.from(bodyPart, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch (err) {
      throw new CryptoError(
        'CRYPTO_DECRYPT_FAILED',
        'Ciphertext failed authentication (tampered, wrong key or wrong context)',
        { keyId },
        { cause: err },
      );
    }
  }

  /** Key id a ciphertext was written with, to find values that still need re-encryption. */
  static keyIdOf(ciphertext: string): string | undefined {
    const parts = ciphertext.split('.');
    return parts.length === 5 && parts[0] === FORMAT ? parts[1] : undefined;
  }
}
