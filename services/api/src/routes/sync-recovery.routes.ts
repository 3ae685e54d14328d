import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

import { cradleOf } from '@paysync/runtime';

import { principalOf } from '../http/request-context.js';
import { presentSession } from './sync.presenters.js';
import { listRecoverableSessionsSchema, recoverSyncSessionSchema } from './sync.schemas.js';

import type { ApiCradle } from '../container.js';

/** Recovery of failed or stalled sync sessions: what can be recovered, and resume or restart. */
export const syncRecoveryRoutes: FastifyPluginAsyncTypebox<{ stalledAfterMs: number }> = async (
  app,
  { stalledAfterMs },
) => {
  const { syncControlService, syncSessionRepository, tenantScope } = cradleOf<ApiCradle>(app);

  app.post(
    '/workspaces/:workspaceId/sync/recover',
    { config: { resource: 'sync_session' }, schema: recoverSyncSessionSchema },
    async (req, reply) => {
      const { sessionId, mode, entityTypes, reason } = req.body;
      const result = await syncControlService.recover({
        workspaceId: req.params.workspaceId,
        sessionId,
        mode,
        entityTypes,
        requestedBy: principalOf(req).actor,
        correlationId: req.id,
        stalledAfterMs,
      });
      req.auditNote = {
        resourceId: sessionId,
        details: { mode: result.mode, newSessionId: result.sessionId, reason: reason ?? null },
      };
      return reply.code(202).send(result);
    },
  );

  app.get(
    '/workspaces/:workspaceId/sync/recoverable',
    { schema: listRecoverableSessionsSchema },
    async (req) => {
      const { workspaceId } = req.params;
      const recoverable = await tenantScope.run(workspaceId, (tx) =>
        syncSessionRepository.recoverable(workspaceId, stalledAfterMs, tx),
      );
      return { data: recoverable.map((s) => ({ ...presentSession(s), reason: s.reason })) };
    },
  );
};
