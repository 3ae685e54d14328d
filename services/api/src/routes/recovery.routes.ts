import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

import { TOPICS } from '@paysync/contracts';
import type { ReconciliationView } from '@paysync/db';
import { topicName } from '@paysync/kafka';

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

const RunStatus = Type.Union(
  ['pending', 'running', 'completed', 'failed'].map((s) => Type.Literal(s)),
);

const Samples = Type.Array(Type.String(), { maxItems: 10 });

const EntityDrift = Type.Object(
  {
    providerCount: Type.Integer({ description: 'Objects the provider listed' }),
    localCount: Type.Integer({ description: 'Live local rows' }),
    missing: Type.Integer({ description: 'Listed by the provider, absent (or deleted) locally' }),
    stale: Type.Integer({ description: 'Local canonical fields differ from the provider’s' }),
    deleted: Type.Integer({
      description: 'Live locally, gone at the provider (each confirmed by a retrieve)',
    }),
    unverified: Type.Integer({
      description:
        'Live locally, not listed, but found by a retrieve (or not checked): never deleted',
    }),
    repaired: Type.Integer({ description: 'Changes written by repair' }),
    listingComplete: Type.Boolean({
      description: 'The provider listing was read to its end (a partial listing deletes nothing)',
    }),
    deletionCheck: Type.String({
      description:
        'done, partial (verify budget reached), skipped_partial_listing, skipped_several_connections',
    }),
    samples: Type.Object({
      missing: Samples,
      stale: Samples,
      deleted: Samples,
      unverified: Samples,
    }),
    error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
  },
  { description: 'Drift of one entity type' },
);

const Reconciliation = Type.Object({
  id: Uuid,
  workspaceId: Uuid,
  configurationId: Nullable(Uuid),
  provider: Provider,
  entityTypes: Type.Array(EntityTypeSchema),
  repair: Type.Boolean(),
  trigger: Type.Union([Type.Literal('manual'), Type.Literal('schedule')]),
  status: RunStatus,
  requestedBy: Nullable(Type.String()),
  report: Type.Record(Type.String(), EntityDrift, {
    description: 'Per entity type; filled in as the run goes',
  }),
  totals: Type.Object({
    missing: Type.Integer(),
    stale: Type.Integer(),
    deleted: Type.Integer(),
    repaired: Type.Integer(),
  }),
  error: Nullable(Type.Object({}, { additionalProperties: true })),
  createdAt: DateTime,
  startedAt: Nullable(DateTime),
  finishedAt: Nullable(DateTime),
});

function present(r: ReconciliationView) {
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  const drifts = Object.values(r.report);
  const sum = (k: 'missing' | 'stale' | 'deleted' | 'repaired') =>
    drifts.reduce((n, d) => n + (d?.[k] ?? 0), 0);
  return {
    ...r,
    entityTypes: [...r.entityTypes],
    report: r.report as unknown as Record<string, Static<typeof EntityDrift>>,
    totals: {
      missing: sum('missing'),
      stale: sum('stale'),
      deleted: sum('deleted'),
      repaired: sum('repaired'),
    },
    createdAt: r.createdAt.toISOString(),
    startedAt: iso(r.startedAt),
    finishedAt: iso(r.finishedAt),
  };
}

const Component = Type.Object({
  name: Type.String({ description: 'redrive, session-watchdog, reconciliation, events-poller' }),
  lastSuccessAt: Nullable(DateTime),
  lastFailureAt: Nullable(DateTime),
  lastError: Nullable(Type.String()),
  healthy: Type.Boolean({ description: 'Its last run succeeded' }),
  details: Type.Object({}, { additionalProperties: true, description: 'What the last run did' }),
});

