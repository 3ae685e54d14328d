import { randomUUID } from 'node:crypto';

import type { ProviderName } from '@paysync/contracts';
import { secretHint, type KeyRing } from '@paysync/crypto';
import { NotFoundError } from '@paysync/errors';

import { mapDbError } from '../errors.js';
import { isUuid } from '../ids.js';
import { withSystem } from '../scope/db-scope.js';

import type { Db, DbOrTx } from '../client.js';
import type { Prisma, WorkspacePaymentConfiguration } from '../generated/prisma/client.js';

/** A provider connection as every caller sees it: never a secret, at most a hint. */
export interface ConnectionView {
  readonly id: string;
  readonly workspaceId: string;
  readonly provider: ProviderName;
  readonly mode: 'test' | 'live';
  readonly apiKeyHint: string;
  readonly webhookSecretCount: number;
  readonly settings: Record<string, unknown>;
  readonly isActive: boolean;
  /** Claimed at creation, or reported by the provider (a connection test). */
  readonly providerAccountId: string | null;
  /**
   * The account id the provider itself reported (a successful connection test, with the current
   * API key); null until then. Only a verified id keys the shared rate-limit bucket (issue 15).
   */
  readonly verifiedProviderAccountId: string | null;
  readonly webhookEndpointId: string | null;
  readonly lastTestAt: Date | null;
  readonly lastTestOk: boolean | null;
  readonly lastTestError: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** The connection with its secrets in clear: only for code that calls the provider or verifies. */
export interface DecryptedConnection extends ConnectionView {
  readonly apiKey: string;
  readonly webhookSecrets: readonly string[];
}

export interface CreateConnectionInput {
  readonly workspaceId: string;
  readonly provider: ProviderName;
  readonly mode: 'test' | 'live';
  readonly apiKey: string;
  readonly webhookSecrets?: readonly string[];
  readonly settings?: Record<string, unknown>;
  readonly providerAccountId?: string | null;
}

export interface UpdateConnectionInput {
  readonly apiKey?: string;
  readonly webhookSecrets?: readonly string[];
  readonly settings?: Record<string, unknown>;
  readonly isActive?: boolean;
  readonly mode?: 'test' | 'live';
}

export interface ConnectionRepositoryDeps {
  readonly prisma: Db;
  /** Encrypts API keys and webhook secrets at rest. */
  readonly keyRing: KeyRing;
}

/**
 * Provider connections (`workspace_payment_configurations`). Secrets are stored only as key-ring
 * ciphertexts bound to the connection id (a ciphertext copied to another row does not decrypt).
 * Reads return `ConnectionView`s; the secrets come back in clear only from `getDecrypted`.
 */
export class ConnectionRepository {
  readonly #prisma: Db;
  readonly #keyRing: KeyRing;

  constructor({ prisma, keyRing }: ConnectionRepositoryDeps) {
    this.#prisma = prisma;
    this.#keyRing = keyRing;
  }

  async create(input: CreateConnectionInput, tx?: DbOrTx): Promise<ConnectionView> {
    const id = randomUUID();
    try {
      const row = await (tx ?? this.#prisma).workspacePaymentConfiguration.create({
        data: {
          id,
          workspaceId: input.workspaceId,
          provider: input.provider,
          mode: input.mode,
          apiKeyCiphertext: this.#keyRing.encrypt(input.apiKey, aad(id, 'api-key')),
          apiKeyHint: secretHint(input.apiKey),
          webhookSecretsCiphertext: (input.webhookSecrets ?? []).map((s) =>
            this.#keyRing.encrypt(s, aad(id, 'webhook-secret')),
          ),
          settings: jsonInput(input.settings ?? {}),
          providerAccountId: input.providerAccountId ?? null,
        },
      });
      return toView(row);
    } catch (err) {
      throw mapDbError(err, { operation: 'createConnection' });
    }
  }

