import { Type } from '@sinclair/typebox';

import {
  DateTime,
  ERROR_RESPONSES,
  Nullable,
  Provider,
  Uuid,
  WorkspaceParams,
  page,
} from '../http/schemas.js';
import { listQuery, resourceParams } from './common.schemas.js';

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

const EventSummary = Type.Object({
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

export const listEventsSchema = {
  operationId: 'listEvents',
  tags: ['events'],
  summary: 'Provider events, newest first',
  params: WorkspaceParams,
  querystring: listQuery({
    status: Type.Optional(Status),
    type: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    provider: Type.Optional(Provider),
    source: Type.Optional(Source),
    objectId: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    receivedFrom: Type.Optional(DateTime),
    receivedTo: Type.Optional(DateTime),
  }),
  response: { 200: page(EventSummary), ...ERROR_RESPONSES },
};

export const replayEventsSchema = {
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
};

export const listFailedEventsSchema = {
  operationId: 'listFailedEvents',
  tags: ['events'],
  summary: 'Events that failed (in the retry tiers) or are dead (in the DLQ), newest first',
  params: WorkspaceParams,
  querystring: listQuery({
    status: Type.Optional(Type.Union([Type.Literal('failed'), Type.Literal('dead')])),
    errorClass: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    type: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    provider: Type.Optional(Provider),
  }),
  response: { 200: page(EventSummary), ...ERROR_RESPONSES },
};

export const getDeadLetterStatsSchema = {
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
      byErrorClass: Type.Array(Type.Object({ errorClass: Type.String(), count: Type.Integer() })),
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
};

export const getEventSchema = {
  operationId: 'getEvent',
  tags: ['events'],
  summary: 'One event with its attempts and last error; the payload only on request',
  params: resourceParams('eventId'),
  querystring: Type.Object(
    { includePayload: Type.Optional(Type.Boolean({ default: false })) },
    { additionalProperties: false },
  ),
  response: {
    200: Type.Intersect([
      EventSummary,
      Type.Object({
        payload: Type.Optional(Type.Unknown({ description: 'The provider event as received' })),
      }),
    ]),
    ...ERROR_RESPONSES,
  },
};
