import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

import { cradleOf } from '@paysync/runtime';

import { bigintKey, paginate } from '../http/pagination.js';
import { DEFAULT_KEY_SCOPES, normalizeScopes } from '../modules/auth/scopes.js';
import {
  presentApiKey,
  presentAuditRecord,
  presentCreatedApiKey,
} from './workspaces.presenters.js';
import {
  createApiKeySchema,
  listApiKeysSchema,
  listAuditLogSchema,
  revokeApiKeySchema,
} from './workspaces.schemas.js';

import type { ApiCradle } from '../container.js';

/** A workspace's API keys (create, list, revoke) and its audit trail. */
export const workspaceKeyRoutes: FastifyPluginAsyncTypebox<{ maxPageSize: number }> = async (
  app,
  { maxPageSize },
) => {
  const { workspaceRepository, auditRepository } = cradleOf<ApiCradle>(app);
  const ws = '/workspaces/:workspaceId';

  app.post(
    `${ws}/api-keys`,
    { config: { resource: 'api_key' }, schema: createApiKeySchema },
    async (req, reply) => {
      const name = req.body.name?.trim() ?? 'api key';
      const scopes = normalizeScopes(req.body.scopes ?? DEFAULT_KEY_SCOPES);
      const key = await workspaceRepository.createKey(req.params.workspaceId, name, scopes);
      req.auditNote = { resourceId: key.id, details: { name: key.name, scopes: key.scopes } };
      return reply.code(201).send(presentCreatedApiKey(key));
    },
  );

  app.get(`${ws}/api-keys`, { schema: listApiKeysSchema }, async (req) => ({
    data: (await workspaceRepository.listKeys(req.params.workspaceId)).map(presentApiKey),
  }));

  app.delete(
    `${ws}/api-keys/:keyId`,
    { config: { resource: 'api_key' }, schema: revokeApiKeySchema },
    async (req, reply) => {
      await workspaceRepository.revokeKey(req.params.workspaceId, req.params.keyId);
      req.auditNote = { resourceId: req.params.keyId };
      return reply.code(204).send(null);
    },
  );

  app.get(`${ws}/audit-log`, { schema: listAuditLogSchema }, (req) =>
    paginate(req.query, {
      kind: 'audit',
      maxPageSize,
      key: bigintKey,
      fetch: (beforeId, limit) =>
        auditRepository.list(req.params.workspaceId, {
          ...(beforeId !== undefined && { beforeId }),
          limit,
        }),
      cursorOf: (r) => [r.id],
      present: presentAuditRecord,
    }),
  );
};
