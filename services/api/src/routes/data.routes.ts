import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

import type { EntityType } from '@paysync/contracts';
import { cradleOf } from '@paysync/runtime';

import { paginate, timeKey } from '../http/pagination.js';
import { collectionSchemas } from './data.schemas.js';

import type { ApiCradle } from '../container.js';

/** URL collection → entity type. */
const COLLECTIONS: Readonly<Record<string, EntityType>> = {
  customers: 'customer',
  products: 'product',
  prices: 'price',
  subscriptions: 'subscription',
  invoices: 'invoice',
  'payment-transactions': 'payment_transaction',
};

/** Read API over synced data: `/customers`, `/products`, … and `/{collection}/{id}`. */
export const dataRoutes: FastifyPluginAsyncTypebox<{ maxPageSize: number }> = async (
  app,
  { maxPageSize },
) => {
  const { syncedDataRepository } = cradleOf<ApiCradle>(app);

  for (const [collection, entityType] of Object.entries(COLLECTIONS)) {
    const schemas = collectionSchemas(collection, entityType);

    app.get(`/workspaces/:workspaceId/${collection}`, { schema: schemas.list }, (req) =>
      paginate(req.query, {
        kind: collection,
        maxPageSize,
        key: timeKey,
        fetch: (after, limit) =>
          syncedDataRepository.list(req.params.workspaceId, entityType, {
            provider: req.query.provider,
            externalId: req.query.externalId,
            updatedSince: req.query.updatedSince ? new Date(req.query.updatedSince) : undefined,
            includeDeleted: req.query.includeDeleted,
            ...(after && { after: { updatedAt: after.at, id: after.id } }),
            limit,
          }),
        cursorOf: (r) => [r.updatedAt, r.id],
        // Rows are already in API shape.
        present: (r) => r,
      }),
    );

    app.get(`/workspaces/:workspaceId/${collection}/:id`, { schema: schemas.get }, async (req) =>
      syncedDataRepository.get(req.params.workspaceId, entityType, req.params.id),
    );
  }
};
