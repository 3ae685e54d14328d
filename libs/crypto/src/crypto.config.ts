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
    'Key ring for secrets at rest: comma-separated <id>:<base64 32-byte key>; the last is active',
  ),
  activeKeyId: envVar(
    'ENCRYPTION_ACTIVE_KEY_ID',
    z.string().optional(),
    'Key id that encrypts new values (default: the last key in ENCRYPTION_KEYS)',
  ),
};
