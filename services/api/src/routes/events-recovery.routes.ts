import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

import { cradleOf } from '@paysync/runtime';

import { paginate } from '../http/pagination.js';
import { presentDeadLetterStats, presentReplay } from './events.presenters.js';
import { newestFirst, olderThan, receivedBounds } from './events.query.js';
import {
  getDeadLetterStatsSchema,
  listFailedEventsSchema,
  replayEventsSchema,
} from './events.schemas.js';

import type { ApiCradle } from '../container.js';

/** Recovery from the event log: replay events, list the failed ones, dead-letter statistics. */
export const eventRecoveryRoutes: FastifyPluginAsyncTypebox<{ maxPageSize: number }> = async (
  app,
  { maxPageSize },
) => {
  const { eventLogRepository, replayService } = cradleOf<ApiCradle>(app);

  app.post(
    '/workspaces/:workspaceId/webhooks/replay',
    { config: { resource: 'event' }, schema: replayEventsSchema },
    async (req) => {
      const { eventIds, filter, reason, dryRun = false, force = false } = req.body;
      const { mode = 'stored', limit = 100 } = req.body;
      const result = await replayService.replay({
        workspaceId: req.params.workspaceId,
        eventIds,
        filter: filter && { ...filter, ...receivedBounds(filter.receivedFrom, filter.receivedTo) },
        dryRun,
        force,
        limit,
        mode,
        correlationId: req.id,
      });
      const body = presentReplay(dryRun, result);
      const { matched, replayed } = body;
      req.auditNote = { details: { reason, dryRun, force, mode, matched, replayed } };
      return body;
    },
  );

  app.get('/workspaces/:workspaceId/webhooks/failed', { schema: listFailedEventsSchema }, (req) =>
    paginate(req.query, {
      ...newestFirst('failed', maxPageSize),
      fetch: (before, limit) =>
        eventLogRepository.list(req.params.workspaceId, {
          status: req.query.status,
          statuses: ['failed', 'dead'],
          errorClass: req.query.errorClass,
          type: req.query.type,
          provider: req.query.provider,
          ...olderThan(before),
          limit,
        }),
    }),
  );

  app.get('/workspaces/:workspaceId/dlq/stats', { schema: getDeadLetterStatsSchema }, async (req) =>
    presentDeadLetterStats(
      await eventLogRepository.deadLetterStats(req.params.workspaceId),
      Date.now(),
    ),
  );
};
