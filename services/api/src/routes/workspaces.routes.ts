import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

import { cradleOf } from '@paysync/runtime';

import { encryptionAdminRoutes } from './encryption-admin.routes.js';
import { paginate, timeKey } from '../http/pagination.js';
import { principalOf } from '../http/request-context.js';
import { presentCreatedWorkspace, presentWorkspace } from './workspaces.presenters.js';
import {
  createWorkspaceSchema,
  getWorkspaceSchema,
  listWorkspacesSchema,
  renameWorkspaceSchema,
} from './workspaces.schemas.js';

import type { ApiCradle } from '../container.js';

/** Workspaces: create, list, read and rename (their keys and audit trail: workspace-keys.routes.ts). */
export const workspaceRoutes: FastifyPluginAsyncTypebox<{ maxPageSize: number }> = async (
  app,
  { maxPageSize },
) => {
  const { workspaceRepository } = cradleOf<ApiCradle>(app);
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

  // The operator's other admin-token routes (beside creating workspaces): key rotation.
  await app.register(encryptionAdminRoutes);
};
