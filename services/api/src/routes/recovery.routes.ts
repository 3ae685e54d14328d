import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

import { cradleOf } from '@paysync/runtime';

import { paginate, timeKey } from '../http/pagination.js';
import { principalOf } from '../http/request-context.js';
import { presentReconciliation, presentRecoveryHealth } from './recovery.presenters.js';
import {
  getErrorRecoveryHealthSchema,
  getReconciliationSchema,
  listReconciliationsSchema,
  startReconciliationSchema,
} from './recovery.schemas.js';

import type { ApiCradle } from '../container.js';

/** Reconciliation (drift reports, repair) and the health of the recovery service's loops. */
export const recoveryRoutes: FastifyPluginAsyncTypebox<{ maxPageSize: number }> = async (
  app,
  { maxPageSize },
) => {
  const { syncControlService, reconciliationRepository, recoveryHealthService } =
    cradleOf<ApiCradle>(app);

  app.post(
    '/workspaces/:workspaceId/sync/reconcile',
    { config: { resource: 'reconciliation' }, schema: startReconciliationSchema },
    async (req, reply) => {
      const run = await syncControlService.requestReconciliation({
        workspaceId: req.params.workspaceId,
        provider: req.body.provider,
        configurationId: req.body.configurationId,
        entityTypes: req.body.entityTypes,
        repair: req.body.repair === true,
        requestedBy: principalOf(req).actor,
      });
      req.auditNote = {
        resourceId: run.id,
        details: { repair: run.repair, entityTypes: run.entityTypes },
      };
      const workspaceUrl = req.url.replace(/\/sync\/reconcile$/, '');
      return reply
        .code(202)
        .header('location', `${workspaceUrl}/sync/reconciliations/${run.id}`)
        .send({ reconciliationId: run.id, status: run.status });
    },
  );

  app.get(
    '/workspaces/:workspaceId/sync/reconciliations',
    { schema: listReconciliationsSchema },
    (req) =>
      paginate(req.query, {
        kind: 'reconciliations',
        maxPageSize,
        key: timeKey,
        fetch: (before, limit) =>
          reconciliationRepository.list(req.params.workspaceId, {
            status: req.query.status,
            limit,
            ...(before && { before: { createdAt: before.at, id: before.id } }),
          }),
        cursorOf: (r) => [r.createdAt.toISOString(), r.id],
        present: presentReconciliation,
      }),
  );

  app.get(
    '/workspaces/:workspaceId/sync/reconciliations/:reconciliationId',
    { schema: getReconciliationSchema },
    async (req) =>
      presentReconciliation(
        await reconciliationRepository.get(req.params.workspaceId, req.params.reconciliationId),
      ),
  );

  app.get(
    '/workspaces/:workspaceId/error-recovery/health',
    { schema: getErrorRecoveryHealthSchema },
    async (req) =>
      presentRecoveryHealth(
        await recoveryHealthService.health(
          req.params.workspaceId,
          principalOf(req).kind === 'admin' ? 'global' : 'workspace',
        ),
      ),
  );
};
