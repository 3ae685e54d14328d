import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

import { ValidationError } from '@paysync/errors';

import type { EventStatus, EventSummary } from '../modules/events/event-log.repository.js';
import {
  cursorDate,
  cursorUuid,
  decodeCursor,
  encodeCursor,
  pageSize,
  toPage,
} from '../http/pagination.js';
import {
  DateTime,
  ERROR_RESPONSES,
  Nullable,
  PageQuery,
  Provider,
  Uuid,
  WorkspaceParams,
  page,
} from '../http/schemas.js';

const EVENT_STATUSES = [
  'received',
  'processed',
  'skipped_duplicate',
  'skipped_stale',
  'ignored',
  'failed',
  'dead',
] as const;
const Status = Type.Union(EVENT_STATUSES.map((s) => Type.Literal(s)));
const Source = Type.Union(
  ['webhook', 'backfill', 'reconcile', 'replay'].map((s) => Type.Literal(s)),
);

const EventSummarySchema = Type.Object({
  id: Uuid,
  provider: Provider,
  providerEventId: Type.String(),
  type: Type.String(),
  status: Status,
  source: Source,
  objectType: Nullable(Type.String()),
  objectId: Nullable(Type.String()),
  attempts: Type.Integer(),
  lastError: Nullable(Type.String()),
  errorClass: Nullable(Type.String()),
  providerCreatedAt: Nullable(DateTime),
  receivedAt: DateTime,
  processedAt: Nullable(DateTime),
});

function present(e: EventSummary) {
  return {
    ...e,
    providerCreatedAt: e.providerCreatedAt?.toISOString() ?? null,
    receivedAt: e.receivedAt.toISOString(),
    processedAt: e.processedAt?.toISOString() ?? null,
  };
}

