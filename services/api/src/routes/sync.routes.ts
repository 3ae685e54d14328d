import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

import type { SyncSessionView } from '@paysync/db';
import { providerCatalog } from '@paysync/providers';

import {
  cursorDate,
  cursorUuid,
  decodeCursor,
  encodeCursor,
  pageSize,
  toPage,
} from '../http/pagination.js';
import { principalOf } from '../http/request-context.js';
import {
  CONFLICT_RESPONSE,
  DateTime,
  ERROR_RESPONSES,
  EntityTypeSchema,
  Nullable,
  PageQuery,
  Provider,
  Uuid,
  WorkspaceParams,
  page,
} from '../http/schemas.js';

const SessionStatus = Type.Union(
  ['pending', 'running', 'completed', 'failed', 'cancelled'].map((s) => Type.Literal(s)),
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

function present(s: SyncSessionView) {
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  return {
    ...s,
    entityTypes: [...s.entityTypes],
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
    startedAt: iso(s.startedAt),
    finishedAt: iso(s.finishedAt),
    lastProgressAt: iso(s.lastProgressAt),
    durationMs: s.startedAt ? (s.finishedAt ?? new Date()).getTime() - s.startedAt.getTime() : null,
  };
}

const SessionParams = Type.Object(
  { workspaceId: Uuid, sessionId: Uuid },
  { additionalProperties: false },
);

/** Sync control: start, watch and cancel sessions; provider capabilities. */
export const syncRoutes: FastifyPluginAsyncTypebox<{
  maxPageSize: number;
  stalledAfterMs: number;
}> = async (app, { maxPageSize, stalledAfterMs }) => {
  const { syncControlService, syncSessionRepository, tenantScope } = app.diContainer.cradle;

  app.post(
    '/workspaces/:workspaceId/sync/:provider/initial',
    {
      config: { resource: 'sync_session' },
      schema: {
        operationId: 'startInitialSync',
        tags: ['sync'],
        summary: 'Start a backfill of the provider’s objects into the workspace',
        description:
          'Creates a session and asks the sync-runner to run it. 409 while the connection has a ' +
          'pending or running session. With several connections for the provider, name one.',
        params: Type.Object(
          { workspaceId: Uuid, provider: Provider },
          { additionalProperties: false },
        ),
        body: Type.Optional(
          Type.Object(
            {
              entityTypes: Type.Optional(
                Type.Array(EntityTypeSchema, { minItems: 1, maxItems: 6 }),
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
      },
    },
    async (req, reply) => {
      const session = await syncControlService.startInitial({
        workspaceId: req.params.workspaceId,
        provider: req.params.provider,
        configurationId: req.body?.configurationId,
        entityTypes: req.body?.entityTypes,
        requestedBy: principalOf(req).actor,
        correlationId: req.id,
      });
      req.auditNote = { resourceId: session.id, details: { entityTypes: session.entityTypes } };
      return reply
        .code(202)
        .header(
          'location',
          `${req.url.replace(/\/sync\/[^/]+\/initial$/, '')}/sync/sessions/${session.id}`,
        )
        .send({
          sessionId: session.id,
          status: session.status,
          entityTypes: [...session.entityTypes],
        });
    },
  );

  app.get(
    '/workspaces/:workspaceId/sync/sessions',
    {
      schema: {
        operationId: 'listSyncSessions',
        tags: ['sync'],
        params: WorkspaceParams,
        querystring: Type.Object(
          {
            status: Type.Optional(SessionStatus),
            provider: Type.Optional(Provider),
            configurationId: Type.Optional(Uuid),
            ...PageQuery,
          },
          { additionalProperties: false },
        ),
        response: { 200: page(Session), ...ERROR_RESPONSES },
      },
    },
    async (req) => {
      const limit = pageSize(req.query.limit, maxPageSize);
      const position = req.query.cursor ? decodeCursor('sessions', req.query.cursor, 2) : undefined;
      const rows = await tenantScope.run(req.params.workspaceId, (tx) =>
        syncSessionRepository.list(
          req.params.workspaceId,
          {
            status: req.query.status as SyncSessionView['status'] | undefined,
            provider: req.query.provider,
            configurationId: req.query.configurationId,
            ...(position && {
              before: { createdAt: cursorDate(position[0]), id: cursorUuid(position[1]) },
            }),
            limit: limit + 1,
          },
          tx,
        ),
      );
      return toPage(
        rows,
        limit,
        (s) => encodeCursor('sessions', [s.createdAt.toISOString(), s.id]),
        present,
      );
    },
  );

  app.get(
    '/workspaces/:workspaceId/sync/sessions/:sessionId',
    {
      schema: {
        operationId: 'getSyncSession',
        tags: ['sync'],
        summary: 'Status, per-entity progress, counts, errors and timings of a session',
        params: SessionParams,
        response: { 200: Session, ...ERROR_RESPONSES },
      },
    },
    async (req) =>
      present(
        await tenantScope.run(req.params.workspaceId, (tx) =>
          syncSessionRepository.get(req.params.workspaceId, req.params.sessionId, tx),
        ),
      ),
  );

  app.post(
    '/workspaces/:workspaceId/sync/sessions/:sessionId/cancel',
    {
      config: { resource: 'sync_session' },
      schema: {
        operationId: 'cancelSyncSession',
        tags: ['sync'],
        summary: 'Cancel a pending or running session (it can be resumed later)',
        params: SessionParams,
        response: { 202: Session, ...ERROR_RESPONSES, ...CONFLICT_RESPONSE },
      },
    },
    async (req, reply) => {
      const session = await syncControlService.cancel(
        req.params.workspaceId,
        req.params.sessionId,
        principalOf(req).actor,
        req.id,
      );
      req.auditNote = { resourceId: session.id };
      return reply.code(202).send(present(session));
    },
  );

  app.post(
    '/workspaces/:workspaceId/sync/recover',
    {
      config: { resource: 'sync_session' },
      schema: {
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
            mode: Type.Union([Type.Literal('resume'), Type.Literal('restart')]),
            entityTypes: Type.Optional(Type.Array(EntityTypeSchema, { minItems: 1, maxItems: 6 })),
            reason: Type.Optional(Type.String({ maxLength: 500 })),
          },
          { additionalProperties: false },
        ),
        response: {
          202: Type.Object({
            sessionId: Uuid,
            parentSessionId: Nullable(Uuid),
            mode: Type.Union([Type.Literal('resume'), Type.Literal('restart')]),
          }),
          ...ERROR_RESPONSES,
          ...CONFLICT_RESPONSE,
        },
      },
    },
    async (req, reply) => {
      const result = await syncControlService.recover({
        workspaceId: req.params.workspaceId,
        sessionId: req.body.sessionId,
        mode: req.body.mode,
        entityTypes: req.body.entityTypes,
        requestedBy: principalOf(req).actor,
        correlationId: req.id,
        stalledAfterMs,
      });
      req.auditNote = {
        resourceId: req.body.sessionId,
        details: {
          mode: result.mode,
          newSessionId: result.sessionId,
          reason: req.body.reason ?? null,
        },
      };
      return reply.code(202).send(result);
    },
  );

  app.get(
    '/workspaces/:workspaceId/sync/recoverable',
    {
      schema: {
        operationId: 'listRecoverableSessions',
        tags: ['sync'],
        summary: 'Failed, cancelled and stalled sessions (not yet restarted), newest first',
        params: WorkspaceParams,
        response: {
          200: Type.Object({
            data: Type.Array(
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
          }),
          ...ERROR_RESPONSES,
        },
      },
    },
    async (req) => ({
      data: (
        await tenantScope.run(req.params.workspaceId, (tx) =>
          syncSessionRepository.recoverable(req.params.workspaceId, stalledAfterMs, tx),
        )
      ).map((s) => ({ ...present(s), reason: s.reason })),
    }),
  );

  app.get(
    '/workspaces/:workspaceId/sync/providers',
    {
      schema: {
        operationId: 'listProviders',
        tags: ['sync'],
        summary: 'Providers paysync knows, with what it can sync for each',
        params: WorkspaceParams,
        response: {
          200: Type.Object({
            data: Type.Array(
              Type.Object({
                name: Provider,
                supported: Type.Boolean(),
                capabilities: Nullable(
                  Type.Object({
                    entityTypes: Type.Array(EntityTypeSchema),
                    eventTypes: Type.Array(Type.String()),
                    defaultRateLimitPerSecond: Type.Object({
                      test: Type.Integer(),
                      live: Type.Integer(),
                    }),
                  }),
                ),
              }),
            ),
          }),
          ...ERROR_RESPONSES,
        },
      },
    },
    async () => ({
      data: providerCatalog().map((p) => ({
        name: p.name,
        supported: p.supported,
        capabilities: p.capabilities && {
          entityTypes: [...p.capabilities.entityTypes],
          eventTypes: [...p.capabilities.eventTypes],
          defaultRateLimitPerSecond: { ...p.capabilities.defaultRateLimitPerSecond },
        },
      })),
    }),
  );
};
