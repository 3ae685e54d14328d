import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

import { cradleOf } from '@paysync/runtime';

import { paginate, timeKey } from '../http/pagination.js';
import { DATA_COLLECTIONS, parentFilters } from '../modules/data/collections.js';
import { collectionSchemas } from './data.schemas.js';

import type { ApiCradle } from '../container.js';

/**
 * Read API over synced data: `/customers`, `/refunds`, `/invoice-line-items`, … (every synced
 * entity type, DATA_COLLECTIONS) and `/{collection}/{id}`.
 */
export const dataRoutes: FastifyPluginAsyncTypebox<{ maxPageSize: number }> = async (
  app,
  { maxPageSize },
) => {
  const { syncedDataRepository } = cradleOf<ApiCradle>(app);

  for (const [collection, entityType] of Object.entries(DATA_COLLECTIONS)) {
    const schemas = collectionSchemas(collection, entityType);
    const parents = parentFilters(entityType);

    app.get(`/workspaces/:workspaceId/${collection}`, { schema: schemas.list }, (req) =>
      paginate(req.query, {
        kind: collection,
        maxPageSize,
        key: timeKey,
        fetch: (after, limit) =>
          syncedDataRepository.list(req.params.workspaceId, entityType, {
            provider: req.query.provider,
            externalId: req.query.externalId,
            providerAccountId: req.query.providerAccountId,
            parents: Object.fromEntries(
              parents.map(({ column, query }) => [
                column,
                (req.query as Record<string, string | undefined>)[query],
              ]),
            ),
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