/** The event log: every provider event and what became of it. */
export const eventRoutes: FastifyPluginAsyncTypebox<{ maxPageSize: number }> = async (
  app,
  { maxPageSize },
) => {
  const { eventLogRepository, replayService } = app.diContainer.cradle;

  app.get(
    '/workspaces/:workspaceId/webhooks/events',
    {
      schema: {
        operationId: 'listEvents',
        tags: ['events'],
        summary: 'Provider events, newest first',
        params: WorkspaceParams,
        querystring: Type.Object(
          {
            status: Type.Optional(Status),
            type: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            provider: Type.Optional(Provider),
            source: Type.Optional(Source),
            objectId: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
            receivedFrom: Type.Optional(DateTime),
            receivedTo: Type.Optional(DateTime),
            ...PageQuery,
          },
          { additionalProperties: false },
        ),
        response: { 200: page(EventSummarySchema), ...ERROR_RESPONSES },
      },
    },
    async (req) => {
      const q = req.query;
      const limit = pageSize(q.limit, maxPageSize);
      const position = q.cursor ? decodeCursor('events', q.cursor, 2) : undefined;
      const receivedFrom = q.receivedFrom ? new Date(q.receivedFrom) : undefined;
      const receivedTo = q.receivedTo ? new Date(q.receivedTo) : undefined;
      if (receivedFrom && receivedTo && receivedFrom > receivedTo) {
        throw new ValidationError('receivedFrom is after receivedTo', [
          { path: 'querystring/receivedFrom', message: 'must not be after receivedTo' },
        ]);
      }
      const rows = await eventLogRepository.list(req.params.workspaceId, {
        status: q.status as EventStatus | undefined,
        type: q.type,
        provider: q.provider,
        source: q.source as 'webhook' | undefined,
        objectId: q.objectId,
        receivedFrom,
        receivedTo,
        ...(position && {
          before: { receivedAt: cursorDate(position[0]), id: cursorUuid(position[1]) },
        }),
        limit: limit + 1,
      });
      return toPage(
        rows,
        limit,
        (e) => encodeCursor('events', [e.receivedAt.toISOString(), e.id]),
        present,
      );
    },
  );

  app.post(
    '/workspaces/:workspaceId/webhooks/replay',
    {
      config: { resource: 'event' },
      schema: {
        operationId: 'replayEvents',
        tags: ['events'],
        summary: 'Replay stored events through the pipeline (by ids or by filter)',
        description:
          'Events already applied are replayed only with `force`. `dryRun` lists what would be ' +
          'replayed. Replays are idempotent and version-gated: newer state is never overwritten. ' +
          'The `reason` is kept in the audit trail.',
        params: WorkspaceParams,
        body: Type.Object(
          {
            eventIds: Type.Optional(Type.Array(Uuid, { minItems: 1, maxItems: 1000 })),
            filter: Type.Optional(
              Type.Object(
                {
                  status: Type.Optional(Status),
                  type: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
                  provider: Type.Optional(Provider),
                  objectId: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
                  receivedFrom: Type.Optional(DateTime),
                  receivedTo: Type.Optional(DateTime),
                },
                { additionalProperties: false },
              ),
            ),
            dryRun: Type.Optional(Type.Boolean({ default: false })),
            force: Type.Optional(Type.Boolean({ default: false })),
            mode: Type.Optional(
              Type.Union([Type.Literal('stored'), Type.Literal('refetch')], {
                default: 'stored',
                description:
                  '`stored` reuses the payload as received; `refetch` replaces its object with ' +
                  'the provider’s current state (one provider call per event, at most 100, ' +
                  'whatever the event’s status)',
              }),
            ),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
            reason: Type.String({ minLength: 1, maxLength: 500 }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            dryRun: Type.Boolean(),
            matched: Type.Integer(),
            replayed: Type.Integer(),
            items: Type.Array(
              Type.Object({
                id: Uuid,
                providerEventId: Type.String(),
                type: Type.String(),
                status: Status,
                outcome: Type.Union([
                  Type.Literal('would_replay'),
                  Type.Literal('replayed'),
                  Type.Literal('skipped'),
                ]),
                reason: Nullable(Type.String()),
              }),
            ),
          }),
          ...ERROR_RESPONSES,
        },
      },
    },
    async (req) => {
      const f = req.body.filter;
      const dryRun = req.body.dryRun ?? false;
      const result = await replayService.replay({
        workspaceId: req.params.workspaceId,
        eventIds: req.body.eventIds,
        filter: f && {
          status: f.status as EventStatus | undefined,
          type: f.type,
          provider: f.provider,
          objectId: f.objectId,
          receivedFrom: f.receivedFrom ? new Date(f.receivedFrom) : undefined,
          receivedTo: f.receivedTo ? new Date(f.receivedTo) : undefined,
        },
        dryRun,
        force: req.body.force ?? false,
        limit: req.body.limit ?? 100,
        mode: req.body.mode ?? 'stored',
        correlationId: req.id,
      });
      const replayed = result.items.filter((i) => i.outcome === 'replayed').length;
      req.auditNote = {
        details: {
          reason: req.body.reason,
          dryRun,
          force: req.body.force ?? false,
          mode: req.body.mode ?? 'stored',
          matched: result.matched,
          replayed,
        },
      };
      return { dryRun, matched: result.matched, replayed, items: result.items };
    },
  );

  app.get(
    '/workspaces/:workspaceId/webhooks/failed',
    {
      schema: {
        operationId: 'listFailedEvents',
        tags: ['events'],
        summary: 'Events that failed (in the retry tiers) or are dead (in the DLQ), newest first',
        params: WorkspaceParams,
        querystring: Type.Object(
          {
            status: Type.Optional(Type.Union([Type.Literal('failed'), Type.Literal('dead')])),
            errorClass: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            type: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            provider: Type.Optional(Provider),
            ...PageQuery,
          },
          { additionalProperties: false },
        ),
        response: { 200: page(EventSummarySchema), ...ERROR_RESPONSES },
      },
    },
    async (req) => {
      const q = req.query;
      const limit = pageSize(q.limit, maxPageSize);
      const position = q.cursor ? decodeCursor('failed', q.cursor, 2) : undefined;
      const rows = await eventLogRepository.list(req.params.workspaceId, {
        status: q.status,
        statuses: ['failed', 'dead'],
        errorClass: q.errorClass,
        type: q.type,
        provider: q.provider,
        ...(position && {
          before: { receivedAt: cursorDate(position[0]), id: cursorUuid(position[1]) },
        }),
        limit: limit + 1,
      });
      return toPage(
        rows,
        limit,
        (e) => encodeCursor('failed', [e.receivedAt.toISOString(), e.id]),
        present,
      );
    },
  );

  app.get(
    '/workspaces/:workspaceId/dlq/stats',
    {
      schema: {
        operationId: 'getDeadLetterStats',
        tags: ['events'],
        summary:
          'Dead letters: count, age of the oldest, counts by error class and event type, automatic re-drive outcomes',
        params: WorkspaceParams,
        response: {
          200: Type.Object({
            dead: Type.Integer(),
            failed: Type.Integer({ description: 'Events still in the retry tiers' }),
            oldestDeadAgeSeconds: Nullable(Type.Integer()),
            byErrorClass: Type.Array(
              Type.Object({ errorClass: Type.String(), count: Type.Integer() }),
            ),
            byEventType: Type.Array(Type.Object({ type: Type.String(), count: Type.Integer() })),
            autoRetry: Type.Object(
              {
                waiting: Type.Integer({ description: 'Retryable, a re-drive is scheduled' }),
                redriven: Type.Integer({ description: 'Sent back, outcome pending' }),
                resolved: Type.Integer({ description: 'Applied after a re-drive' }),
                exhausted: Type.Integer({
                  description: 'Retryable, but every automatic re-drive died too: dead for a human',
                }),
              },
              { description: 'Outcomes of the recovery service’s automatic re-drives' },
            ),
          }),
          ...ERROR_RESPONSES,
        },
      },
    },
    async (req) => {
      const stats = await eventLogRepository.deadLetterStats(req.params.workspaceId);
      const { oldestDeadReceivedAt, ...rest } = stats;
      return {
        ...rest,
        oldestDeadAgeSeconds: oldestDeadReceivedAt
          ? Math.max(0, Math.round((Date.now() - oldestDeadReceivedAt.getTime()) / 1000))
          : null,
      };
    },
  );

  app.get(
    '/workspaces/:workspaceId/webhooks/events/:eventId',
    {
      schema: {
        operationId: 'getEvent',
        tags: ['events'],
        summary: 'One event with its attempts and last error; the payload only on request',
        params: Type.Object({ workspaceId: Uuid, eventId: Uuid }, { additionalProperties: false }),
        querystring: Type.Object(
          { includePayload: Type.Optional(Type.Boolean({ default: false })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Intersect([
            EventSummarySchema,
            Type.Object({
              payload: Type.Optional(
                Type.Unknown({ description: 'The provider event as received' }),
              ),
            }),
          ]),
          ...ERROR_RESPONSES,
        },
      },
    },
    async (req) => {
      const e = await eventLogRepository.get(
        req.params.workspaceId,
        req.params.eventId,
        req.query.includePayload ?? false,
      );
      return { ...present(e), ...('payload' in e && { payload: e.payload }) };
    },
  );
};
