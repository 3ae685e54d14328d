import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

import { cradleOf } from '@paysync/runtime';

import { paginate } from '../http/pagination.js';
import { eventRecoveryRoutes } from './events-recovery.routes.js';
import { presentEventDetail } from './events.presenters.js';
import { newestFirst, olderThan, receivedRange } from './events.query.js';
import { getEventSchema, listEventsSchema } from './events.schemas.js';

import type { ApiCradle } from '../container.js';

/** The event log: every provider event and what became of it (replay, failed: events-recovery). */
export const eventRoutes: FastifyPluginAsyncTypebox<{ maxPageSize: number }> = async (
  app,
  { maxPageSize },
) => {
  const { eventLogRepository } = cradleOf<ApiCradle>(app);

  app.get('/workspaces/:workspaceId/webhooks/events', { schema: listEventsSchema }, async (req) => {
    const q = req.query;
    return paginate(q, {
      ...newestFirst('events', maxPageSize),
      fetch: (before, limit) =>
        eventLogRepository.list(req.params.workspaceId, {
          status: q.status,
          type: q.type,
          provider: q.provider,
          source: q.source as 'webhook' | undefined,
          objectId: q.objectId,
          ...receivedRange(q.receivedFrom, q.receivedTo),
          ...olderThan(before),
          limit,
        }),
    });
  });

  // Replay and the failed-event views (registered here so the routes keep their order).
  await app.register(eventRecoveryRoutes, { maxPageSize });

  app.get('/workspaces/:workspaceId/webhooks/events/:eventId', { schema: getEventSchema }, (req) =>
    eventLogRepository
      .get(req.params.workspaceId, req.params.eventId, req.query.includePayload ?? false)
      .then(presentEventDetail),
  );
};
