import { withSystem } from '../scope/db-scope.js';

import type { Db } from '../client.js';

/** One encrypted value with the context (AAD) it is bound to. */
export interface EncryptedValue {
  readonly ciphertext: string;
  readonly aad: string;
}

/** The encrypted secrets of one provider connection. */
export interface EncryptedConnection {
  readonly id: string;
  readonly workspaceId: string;
  readonly apiKey: EncryptedValue;
  readonly webhookSecrets: readonly EncryptedValue[];
}

/** New ciphertexts for a connection (same order as read); `undefined` leaves the row alone. */
export interface RewrittenSecrets {
  readonly apiKeyCiphertext: string;
  readonly webhookSecretsCiphertext: readonly string[];
}

export interface RotationAuditEntry {
  readonly actor: string;
  readonly action: string;
  readonly resourceId: string;
  readonly statusCode: number;
  readonly requestId: string;
  readonly details: Record<string, unknown>;
}

export interface SecretRotationRepositoryDeps {
  readonly prisma: Db;
}

/** The context ConnectionRepository binds each connection secret to (connection.repository.ts). */
const aad = (connectionId: string, purpose: 'api-key' | 'webhook-secret') =>
  `connection:${connectionId}:${purpose}`;

/** Why this work runs across tenants (row-level security, issue 15 item 5). */
const SYSTEM_REASON = 'encryption key rotation';

/**
 * Everything encrypted with the key ring (today: the provider API key and webhook secrets of every
 * connection), read and rewritten in id-ordered batches for `keys rotate` (issue 15 item 8). Work
 * across every workspace: it runs as the system scope.
 */
export class SecretRotationRepository {
  readonly #prisma: Db;

  constructor({ prisma }: SecretRotationRepositoryDeps) {
    this.#prisma = prisma;
  }

  /**
   * One batch in one transaction: locks the next `limit` connections after `afterId` (id order,
   * `FOR UPDATE`, so an API write to one of them waits for the commit and nothing is lost), lets
   * `rewrite` compute their new ciphertexts, writes the changed ones and commits. Returns how many
   * rows it read and the last id (the next batch's `afterId`; null when there are no more).
   */
  async rewriteBatch(
    afterId: string | null,
    limit: number,
    rewrite: (rows: readonly EncryptedConnection[]) => ReadonlyMap<string, RewrittenSecrets>,
  ): Promise<{ readonly rows: number; readonly lastId: string | null }> {
    return withSystem(SYSTEM_REASON, () =>
      this.#prisma.$transaction(async (tx) => {
        const rows = await tx.$queryRawUnsafe<
          {
            id: string;
            workspace_id: string;
            api_key_ciphertext: string;
            webhook_secrets_ciphertext: string[];
          }[]
        >(
          `SELECT id::text, workspace_id::text, api_key_ciphertext, webhook_secrets_ciphertext
             FROM workspace_payment_configurations
            WHERE $1::uuid IS NULL OR id > $1::uuid
            ORDER BY id
            LIMIT $2
              FOR UPDATE`,
          afterId,
          limit,
        );
        const changes = rewrite(
          rows.map((r) => ({
            id: r.id,
            workspaceId: r.workspace_id,
            apiKey: { ciphertext: r.api_key_ciphertext, aad: aad(r.id, 'api-key') },
            webhookSecrets: r.webhook_secrets_ciphertext.map((c) => ({
              ciphertext: c,
              aad: aad(r.id, 'webhook-secret'),
            })),
          })),
        );
        for (const [id, next] of changes) {
          // Only the ciphertexts: re-encrypting changes no setting, so updated_at stays.
          await tx.$executeRawUnsafe(
            `UPDATE workspace_payment_configurations
                SET api_key_ciphertext = $2, webhook_secrets_ciphertext = $3::text[]
              WHERE id = $1::uuid`,
            id,
            next.apiKeyCiphertext,
            [...next.webhookSecretsCiphertext],
          );
        }
        return { rows: rows.length, lastId: rows.at(-1)?.id ?? null };
      }),
    );
  }

  /** How many encrypted values each key id has written (to check an old key is unused). */
  async countByKeyId(): Promise<Record<string, number>> {
    const rows = await withSystem(SYSTEM_REASON, () =>
      this.#prisma.$queryRawUnsafe<{ key_id: string | null; n: bigint }[]>(
        `SELECT split_part(c, '.', 2) AS key_id, count(*) AS n
           FROM (SELECT api_key_ciphertext AS c FROM workspace_payment_configurations
                 UNION ALL
                 SELECT unnest(webhook_secrets_ciphertext) FROM workspace_payment_configurations) v
          GROUP BY 1 ORDER BY 1`,
      ),
    );
    return Object.fromEntries(rows.map((r) => [r.key_id ?? '', Number(r.n)]));
  }

  /** An audit-trail row for a rotation run outside the API (the `paysync keys rotate` command). */
  async recordAudit(entry: RotationAuditEntry): Promise<void> {
    // No RETURNING (the system role may insert audit rows, not read them).
    await withSystem(SYSTEM_REASON, () =>
      this.#prisma.$executeRawUnsafe(
        `INSERT INTO audit_log
           (workspace_id, actor, action, resource_type, resource_id, status_code, request_id, details)
         VALUES (NULL, $1, $2, 'encryption_key', $3, $4, $5, $6::jsonb)`,
        entry.actor,
        entry.action,
        entry.resourceId,
        entry.statusCode,
        entry.requestId,
        JSON.stringify(entry.details),
      ),
    );
  }
}
