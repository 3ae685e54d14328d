import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

import { cradleOf } from '@paysync/runtime';

import { bigintKey, paginate, timeKey } from '../http/pagination.js';
import { principalOf } from '../http/request-context.js';
import {
  presentApiKey,
  presentAuditRecord,
  presentCreatedApiKey,
  presentCreatedWorkspace,
  presentWorkspace,
} from './workspaces.presenters.js';
import {
  createApiKeySchema,
  createWorkspaceSchema,
  getWorkspaceSchema,
  listApiKeysSchema,
  listAuditLogSchema,
  listWorkspacesSchema,
  renameWorkspaceSchema,
  revokeApiKeySchema,
} from './workspaces.schemas.js';

import type { ApiCradle } from '../container.js';

/** Workspaces, their API keys and their audit trail. */
export const workspaceRoutes: FastifyPluginAsyncTypebox<{ maxPageSize: number }> = async (
  app,
  { maxPageSize },
) => {
  const { workspaceRepository, auditRepository } = cradleOf<ApiCradle>(app);
  const ws = '/workspaces/:workspaceId';

  app.post(
    '/workspaces',
    { config: { access: 'admin', resource: 'workspace' }, schema: createWorkspaceSchema },
    async (req, reply) => {
      const { workspace, key } = await workspaceRepository.createWithKey(req.body.name.trim());
      const details = { apiKeyId: key.id };
      req.auditNote = { workspaceId: workspace.id, resourceId: workspace.id, details };
      return reply.code(201).send(presentCreatedWorkspace(workspace, key));
    },
  );

  app.get('/workspaces', { schema: listWorkspacesSchema }, (req) => {
    const principal = principalOf(req);
    return paginate(req.query, {
      kind: 'workspaces',
      maxPageSize,
      key: timeKey,
      fetch: (before, limit) =>
        workspaceRepository.list({
          ...(principal.kind === 'workspace' && { ids: [principal.workspaceId] }),
          ...(before && { before: { createdAt: before.at, id: before.id } }),
          limit,
        }),
      cursorOf: (w) => [w.createdAt.toISOString(), w.id],
      present: presentWorkspace,
    });
  });

  app.get(ws, { schema: getWorkspaceSchema }, async (req) =>
    presentWorkspace(await workspaceRepository.get(req.params.workspaceId)),
  );

  app.patch(
    ws,
    { config: { resource: 'workspace' }, schema: renameWorkspaceSchema },
    async (req) => {
      const w = await workspaceRepository.rename(req.params.workspaceId, req.body.name.trim());
      req.auditNote = { resourceId: w.id, details: { fields: ['name'] } };
      return presentWorkspace(w);
    },
  );

  app.post(
    `${ws}/api-keys`,
    { config: { resource: 'api_key' }, schema: createApiKeySchema },
    async (req, reply) => {
      const name = req.body.name?.trim() ?? 'api key';
      const key = await workspaceRepository.createKey(req.params.workspaceId, name);
      req.auditNote = { resourceId: key.id, details: { name: key.name } };
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
