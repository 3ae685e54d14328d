import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

import type { EntityType } from '@paysync/contracts';
import { ENTITY_TABLES, type CanonicalColumn } from '@paysync/db';

import { camel, type DataItem } from '../modules/data/synced-data.repository.js';
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

/** URL collection → entity type. */
export const COLLECTIONS: Readonly<Record<string, EntityType>> = {
  customers: 'customer',
  products: 'product',
  prices: 'price',
  subscriptions: 'subscription',
  invoices: 'invoice',
  'payment-transactions': 'payment_transaction',
};

function columnSchema(column: CanonicalColumn<EntityType>): TSchema {
  switch (column.pgType) {
    case 'text':
      return Nullable(Type.String());
    case 'bigint':
    case 'integer':
      return Nullable(Type.Integer());
    case 'boolean':
      return Nullable(Type.Boolean());
    case 'timestamptz':
      return Nullable(DateTime);
    case 'jsonb':
      return column.column === 'items'
        ? Type.Array(
            Type.Object(
              {
                externalId: Nullable(Type.String()),
                priceExternalId: Nullable(Type.String()),
                productExternalId: Nullable(Type.String()),
                quantity: Nullable(Type.Integer()),
              },
              { additionalProperties: true },
            ),
          )
        : Type.Record(Type.String(), Type.String());
  }
}

function itemSchema(entityType: EntityType) {
  const canonical = Object.fromEntries(
    (ENTITY_TABLES[entityType].columns as readonly CanonicalColumn<EntityType>[]).map((c) => [
      camel(c.column),
      columnSchema(c),
    ]),
  );
  return Type.Object(
    {
      id: Uuid,
      provider: Provider,
      externalId: Type.String(),
      livemode: Type.Boolean(),
      deletedAt: Nullable(DateTime),
      createdAt: DateTime,
      updatedAt: DateTime,
      syncedVia: Type.Union(
        ['webhook', 'backfill', 'reconcile', 'replay'].map((s) => Type.Literal(s)),
      ),
      sourceVersion: Type.Integer({ description: 'Provider version of the stored state (ms)' }),
      lastEventId: Nullable(Type.String()),
      ...canonical,
    },
    { title: entityType },
  );
}

/** Read API over synced data: `/customers`, `/products`, … and `/{collection}/{id}`. */
export const dataRoutes: FastifyPluginAsyncTypebox<{ maxPageSize: number }> = async (
  app,
  { maxPageSize },
) => {
  const { syncedDataRepository } = app.diContainer.cradle;

  for (const [collection, entityType] of Object.entries(COLLECTIONS)) {
    const Item = itemSchema(entityType);
    const opName = collection.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    const Opname = opName.charAt(0).toUpperCase() + opName.slice(1);

    app.get(
      `/workspaces/:workspaceId/${collection}`,
      {
        schema: {
          operationId: `list${Opname}`,
          tags: ['data'],
          summary: `Synced ${collection.replace('-', ' ')}, oldest change first (a change feed)`,
          params: WorkspaceParams,
          querystring: Type.Object(
            {
              provider: Type.Optional(Provider),
              externalId: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
              updatedSince: Type.Optional(DateTime),
              includeDeleted: Type.Optional(Type.Boolean({ default: false })),
              ...PageQuery,
            },
            { additionalProperties: false },
          ),
          response: { 200: page(Item), ...ERROR_RESPONSES },
        },
      },
      async (req) => {
        const q = req.query;
        const limit = pageSize(q.limit, maxPageSize);
        const position = q.cursor ? decodeCursor(collection, q.cursor, 2) : undefined;
        const rows = await syncedDataRepository.list(req.params.workspaceId, entityType, {
          provider: q.provider,
          externalId: q.externalId,
          updatedSince: q.updatedSince ? new Date(q.updatedSince) : undefined,
          includeDeleted: q.includeDeleted,
          ...(position && {
            after: { updatedAt: cursorDate(position[0]), id: cursorUuid(position[1]) },
          }),
          limit: limit + 1,
        });
        return toPage(
          rows,
          limit,
          (r: DataItem) => encodeCursor(collection, [r.updatedAt, r.id]),
          (r) => r,
        );
      },
    );

    app.get(
      `/workspaces/:workspaceId/${collection}/:id`,
      {
        schema: {
          operationId: `get${Opname.replace(/s$/, '')}`,
          tags: ['data'],
          params: Type.Object({ workspaceId: Uuid, id: Uuid }, { additionalProperties: false }),
          response: { 200: Item, ...ERROR_RESPONSES },
        },
      },
      async (req) => syncedDataRepository.get(req.params.workspaceId, entityType, req.params.id),
    );
  }
};
