import { Type, type TSchema } from '@sinclair/typebox';

import type { EntityType } from '@paysync/contracts';
import { ENTITY_TABLES, type CanonicalColumn } from '@paysync/db';

import { parentFilters } from '../modules/data/collections.js';
import { camel } from '../modules/data/synced-data.repository.js';
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

function columnSchema(column: CanonicalColumn<EntityType>): TSchema {
  switch (column.pgType) {
    case 'text':
      return Nullable(Type.String());
    case 'bigint':
    case 'integer':
      return Nullable(Type.Integer());
    case 'float8':
      return Nullable(Type.Number());
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

/** One synced row: the sync fields plus the entity table's canonical columns in camelCase. */
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
      providerAccountId: Nullable(
        Type.String({
          description:
            'Stripe Connect: the connected account (`acct_…`) the object belongs to; null for the connection’s own account',
        }),
      ),
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

const ExternalId = Type.String({ minLength: 1, maxLength: 255 });

/** The parent-id filters of `entityType`'s collection (`customerExternalId`, …), where its table has them. */
function parentQuery(entityType: EntityType) {
  return Object.fromEntries(
    parentFilters(entityType).map(({ query }) => [
      query,
      Type.Optional(
        Type.String({
          minLength: 1,
          maxLength: 255,
          description: `Only rows whose ${query} is this provider id`,
        }),
      ),
    ]),
  );
}

/** The two routes of a collection (`customers`, `payment-transactions`, …) of `entityType`. */
export function collectionSchemas(collection: string, entityType: EntityType) {
  const Item = itemSchema(entityType);
  const opName = collection.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  const Opname = opName.charAt(0).toUpperCase() + opName.slice(1);
  return {
    list: {
      operationId: `list${Opname}`,
      tags: ['data'],
      summary: `Synced ${collection.replace(/-/g, ' ')}, oldest change first (a change feed)`,
      params: WorkspaceParams,
      querystring: listQuery({
        provider: Type.Optional(Provider),
        externalId: Type.Optional(ExternalId),
        providerAccountId: Type.Optional(ExternalId),
        ...parentQuery(entityType),
        updatedSince: Type.Optional(DateTime),
        includeDeleted: Type.Optional(Type.Boolean({ default: false })),
      }),
      response: { 200: page(Item), ...ERROR_RESPONSES },
    },
    get: {
      operationId: `get${Opname.replace(/s$/, '')}`,
      tags: ['data'],
      params: resourceParams('id'),
      response: { 200: Item, ...ERROR_RESPONSES },
    },
  };
}
