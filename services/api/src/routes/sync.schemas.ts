import { Type } from '@sinclair/typebox';

import { ENTITY_TYPES } from '@paysync/contracts';

import {
  CONFLICT_RESPONSE,
  DateTime,
  ERROR_RESPONSES,
  EntityTypeSchema,
  Nullable,
  Provider,
  Uuid,
  WorkspaceParams,
  page,
} from '../http/schemas.js';
import { listOf, listQuery, resourceParams } from './common.schemas.js';

const SessionStatus = Type.Union(
  (['pending', 'running', 'completed', 'failed', 'cancelled'] as const).map((s) => Type.Literal(s)),
);

const Progress = Type.Object(
  {
    fetched: Type.Optional(Type.Integer()),
    written: Type.Optional(Type.Integer()),
    failed: Type.Optional(Type.Integer()),
    pages: Type.Optional(Type.Integer()),
    skipped: Type.Optional(Type.Integer()),
    requests: Type.Optional(Type.Integer()),
    throttles: Type.Optional(Type.Integer()),
    segments: Type.Optional(Type.Integer()),
    segmentsDone: Type.Optional(Type.Integer()),
    done: Type.Optional(Type.Boolean()),
    recordsPerSecond: Type.Optional(Type.Integer()),
    etaSeconds: Type.Optional(Nullable(Type.Integer())),
  },
  { additionalProperties: true, description: 'Counters for one entity type' },
);

const Session = Type.Object({
  id: Uuid,
  workspaceId: Uuid,
  configurationId: Nullable(Uuid),
  provider: Provider,
  status: SessionStatus,
  entityTypes: Type.Array(EntityTypeSchema),
  progress: Type.Record(Type.String(), Progress),
  parentSessionId: Nullable(Uuid),
  requestedBy: Nullable(Type.String()),
  error: Nullable(Type.Object({}, { additionalProperties: true })),
  createdAt: DateTime,
  updatedAt: DateTime,
  startedAt: Nullable(DateTime),
  finishedAt: Nullable(DateTime),
  lastProgressAt: Nullable(DateTime),
  durationMs: Nullable(Type.Integer({ description: 'Started → finished (or now while running)' })),
});

const SessionParams = resourceParams('sessionId');

const RecoverMode = Type.Union([Type.Literal('resume'), Type.Literal('restart')]);

export const startInitialSyncSchema = {
  operationId: 'startInitialSync',
  tags: ['sync'],
  summary: 'Start a backfill of the provider’s objects into the workspace',
  description:
    'Creates a session and asks the sync-runner to run it. 409 while the connection has a ' +
    'pending or running session. With several connections for the provider, name one.',
  params: Type.Object({ workspaceId: Uuid, provider: Provider }, { additionalProperties: false }),
  body: Type.Optional(
    Type.Object(
      {
        entityTypes: Type.Optional(
          Type.Array(EntityTypeSchema, { minItems: 1, maxItems: ENTITY_TYPES.length }),
        ),
        configurationId: Type.Optional(Uuid),
      },
      { additionalProperties: false },
    ),
  ),
  response: {
    202: Type.Object({
      sessionId: Uuid,
      status: SessionStatus,
      entityTypes: Type.Array(EntityTypeSchema),
    }),
    ...ERROR_RESPONSES,
    ...CONFLICT_RESPONSE,
  },
};

export const listSyncSessionsSchema = {
  operationId: 'listSyncSessions',
  tags: ['sync'],
  params: WorkspaceParams,
  querystring: listQuery({
    status: Type.Optional(SessionStatus),
    provider: Type.Optional(Provider),
    configurationId: Type.Optional(Uuid),
  }),
  response: { 200: page(Session), ...ERROR_RESPONSES },
};

export const getSyncSessionSchema = {
  operationId: 'getSyncSession',
  tags: ['sync'],
  summary: 'Status, per-entity progress, counts, errors and timings of a session',
  params: SessionParams,
  response: { 200: Session, ...ERROR_RESPONSES },
};

export const cancelSyncSessionSchema = {
  operationId: 'cancelSyncSession',
  tags: ['sync'],
  summary: 'Cancel a pending or running session (it can be resumed later)',
  params: SessionParams,
  response: { 202: Session, ...ERROR_RESPONSES, ...CONFLICT_RESPONSE },
};

export const recoverSyncSessionSchema = {
  operationId: 'recoverSyncSession',
  tags: ['sync'],
  summary: 'Resume a failed, cancelled or stalled session, or restart it as a new one',
  description:
    '`resume` continues from the checkpoints (segments already done are not fetched again); ' +
    '`restart` creates a new session linked by `parentSessionId` that starts from scratch.',
  params: WorkspaceParams,
  body: Type.Object(
    {
      sessionId: Uuid,
      mode: RecoverMode,
      entityTypes: Type.Optional(
        Type.Array(EntityTypeSchema, { minItems: 1, maxItems: ENTITY_TYPES.length }),
      ),
      reason: Type.Optional(Type.String({ maxLength: 500 })),
    },
    { additionalProperties: false },
  ),
  response: {
    202: Type.Object({ sessionId: Uuid, parentSessionId: Nullable(Uuid), mode: RecoverMode }),
    ...ERROR_RESPONSES,
    ...CONFLICT_RESPONSE,
  },
};

export const listRecoverableSessionsSchema = {
  operationId: 'listRecoverableSessions',
  tags: ['sync'],
  summary: 'Failed, cancelled and stalled sessions (not yet restarted), newest first',
  params: WorkspaceParams,
  response: {
    200: listOf(
      Type.Intersect([
        Session,
        Type.Object({
          reason: Type.Union([
            Type.Literal('failed'),
            Type.Literal('cancelled'),
            Type.Literal('stalled'),
          ]),
        }),
      ]),
    ),
    ...ERROR_RESPONSES,
  },
};

const Budget = Type.Object({
  requests: Type.Integer(),
  perMs: Type.Integer(),
  burst: Type.Integer(),
});

export const listProvidersSchema = {
  operationId: 'listProviders',
  tags: ['sync'],
  summary: 'Providers paysync knows, with what it can sync for each',
  params: WorkspaceParams,
  response: {
    200: listOf(
      Type.Object({
        name: Provider,
        supported: Type.Boolean(),
        capabilities: Nullable(
          Type.Object({
            entityTypes: Type.Array(EntityTypeSchema),
            eventTypes: Type.Array(Type.String()),
            // A number: Chargebee's 150/min is 2.5/s.
            defaultRateLimitPerSecond: Type.Object({
              test: Type.Number(),
              live: Type.Number(),
            }),
            rateBudget: Type.Object(
              { test: Budget, live: Budget },
              {
                description: 'The provider’s documented budget: requests per perMs, burst at once',
              },
            ),
            webhookSetup: Type.Union([Type.Literal('api'), Type.Literal('manual')], {
              description:
                'api: registering the webhook creates it at the provider; manual: paste the URL and the answered Basic credentials there',
            }),
          }),
        ),
      }),
    ),
    ...ERROR_RESPONSES,
  },
};
