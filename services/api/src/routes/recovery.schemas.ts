import { Type } from '@sinclair/typebox';

import { ENTITY_TYPES } from '@paysync/contracts';

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
  (['pending', 'running', 'completed', 'failed'] as const).map((s) => Type.Literal(s)),
);

const Samples = Type.Array(Type.String(), { maxItems: 10 });

export const EntityDrift = Type.Object(
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

const Component = Type.Object({
  name: Type.String({ description: 'redrive, session-watchdog, reconciliation, events-poller' }),
  lastSuccessAt: Nullable(DateTime),
  lastFailureAt: Nullable(DateTime),
  lastError: Type.Optional(
    Nullable(Type.String({ description: 'Admin token only: it may name any workspace’s objects' })),
  ),
  healthy: Type.Boolean({ description: 'Its last run succeeded' }),
  details: Type.Optional(
    Type.Object(
      {},
      {
        additionalProperties: true,
        description: 'Admin token only: what the last run did (it spans every workspace)',
      },
    ),
  ),
});

export const startReconciliationSchema = {
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
      entityTypes: Type.Optional(
        Type.Array(EntityTypeSchema, { minItems: 1, maxItems: ENTITY_TYPES.length }),
      ),
      repair: Type.Optional(Type.Boolean({ default: false })),
    },
    { additionalProperties: false },
  ),
  response: {
    202: Type.Object({ reconciliationId: Uuid, status: RunStatus }),
    ...ERROR_RESPONSES,
    ...CONFLICT_RESPONSE,
  },
};

export const listReconciliationsSchema = {
  operationId: 'listReconciliations',
  tags: ['recovery'],
  summary: 'Reconciliations (manual and scheduled), newest first',
  params: WorkspaceParams,
  querystring: Type.Object(
    { status: Type.Optional(RunStatus), ...PageQuery },
    { additionalProperties: false },
  ),
  response: { 200: page(Reconciliation), ...ERROR_RESPONSES },
};

export const getReconciliationSchema = {
  operationId: 'getReconciliation',
  tags: ['recovery'],
  summary: 'Drift report: counts and samples per entity type, and what repair fixed',
  params: Type.Object(
    { workspaceId: Uuid, reconciliationId: Uuid },
    { additionalProperties: false },
  ),
  response: { 200: Reconciliation, ...ERROR_RESPONSES },
};

export const getErrorRecoveryHealthSchema = {
  operationId: 'getErrorRecoveryHealth',
  tags: ['recovery'],
  summary: 'Recovery service health: last runs of its loops, this workspace’s re-drives',
  description:
    'A workspace key sees whether each recovery loop is healthy and its own dead letters; the ' +
    'admin token also sees the DLQ consumer lag and each loop’s last error and details, which ' +
    'span every workspace.',
  params: WorkspaceParams,
  response: {
    200: Type.Object({
      status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
      dlqConsumer: Type.Optional(
        Type.Object(
          {
            groupId: Type.String(),
            topic: Type.String(),
            lag: Nullable(Type.Integer({ description: 'Dead letters not yet recorded' })),
            error: Nullable(Type.String()),
          },
          { description: 'Admin token only: the lag counts every workspace’s dead letters' },
        ),
      ),
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
};
