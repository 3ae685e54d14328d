import { Type } from '@sinclair/typebox';

import { ERROR_RESPONSES } from '../http/schemas.js';

export const rotateEncryptionKeysSchema = {
  operationId: 'rotateEncryptionKeys',
  tags: ['admin'],
  summary: 'Re-encrypt every stored secret with the active encryption key (admin token only)',
  description:
    'Every provider API key and webhook secret not yet written with the key ' +
    '`ENCRYPTION_ACTIVE_KEY_ID` names is re-encrypted with it, in batches of `batchSize` ' +
    'connections, each committed on its own. Idempotent: run it again after an interruption and ' +
    'it finishes. A value that does not decrypt is counted in `failed`, listed by connection id ' +
    'and left as it is. When `valuesByKeyId` shows 0 for a key, that key can leave ' +
    '`ENCRYPTION_KEYS`. Audited. Same as the `paysync keys rotate` command.',
  body: Type.Object(
    {
      batchSize: Type.Optional(
        Type.Integer({ minimum: 1, maximum: 10_000, description: 'Default 100' }),
      ),
    },
    { additionalProperties: false },
  ),
  response: {
    200: Type.Object({
      activeKeyId: Type.String(),
      connections: Type.Integer({ description: 'Connections read' }),
      reEncrypted: Type.Integer({ description: 'Values re-encrypted with the active key' }),
      alreadyCurrent: Type.Integer({ description: 'Values already on the active key' }),
      failed: Type.Integer({ description: 'Values that did not decrypt (left as they are)' }),
      failures: Type.Array(
        Type.Object({
          connectionId: Type.String(),
          value: Type.String({ description: '`apiKey` or `webhookSecrets[i]`' }),
          code: Type.String(),
        }),
        { description: 'The first 100 failures; never a secret' },
      ),
      batches: Type.Integer(),
      valuesByKeyId: Type.Record(Type.String(), Type.Integer(), {
        description: 'Encrypted values per key id after the run',
      }),
    }),
    ...ERROR_RESPONSES,
  },
};
