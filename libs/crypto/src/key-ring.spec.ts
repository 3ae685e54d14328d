import { CryptoError } from '@paysync/errors';

import { loadConfig } from '@paysync/config';

import {
  KeyRing,
  activeKeyRing,
  constantTimeEqual,
  cryptoConfigSchema,
  generateToken,
  hashToken,
  secretHint,
} from './index.js';

const k1 = KeyRing.generateKey();
const k2 = KeyRing.generateKey();

describe('KeyRing', () => {
  it('round-trips with the active key and binds the context', () => {
    const ring = KeyRing.fromString(`v1:${k1}`);
    const sealed = ring.encrypt('sk_test_123', 'conn-1');
    expect(sealed).not.toContain('sk_test_123');
    expect(KeyRing.keyIdOf(sealed)).toBe('v1');
    expect(ring.decrypt(sealed, 'conn-1')).toBe('sk_test_123');
    expect(() => ring.decrypt(sealed, 'conn-2')).toThrow(CryptoError);
  });

  it('still decrypts v1 ciphertexts after v2 becomes active', () => {
    const old = KeyRing.fromString(`v1:${k1}`).encrypt('whsec_abc');
    const rotated = KeyRing.fromString(`v1:${k1},v2:${k2}`);
    expect(rotated.activeKeyId).toBe('v2');
    expect(rotated.decrypt(old)).toBe('whsec_abc');
    const fresh = rotated.encrypt('whsec_def');
    expect(KeyRing.keyIdOf(fresh)).toBe('v2');
    expect(rotated.decrypt(fresh)).toBe('whsec_def');
  });

  it('rejects a flipped byte anywhere in the ciphertext', () => {
    const ring = KeyRing.fromString(`v1:${k1}`);
    const sealed = ring.encrypt('secret value');
    const parts = sealed.split('.');
    for (const index of [2, 3, 4]) {
      const raw = Buffer.from(parts[index] as string, 'base64url');
      raw[0] = (raw[0] as number) ^ 0x01;
      const tampered = [...parts];
      tampered[index] = raw.toString('base64url');
      expect(() => ring.decrypt(tampered.join('.'))).toThrow(
        expect.objectContaining({ code: 'CRYPTO_DECRYPT_FAILED' }),
      );
    }
  });

  it('names an unknown key and a malformed value', () => {
    const sealed = KeyRing.fromString(`v9:${k1}`).encrypt('x');
    expect(() => KeyRing.fromString(`v1:${k1}`).decrypt(sealed)).toThrow(
      expect.objectContaining({ code: 'CRYPTO_UNKNOWN_KEY' }),
    );
    expect(() => KeyRing.fromString(`v1:${k1}`).decrypt('plaintext')).toThrow(
      expect.objectContaining({ code: 'CRYPTO_INVALID_CIPHERTEXT' }),
    );
  });

  it('validates the key ring specification', () => {
    expect(() => KeyRing.fromString('')).toThrow(/empty/);
    expect(() => KeyRing.fromString('v1:c2hvcnQ=')).toThrow(/32 bytes/);
    expect(() => KeyRing.fromString(`v1:${k1},v1:${k2}`)).toThrow(/twice/);
    expect(() => KeyRing.fromString(`v1:${k1}`, 'v2')).toThrow(/not in the ring/);
  });
});

describe('ENCRYPTION_ACTIVE_KEY_ID (issue 15 item 8)', () => {
  const load = (env: Record<string, string>) =>
    activeKeyRing(loadConfig({ crypto: cryptoConfigSchema }, env).crypto);

  it('a staged key decrypts but does not encrypt until it is made active', () => {
    const onlyA = load({ ENCRYPTION_KEYS: `A:${k1}` });
    const staged = load({ ENCRYPTION_KEYS: `A:${k1},B:${k2}`, ENCRYPTION_ACTIVE_KEY_ID: 'A' });
    expect(staged.activeKeyId).toBe('A');
    const sealed = staged.encrypt('sk_live_staged', 'ctx');
    expect(KeyRing.keyIdOf(sealed)).toBe('A');
    // A replica that has not been given B yet still reads what a staged replica writes.
    expect(onlyA.decrypt(sealed, 'ctx')).toBe('sk_live_staged');
    // A value another replica already wrote with B decrypts on the staged replica.
    const withB = load({ ENCRYPTION_KEYS: `A:${k1},B:${k2}`, ENCRYPTION_ACTIVE_KEY_ID: 'B' });
    expect(withB.activeKeyId).toBe('B');
    const sealedB = withB.encrypt('whsec_b', 'ctx');
    expect(KeyRing.keyIdOf(sealedB)).toBe('B');
    expect(staged.decrypt(sealedB, 'ctx')).toBe('whsec_b');
    expect(withB.decrypt(sealed, 'ctx')).toBe('sk_live_staged');
  });

  it('defaults to the last key, and refuses an id that is not in the ring', () => {
    expect(load({ ENCRYPTION_KEYS: `A:${k1},B:${k2}` }).activeKeyId).toBe('B');
    expect(() => load({ ENCRYPTION_KEYS: `A:${k1}`, ENCRYPTION_ACTIVE_KEY_ID: 'C' })).toThrow(
      /"C" is not in the ring/,
    );
    expect(() =>
      load({ ENCRYPTION_KEYS: `A:${k1}`, ENCRYPTION_ACTIVE_KEY_ID: 'not a key id!' }),
    ).toThrow(/ENCRYPTION_ACTIVE_KEY_ID/);
  });

  it('re-encrypts a value to the active key, and leaves a current one alone', () => {
    const ring = KeyRing.fromString(`A:${k1},B:${k2}`, 'B');
    const old = ring.withActiveKey('A').encrypt('sk_test_x', 'conn');
    const fresh = ring.reEncrypt(old, 'conn');
    expect(fresh).toBeDefined();
    expect(KeyRing.keyIdOf(fresh!)).toBe('B');
    expect(ring.decrypt(fresh!, 'conn')).toBe('sk_test_x');
    expect(ring.reEncrypt(fresh!, 'conn')).toBeUndefined();
    expect(ring.isCurrent(fresh!)).toBe(true);
    // The context still binds: re-encrypting with the wrong one fails and writes nothing.
    expect(() => ring.reEncrypt(old, 'other')).toThrow(
      expect.objectContaining({ code: 'CRYPTO_DECRYPT_FAILED' }),
    );
    expect(ring.keyIds).toEqual(['A', 'B']);
  });
});

describe('secret helpers', () => {
  it('compares in constant time and hashes tokens', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    const { token, lookup } = generateToken('psk');
    expect(token.startsWith(`psk_${lookup}_`)).toBe(true);
    expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(secretHint('sk_test_abcdefgh1234')).toBe('1234');
    expect(secretHint('abc')).toBe('');
  });
});
