import { randomUUID } from 'node:crypto';

import { generateToken, hashToken } from '@paysync/crypto';
import { createdBefore, isUuid, mapDbError, withSystem, withTenant, type Db } from '@paysync/db';
import { NotFoundError } from '@paysync/errors';

import { parseScopes, type ApiKeyScope } from '../auth/scopes.js';

/** Prefix of workspace API keys: `psk_<lookup>_<secret>`. */
const API_KEY_PREFIX = 'psk';
const LOOKUP_LENGTH = 8; // 6 random bytes as base64url

export interface WorkspaceView {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface ApiKeyView {
  readonly id: string;
  readonly workspaceId: string;
  readonly name: string;
  /** `psk_<lookup>_…`: enough to recognise a key, useless to authenticate. */
  readonly prefix: string;
  /** What the key may do (weakest first; each includes the ones before it). */
  readonly scopes: readonly ApiKeyScope[];
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
}

/** A key just created: the only moment its token exists outside the caller's hands. */
export interface CreatedApiKey extends ApiKeyView {
  readonly token: string;
}

export interface StoredKey {
  readonly id: string;
  readonly workspaceId: string;
  readonly keyHash: string;
  readonly scopes: readonly ApiKeyScope[];
  readonly lastUsedAt: Date | null;
}

/** Splits `psk_<lookup>_<secret>` into its lookup part; undefined when it is not one of ours. */
export function lookupOf(token: string): string | undefined {
  if (!token.startsWith(`${API_KEY_PREFIX}_`)) return undefined;
  const lookup = token.slice(API_KEY_PREFIX.length + 1, API_KEY_PREFIX.length + 1 + LOOKUP_LENGTH);
  return lookup.length === LOOKUP_LENGTH &&
    token.charAt(API_KEY_PREFIX.length + 1 + LOOKUP_LENGTH) === '_'
    ? lookup
    : undefined;
}

export interface WorkspaceRepositoryDeps {
  readonly prisma: Db;
}

/** Workspaces and their API keys. Keys are stored as SHA-256 hashes; the token is shown once. */
export class WorkspaceRepository {
  readonly #prisma: Db;

  constructor({ prisma }: WorkspaceRepositoryDeps) {
    this.#prisma = prisma;
  }

  async createWithKey(name: string): Promise<{ workspace: WorkspaceView; key: CreatedApiKey }> {
    // Row-level security: the first key is written on behalf of the new workspace.
    const id = randomUUID();
    try {
      return await withTenant(id, () =>
        this.#prisma.$transaction(async (tx) => {
          const workspace = await tx.workspace.create({ data: { id, name } });
          // The first key administers the workspace (mints the scoped keys its clients use).
          const key = await this.#createKey(tx, workspace.id, 'default', ['admin']);
          return { workspace: toWorkspace(workspace), key };
        }),
      );
    } catch (err) {
      throw mapDbError(err, { operation: 'createWorkspace' });
    }
  }

  async get(id: string): Promise<WorkspaceView> {
    const row = isUuid(id) ? await this.#prisma.workspace.findUnique({ where: { id } }) : null;
    if (!row) throw new NotFoundError('NOT_FOUND', 'Workspace not found', { workspaceId: id });
    return toWorkspace(row);
  }

  async exists(id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    return (await this.#prisma.workspace.count({ where: { id } })) > 0;
  }

  /** Newest first, keyset-paged by (createdAt, id). */
  async list(opts: {
    ids?: readonly string[];
    before?: { createdAt: Date; id: string };
    limit: number;
  }): Promise<WorkspaceView[]> {
    const rows = await this.#prisma.workspace.findMany({
      where: {
        ...(opts.ids && { id: { in: [...opts.ids] } }),
        ...(opts.before && createdBefore(opts.before)),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: opts.limit,
    });
    return rows.map(toWorkspace);
  }

  async rename(id: string, name: string): Promise<WorkspaceView> {
    await this.get(id);
    return toWorkspace(await this.#prisma.workspace.update({ where: { id }, data: { name } }));
  }

  async createKey(
    workspaceId: string,
    name: string,
    scopes: readonly ApiKeyScope[],
  ): Promise<CreatedApiKey> {
    await this.get(workspaceId);
    return this.#createKey(this.#prisma, workspaceId, name, scopes);
  }

  async listKeys(workspaceId: string): Promise<ApiKeyView[]> {
    const rows = await this.#prisma.workspaceApiKey.findMany({
      where: { workspaceId },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    return rows.map(toKey);
  }

  /** Revokes a key (idempotent); another workspace's key is NOT_FOUND. */
  async revokeKey(workspaceId: string, keyId: string): Promise<ApiKeyView> {
    const row = isUuid(keyId)
      ? await this.#prisma.workspaceApiKey.findFirst({ where: { id: keyId, workspaceId } })
      : null;
    if (!row) throw new NotFoundError('NOT_FOUND', 'API key not found', { keyId });
    if (row.revokedAt) return toKey(row);
    return toKey(
      await this.#prisma.workspaceApiKey.update({
        where: { id: keyId },
        data: { revokedAt: new Date() },
      }),
    );
  }

  /** The active (not revoked) key with this lookup, for authentication. */
  async findActiveKey(lookup: string): Promise<StoredKey | undefined> {
    // Before the workspace is known: system work (row-level security; read-only on keys).
    const row = await withSystem('api key by lookup', () =>
      this.#prisma.workspaceApiKey.findUnique({ where: { lookup } }),
    );
    if (!row || row.revokedAt) return undefined;
    return {
      id: row.id,
      workspaceId: row.workspaceId,
      keyHash: row.keyHash,
      scopes: parseScopes(row.scopes),
      lastUsedAt: row.lastUsedAt,
    };
  }

  async touchKey(id: string, at: Date): Promise<void> {
    // System work: paysync_system may update only this column of a key.
    await withSystem('api key last use', () =>
      this.#prisma.workspaceApiKey.updateMany({
        where: { id },
        data: { lastUsedAt: at },
      }),
    );
  }

  async #createKey(
    db: Pick<Db, 'workspaceApiKey'>,
    workspaceId: string,
    name: string,
    scopes: readonly ApiKeyScope[],
  ): Promise<CreatedApiKey> {
    const { token, lookup } = generateToken(API_KEY_PREFIX);
    const row = await db.workspaceApiKey.create({
      data: {
        id: randomUUID(),
        workspaceId,
        name,
        lookup,
        keyHash: hashToken(token),
        scopes: [...scopes],
      },
    });
    return { ...toKey(row), token };
  }
}

function toWorkspace(row: { id: string; name: string; createdAt: Date; updatedAt: Date }) {
  return { id: row.id, name: row.name, createdAt: row.createdAt, updatedAt: row.updatedAt };
}

function toKey(row: {
  id: string;
  workspaceId: string;
  name: string;
  lookup: string;
  scopes: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}): ApiKeyView {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    name: row.name,
    prefix: `${API_KEY_PREFIX}_${row.lookup}_…`,
    scopes: parseScopes(row.scopes),
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
  };
}
