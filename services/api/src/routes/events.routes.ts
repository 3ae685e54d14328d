import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

import { ValidationError } from '@paysync/errors';
import { cradleOf } from '@paysync/runtime';

import { paginate, timeKey, type TimeKey } from '../http/pagination.js';
import {
  presentDeadLetterStats,
  presentEvent,
  presentEventDetail,
  presentReplay,
} from './events.presenters.js';
import {
  getDeadLetterStatsSchema,
  getEventSchema,
  listEventsSchema,
  listFailedEventsSchema,
  replayEventsSchema,
} from './events.schemas.js';

import type { EventSummary } from '../modules/events/event-log.repository.js';
import type { ApiCradle } from '../container.js';

/** The event log: every provider event and what became of it. */
export const eventRoutes: FastifyPluginAsyncTypebox<{ maxPageSize: number }> = async (
  app,
  { maxPageSize },
) => {
  const { eventLogRepository, replayService } = cradleOf<ApiCradle>(app);
  const newestFirst = (kind: string) => ({
    kind,
    maxPageSize,
    key: timeKey,
    cursorOf: (e: EventSummary) => [e.receivedAt.toISOString(), e.id],
    present: presentEvent,
  });

  app.get('/workspaces/:workspaceId/webhooks/events', { schema: listEventsSchema }, async (req) => {
    const q = req.query;
    return paginate(q, {
      ...newestFirst('events'),
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
      ...newestFirst('failed'),
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

  app.get('/workspaces/:workspaceId/webhooks/events/:eventId', { schema: getEventSchema }, (req) =>
    eventLogRepository
      .get(req.params.workspaceId, req.params.eventId, req.query.includePayload ?? false)
      .then(presentEventDetail),
  );
};

/** The keyset filter for the page after `key` (receivedAt desc, id desc). */
function olderThan(key: TimeKey | undefined) {
  return key && { before: { receivedAt: key.at, id: key.id } };
}

function receivedBounds(from: string | undefined, to: string | undefined) {
  return {
    receivedFrom: from ? new Date(from) : undefined,
    receivedTo: to ? new Date(to) : undefined,
  };
}

/** The received-at range of a listing; an inverted range is a 400. */
function receivedRange(from: string | undefined, to: string | undefined) {
  const { receivedFrom, receivedTo } = receivedBounds(from, to);
  if (receivedFrom && receivedTo && receivedFrom > receivedTo) {
    throw new ValidationError('receivedFrom is after receivedTo', [
      { path: 'querystring/receivedFrom', message: 'must not be after receivedTo' },
    ]);
  }
  return { receivedFrom, receivedTo };
}