  async update(
    workspaceId: string,
    id: string,
    input: UpdateConnectionInput,
    tx?: DbOrTx,
  ): Promise<ConnectionView> {
    await this.get(workspaceId, id, tx);
    const row = await (tx ?? this.#prisma).workspacePaymentConfiguration.update({
      where: { id },
      data: {
        ...(input.apiKey !== undefined && {
          apiKeyCiphertext: this.#keyRing.encrypt(input.apiKey, aad(id, 'api-key')),
          apiKeyHint: secretHint(input.apiKey),
          // Another key may belong to another account: verified again by the next test.
          verifiedProviderAccountId: null,
        }),
        ...(input.webhookSecrets !== undefined && {
          webhookSecretsCiphertext: input.webhookSecrets.map((s) =>
            this.#keyRing.encrypt(s, aad(id, 'webhook-secret')),
          ),
        }),
        ...(input.settings !== undefined && { settings: jsonInput(input.settings) }),
        ...(input.isActive !== undefined && { isActive: input.isActive }),
        ...(input.mode !== undefined && { mode: input.mode }),
      },
    });
    return toView(row);
  }

  /** Deletes a connection (its provider-account links go with it); NOT_FOUND if not ours. */
  async delete(workspaceId: string, id: string, tx?: DbOrTx): Promise<void> {
    await this.#row(workspaceId, id, tx);
    await (tx ?? this.#prisma).workspacePaymentConfiguration.delete({ where: { id } });
  }

  /** Stores the outcome of a connection test (the error is the provider's message, no secret). */
  async recordTest(
    id: string,
    result: { ok: boolean; error?: string | null; at?: Date },
    tx?: DbOrTx,
  ): Promise<ConnectionView> {
    const row = await (tx ?? this.#prisma).workspacePaymentConfiguration.update({
      where: { id },
      data: {
        lastTestAt: result.at ?? new Date(),
        lastTestOk: result.ok,
        lastTestError: result.ok ? null : (result.error ?? 'unknown error'),
      },
    });
    return toView(row);
  }

  /**
   * Records the provider's webhook endpoint id and, when the provider just issued one, adds its
   * signing secret to the accepted secrets (existing ones stay, so nothing in flight is rejected).
   */
  async setWebhookEndpoint(
    workspaceId: string,
    id: string,
    endpointId: string,
    newSecret: string | null,
    tx?: DbOrTx,
  ): Promise<ConnectionView> {
    const row = await this.#row(workspaceId, id, tx);
    const row2 = await (tx ?? this.#prisma).workspacePaymentConfiguration.update({
      where: { id },
      data: {
        webhookEndpointId: endpointId,
        ...(newSecret !== null && {
          webhookSecretsCiphertext: [
            ...row.webhookSecretsCiphertext,
            this.#keyRing.encrypt(newSecret, aad(id, 'webhook-secret')),
          ],
        }),
      },
    });
    return toView(row2);
  }

  /** The workspace a provider account is linked to, if any. */
  async providerAccountOwner(
    provider: ProviderName,
    providerAccountId: string,
    tx?: DbOrTx,
  ): Promise<{ workspaceId: string; configurationId: string } | undefined> {
    // Across workspaces (an account linked to another one): system work (row-level security).
    const link = await withSystem('provider account owner', () =>
      (tx ?? this.#prisma).workspaceProviderAccount.findUnique({
        where: { provider_providerAccountId: { provider, providerAccountId } },
      }),
    );
    return link
      ? { workspaceId: link.workspaceId, configurationId: link.configurationId }
      : undefined;
  }

  /** One connection of a workspace; another workspace's connection is NOT_FOUND. */
  async get(workspaceId: string, id: string, tx?: DbOrTx): Promise<ConnectionView> {
    return toView(await this.#row(workspaceId, id, tx));
  }

  async list(workspaceId: string, tx?: DbOrTx): Promise<ConnectionView[]> {
    const rows = await (tx ?? this.#prisma).workspacePaymentConfiguration.findMany({
      where: { workspaceId },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    return rows.map(toView);
  }

  /** The connection with its secrets in clear. Callers must not log or return them. */
  /**
   * Active connections of every workspace (the recovery service's pollers), in id order from
   * `afterId`, without secrets.
   */
  async listActive(
    provider: ProviderName,
    afterId: string | null,
    limit: number,
  ): Promise<ConnectionView[]> {
    const rows = await withSystem('active connections of every workspace', () =>
      this.#prisma.workspacePaymentConfiguration.findMany({
        where: { provider, isActive: true, ...(afterId && { id: { gt: afterId } }) },
        orderBy: { id: 'asc' },
        take: limit,
      }),
    );
    return rows.map(toView);
  }

  async getDecrypted(workspaceId: string, id: string, tx?: DbOrTx): Promise<DecryptedConnection> {
    return this.#decrypt(await this.#row(workspaceId, id, tx));
  }

  /** For ingress, which knows only the connection id from the webhook URL. */
  async getDecryptedById(id: string, tx?: DbOrTx): Promise<DecryptedConnection | undefined> {
    if (!isUuid(id)) return undefined;
    // Before the tenant is known: system work (row-level security).
    const row = await withSystem('connection by id', () =>
      (tx ?? this.#prisma).workspacePaymentConfiguration.findUnique({ where: { id } }),
    );
    return row ? this.#decrypt(row) : undefined;
  }

  /**
   * The active connection a provider account belongs to (Stripe Connect `acct_…`), decrypted, for
   * webhooks that arrive without a connection id in their URL.
   */
  async getDecryptedByProviderAccount(
    provider: ProviderName,
    providerAccountId: string,
    tx?: DbOrTx,
  ): Promise<DecryptedConnection | undefined> {
    const link = await withSystem('connection by provider account', () =>
      (tx ?? this.#prisma).workspaceProviderAccount.findUnique({
        where: { provider_providerAccountId: { provider, providerAccountId } },
        include: { configuration: true },
      }),
    );
    return link ? this.#decrypt(link.configuration) : undefined;
  }

  /**
   * Records which workspace and connection a provider account belongs to (idempotent). Only for an
   * account id the provider itself reported: it becomes the connection's verified account id.
   */
  async linkProviderAccount(
    connection: ConnectionView,
    providerAccountId: string,
    tx?: DbOrTx,
  ): Promise<void> {
    const db = tx ?? this.#prisma;
    await db.workspaceProviderAccount.upsert({
      where: { provider_providerAccountId: { provider: connection.provider, providerAccountId } },
      create: {
        provider: connection.provider,
        providerAccountId,
        workspaceId: connection.workspaceId,
        configurationId: connection.id,
      },
      update: { workspaceId: connection.workspaceId, configurationId: connection.id },
    });
    await db.workspacePaymentConfiguration.update({
      where: { id: connection.id },
      data: { providerAccountId, verifiedProviderAccountId: providerAccountId },
    });
  }

  async #row(workspaceId: string, id: string, tx?: DbOrTx): Promise<WorkspacePaymentConfiguration> {
    const row =
      isUuid(id) && isUuid(workspaceId)
        ? await (tx ?? this.#prisma).workspacePaymentConfiguration.findFirst({
            where: { id, workspaceId },
          })
        : null;
    if (!row)
      throw new NotFoundError('NOT_FOUND', 'Provider connection not found', { connectionId: id });
    return row;
  }

  #decrypt(row: WorkspacePaymentConfiguration): DecryptedConnection {
    return {
      ...toView(row),
      apiKey: this.#keyRing.decrypt(row.apiKeyCiphertext, aad(row.id, 'api-key')),
      webhookSecrets: row.webhookSecretsCiphertext.map((c) =>
        this.#keyRing.decrypt(c, aad(row.id, 'webhook-secret')),
      ),
    };
  }
}

/** Prisma's JSON input type for a plain object (its generated types reject Record<string, unknown>). */
function jsonInput(value: Record<string, unknown>): Prisma.InputJsonObject {
  return value as Prisma.InputJsonObject;
}

const aad = (connectionId: string, purpose: string) => `connection:${connectionId}:${purpose}`;

function toView(row: WorkspacePaymentConfiguration): ConnectionView {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    provider: row.provider,
    mode: row.mode,
    apiKeyHint: row.apiKeyHint,
    webhookSecretCount: row.webhookSecretsCiphertext.length,
    settings: (row.settings ?? {}) as Record<string, unknown>,
    isActive: row.isActive,
    providerAccountId: row.providerAccountId,
    verifiedProviderAccountId: row.verifiedProviderAccountId,
    webhookEndpointId: row.webhookEndpointId,
    lastTestAt: row.lastTestAt,
    lastTestOk: row.lastTestOk,
    lastTestError: row.lastTestError,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
