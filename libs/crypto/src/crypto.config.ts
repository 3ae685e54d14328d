import { z } from 'zod';

import { envVar, secret } from '@paysync/config';

import { KeyRing } from './key-ring.js';

export const cryptoConfigSchema = {
  keyRing: secret(
    'ENCRYPTION_KEYS',
    z.string().transform((spec, ctx) => {
      try {
        return KeyRing.fromString(spec);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
    'Key ring for secrets at rest: comma-separated <id>:<base64 32-byte key>; every key decrypts, ENCRYPTION_ACTIVE_KEY_ID (default: the last) encrypts',
  ),
  activeKeyId: envVar(
    'ENCRYPTION_ACTIVE_KEY_ID',
    z
      .string()
      .regex(
        /^[A-Za-z0-9_-]{1,32}$/,
        'must be a key id of ENCRYPTION_KEYS (letters, digits, _ or -)',
      )
      .optional(),
    'Key id of ENCRYPTION_KEYS that encrypts new values (default: the last key); every key decrypts, so a new key can be staged on every replica before it is made active',
  ),
};

/**
 * The key ring a service uses: `ENCRYPTION_KEYS` with `ENCRYPTION_ACTIVE_KEY_ID` (when set) as the
 * key that encrypts. Throws when that id is not in the ring (the service does not start).
 */
export function activeKeyRing(crypto: {
  readonly keyRing: KeyRing;
  readonly activeKeyId?: string | undefined;
}): KeyRing {
  return crypto.keyRing.withActiveKey(crypto.activeKeyId);
}
