import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

import { providerCatalog } from '@paysync/providers';
import { cradleOf } from '@paysync/runtime';

import { paginate, timeKey } from '../http/pagination.js';
import { principalOf } from '../http/request-context.js';
import { presentProvider, presentSession } from './sync.presenters.js';
import { syncRecoveryRoutes } from './sync-recovery.routes.js';
import {
  cancelSyncSessionSchema,
  getSyncSessionSchema,
  listProvidersSchema,
  listSyncSessionsSchema,
  startInitialSyncSchema,
} from './sync.schemas.js';

import type { ApiCradle } from '../container.js';

/** Sync control: start, watch and cancel sessions (recovery: sync-recovery.routes.ts); providers. */
export const syncRoutes: FastifyPluginAsyncTypebox<{
  maxPageSize: number;
  stalledAfterMs: number;
}> = async (app, { maxPageSize, stalledAfterMs }) => {
  const { syncControlService, syncSessionRepository, tenantScope } = cradleOf<ApiCradle>(app);
  const sessions = '/workspaces/:workspaceId/sync/sessions';

  app.post(
    '/workspaces/:workspaceId/sync/:provider/initial',
    { config: { resource: 'sync_session' }, schema: startInitialSyncSchema },
    async (req, reply) => {
      const session = await syncControlService.startInitial({
        workspaceId: req.params.workspaceId,
        provider: req.params.provider,
        configurationId: req.body?.configurationId,
        entityTypes: req.body?.entityTypes,
        requestedBy: principalOf(req).actor,
        correlationId: req.id,
      });
      const entityTypes = [...session.entityTypes];
      req.auditNote = { resourceId: session.id, details: { entityTypes: session.entityTypes } };
      const workspaceUrl = req.url.replace(/\/sync\/[^/]+\/initial$/, '');
      return reply
        .code(202)
        .header('location', `${workspaceUrl}/sync/sessions/${session.id}`)
        .send({ sessionId: session.id, status: session.status, entityTypes });
    },
  );

  app.get(sessions, { schema: listSyncSessionsSchema }, (req) =>
    paginate(req.query, {
      kind: 'sessions',
      maxPageSize,
      key: timeKey,
      fetch: (before, limit) =>
        tenantScope.run(req.params.workspaceId, (tx) =>
          syncSessionRepository.list(
            req.params.workspaceId,
            {
              status: req.query.status,
              provider: req.query.provider,
              configurationId: req.query.configurationId,
              ...(before && { before: { createdAt: before.at, id: before.id } }),
              limit,
            },
            tx,
          ),
        ),
      cursorOf: (s) => [s.createdAt.toISOString(), s.id],
      present: (s) => presentSession(s),
    }),
  );

  app.get(`${sessions}/:sessionId`, { schema: getSyncSessionSchema }, async (req) => {
    const { workspaceId, sessionId } = req.params;
    return presentSession(
      await tenantScope.run(workspaceId, (tx) =>
        syncSessionRepository.get(workspaceId, sessionId, tx),
      ),
    );
  });

  app.post(
    `${sessions}/:sessionId/cancel`,
    { config: { resource: 'sync_session' }, schema: cancelSyncSessionSchema },
    async (req, reply) => {
      const { workspaceId, sessionId } = req.params;
      const actor = principalOf(req).actor;
      const session = await syncControlService.cancel(workspaceId, sessionId, actor, req.id);
      req.auditNote = { resourceId: session.id };
      return reply.code(202).send(presentSession(session));
    },
  );

  // Recovery of failed or stalled sessions (registered here so the routes keep their order).
  await app.register(syncRecoveryRoutes, { stalledAfterMs });

  app.get('/workspaces/:workspaceId/sync/providers', { schema: listProvidersSchema }, async () => ({
    data: providerCatalog().map(presentProvider),
  }));
};