/** Reconciliation (drift reports, repair) and the health of the recovery service's loops. */
export const recoveryRoutes: FastifyPluginAsyncTypebox<{
  maxPageSize: number;
  recoveryGroupId: string;
  topicPrefix: string;
}> = async (app, { maxPageSize, recoveryGroupId, topicPrefix }) => {
  const { syncControlService, reconciliationRepository, kafkaHealth, prisma } =
    app.diContainer.cradle;
  const dlqTopic = topicName(TOPICS.webhookDeadLetter, topicPrefix);

  app.post(
    '/workspaces/:workspaceId/sync/reconcile',
    {
      config: { resource: 'reconciliation' },
      schema: {
        operationId: 'startReconciliation',
        tags: ['recovery'],
        summary: 'Compare the synced data with the provider and report (or repair) the drift',
        description:
          'Creates a reconciliation the recovery service runs: every object the provider lists is ' +
          'compared with the local row; local rows the provider no longer lists are verified one by ' +
          'one before they count as deleted, and a partial listing deletes nothing. With `repair`, ' +
          'fixes go through the version-gated write path. 409 while one is pending or running for ' +
          'the connection.',
        params: WorkspaceParams,
        body: Type.Object(
          {
            provider: Provider,
            configurationId: Type.Optional(Uuid),
            entityTypes: Type.Optional(Type.Array(EntityTypeSchema, { minItems: 1, maxItems: 6 })),
            repair: Type.Optional(Type.Boolean({ default: false })),
          },
          { additionalProperties: false },
        ),
        response: {
          202: Type.Object({ reconciliationId: Uuid, status: RunStatus }),
          ...ERROR_RESPONSES,
          ...CONFLICT_RESPONSE,
        },
      },
    },
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
      return reply
        .code(202)
        .header(
          'location',
          `${req.url.replace(/\/sync\/reconcile$/, '')}/sync/reconciliations/${run.id}`,
        )
        .send({ reconciliationId: run.id, status: run.status });
    },
  );

  app.get(
    '/workspaces/:workspaceId/sync/reconciliations',
    {
      schema: {
        operationId: 'listReconciliations',
        tags: ['recovery'],
        summary: 'Reconciliations (manual and scheduled), newest first',
        params: WorkspaceParams,
        querystring: Type.Object(
          { status: Type.Optional(RunStatus), ...PageQuery },
          { additionalProperties: false },
        ),
        response: { 200: page(Reconciliation), ...ERROR_RESPONSES },
      },
    },
    async (req) => {
      const limit = pageSize(req.query.limit, maxPageSize);
      const position = req.query.cursor
        ? decodeCursor('reconciliations', req.query.cursor, 2)
        : undefined;
      const rows = await reconciliationRepository.list(req.params.workspaceId, {
        status: req.query.status as ReconciliationView['status'] | undefined,
        limit: limit + 1,
        ...(position && {
          before: { createdAt: cursorDate(position[0]), id: cursorUuid(position[1]) },
        }),
      });
      return toPage(
        rows,
        limit,
        (r) => encodeCursor('reconciliations', [r.createdAt.toISOString(), r.id]),
        present,
      );
    },
  );

  app.get(
    '/workspaces/:workspaceId/sync/reconciliations/:reconciliationId',
    {
      schema: {
        operationId: 'getReconciliation',
        tags: ['recovery'],
        summary: 'Drift report: counts and samples per entity type, and what repair fixed',
        params: Type.Object(
          { workspaceId: Uuid, reconciliationId: Uuid },
          { additionalProperties: false },
        ),
        response: { 200: Reconciliation, ...ERROR_RESPONSES },
      },
    },
    async (req) =>
      present(
        await reconciliationRepository.get(req.params.workspaceId, req.params.reconciliationId),
      ),
  );

  app.get(
    '/workspaces/:workspaceId/error-recovery/health',
    {
      schema: {
        operationId: 'getErrorRecoveryHealth',
        tags: ['recovery'],
        summary: 'Recovery service health: DLQ consumer lag, last runs of its loops, re-drives',
        params: WorkspaceParams,
        response: {
          200: Type.Object({
            status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
            dlqConsumer: Type.Object({
              groupId: Type.String(),
              topic: Type.String(),
              lag: Nullable(Type.Integer({ description: 'Dead letters not yet recorded' })),
              error: Nullable(Type.String()),
            }),
            components: Type.Array(Component),
            redrives: Type.Object(
              {
                waiting: Type.Integer({ description: 'Scheduled for an automatic re-drive' }),
                redriven: Type.Integer({ description: 'Sent back, outcome pending' }),
                resolved: Type.Integer({ description: 'Applied after a re-drive' }),
                dead: Type.Integer({ description: 'Left for a human' }),
              },
              { description: 'This workspace’s dead letters by re-drive state' },
            ),
          }),
          ...ERROR_RESPONSES,
        },
      },
    },
    async (req) => {
      let lag: number | null = null;
      let lagError: string | null = null;
      try {
        lag = await kafkaHealth.consumerLag(recoveryGroupId, dlqTopic);
      } catch (err) {
        lagError = err instanceof Error ? err.message : String(err);
      }
      const beats = await prisma.recoveryHeartbeat.findMany({ orderBy: { component: 'asc' } });
      const components = beats.map((b) => ({
        name: b.component,
        lastSuccessAt: b.lastSuccessAt?.toISOString() ?? null,
        lastFailureAt: b.lastFailureAt?.toISOString() ?? null,
        lastError: b.lastError,
        healthy:
          b.lastSuccessAt !== null &&
          (b.lastFailureAt === null || b.lastFailureAt <= b.lastSuccessAt),
        details: (b.details ?? {}) as Record<string, unknown>,
      }));
      const states = await prisma.$queryRaw<{ status: string; n: number }[]>`
        SELECT status, count(*)::int AS n FROM dead_letters
         WHERE workspace_id = ${req.params.workspaceId}::uuid GROUP BY status`;
      const count = (s: string) => states.find((r) => r.status === s)?.n ?? 0;
      return {
        status:
          lag === null || components.length === 0 || components.some((c) => !c.healthy)
            ? ('degraded' as const)
            : ('ok' as const),
        dlqConsumer: { groupId: recoveryGroupId, topic: dlqTopic, lag, error: lagError },
        components,
        redrives: {
          waiting: count('waiting'),
          redriven: count('redriven'),
          resolved: count('resolved'),
          dead: count('dead'),
        },
      };
    },
  );
};
