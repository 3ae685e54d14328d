import { constantTimeEqual, hashToken } from '@paysync/crypto';
import { UnauthorizedError } from '@paysync/errors';

import { lookupOf, type WorkspaceRepository } from '../workspaces/workspace.repository.js';

import type { ApiKeyScope } from './scopes.js';

/** Who is calling: the platform admin, or one workspace through one of its API keys. */
export type Principal =
  | { readonly kind: 'admin'; readonly actor: 'admin' }
  | {
      readonly kind: 'workspace';
      readonly workspaceId: string;
      readonly keyId: string;
      /** What the key may do (issue 15 item 6); checked by the auth hook against the route. */
      readonly scopes: readonly ApiKeyScope[];
      readonly actor: `api_key:${string}`;
    };

export interface AuthServiceDeps {
  readonly workspaceRepository: WorkspaceRepository;
  readonly config: { readonly api: { readonly adminToken: string } };
}

/** `lastUsedAt` is written at most this often per key, so reads do not become writes. */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * Resolves `Authorization: Bearer <token>` to a principal. The admin token is compared in
 * constant time; a workspace key is found by its clear lookup part and checked against its
 * SHA-256 hash in constant time. Every failure is the same 401, whatever went wrong.
 */
export class AuthService {
  readonly #workspaceRepository: WorkspaceRepository;
  readonly #adminToken: string;

  constructor({ workspaceRepository, config }: AuthServiceDeps) {
    this.#workspaceRepository = workspaceRepository;
    this.#adminToken = config.api.adminToken;
  }

  async authenticate(authorization: string | undefined): Promise<Principal> {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (!token) throw unauthorized('Missing bearer credential');
    if (constantTimeEqual(token, this.#adminToken)) return { kind: 'admin', actor: 'admin' };
    const lookup = lookupOf(token);
    const key = lookup ? await this.#workspaceRepository.findActiveKey(lookup) : undefined;
    if (!key || !constantTimeEqual(hashToken(token), key.keyHash)) {
      throw unauthorized('Invalid or revoked credential');
    }
    const now = new Date();
    if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) {
      await this.#workspaceRepository.touchKey(key.id, now);
    }
    return {
      kind: 'workspace',
      workspaceId: key.workspaceId,
      keyId: key.id,
      scopes: key.scopes,
      actor: `api_key:${key.id}`,
    };
  }
}

function unauthorized(message: string): UnauthorizedError {
  return new UnauthorizedError('UNAUTHORIZED', message);
}
