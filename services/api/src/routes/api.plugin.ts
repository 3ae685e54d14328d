import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';

import { ValidationError } from '@paysync/errors';
import { cradleOf } from '@paysync/runtime';

import { authHooks } from './auth.hooks.js';
import { requestScope } from './db-scope.hooks.js';
import { connectionRoutes } from './connections.routes.js';
import { dataRoutes } from './data.routes.js';
import { eventRoutes } from './events.routes.js';
import { recoveryRoutes } from './recovery.routes.js';
import { syncRoutes } from './sync.routes.js';
import { workspaceKeyRoutes } from './workspace-keys.routes.js';
import { workspaceRoutes } from './workspaces.routes.js';

import type { Config } from '../config.js';
import type { ApiCradle } from '../container.js';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The authenticated management API under /api/v1. Hook order on every route: the `authHooks`
 * (failed authentications of the address 429 → authenticate 401 → access and workspace scope
 * 403 / 404 → rate limit per credential 429) → schema validation (400) → handler → audit record.
 */
export const managementApi: FastifyPluginAsync<{ config: Config }> = async (app, { config }) => {
  const { auditRepository } = cradleOf<ApiCradle>(app);

  await authHooks(app, config);
  requestScope(app);

  // A POST without a body (curl -X POST …) validates as `{}`: optional bodies just work and
  // required fields are reported by name instead of "body must be object".
  app.addHook('preValidation', async (req: FastifyRequest) => {
    if (req.body === undefined && req.routeOptions.schema?.body) req.body = {};
    // PostgreSQL text cannot hold U+0000: refuse it as bad input, naming the field, instead of
    // letting the database answer with a 500 (found by the API fuzzer).
    const nul = [
      ...nulPaths(req.body, 'body'),
      ...nulPaths(req.query, 'querystring'),
      ...nulPaths(req.params, 'params'),
    ];
    if (nul.length > 0) {
      throw new ValidationError(
        'Strings may not contain the NUL character (U+0000)',
        nul.map((path) => ({ path, message: 'must not contain U+0000' })),
      );
    }
  });

  app.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply) => {
    if (!MUTATING.has(req.method) || !req.principal) return;
    const params = (req.params ?? {}) as Record<string, string | undefined>;
    const note = req.auditNote ?? {};
    try {
      await auditRepository.record({
        workspaceId: note.workspaceId ?? params.workspaceId ?? null,
        actor: req.principal.actor,
        action: `${req.method} ${req.routeOptions.url ?? req.url}`,
        resourceType: req.routeOptions.config.resource ?? null,
        resourceId:
          note.resourceId ??
          params.configId ??
          params.sessionId ??
          params.keyId ??
          params.workspaceId ??
          null,
        statusCode: reply.statusCode,
        requestId: req.id,
        details: note.details ?? {},
      });
    } catch (err) {
      // The change itself is done; losing its audit row is an operator problem, not the caller's.
      req.log.error({ err }, 'Audit record not written');
    }
  });

  const opts = { maxPageSize: config.api.maxPageSize };
  await app.register(workspaceRoutes, opts);
  await app.register(workspaceKeyRoutes, opts);
  await app.register(connectionRoutes);
  await app.register(syncRoutes, { ...opts, stalledAfterMs: config.api.syncStalledAfterMs });
  await app.register(eventRoutes, opts);
  await app.register(dataRoutes, opts);
  await app.register(recoveryRoutes, opts);
};

/** Paths (`body/name`, `body/items/0/id`) of every string in `value` holding U+0000. */
function nulPaths(value: unknown, path: string, depth = 0): string[] {
  if (typeof value === 'string') return value.includes('\u0000') ? [path] : [];
  if (depth > 32 || value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [
    ...(k.includes('\u0000') ? [`${path}/${k.replaceAll('\u0000', '\\u0000')}`] : []),
    ...nulPaths(v, `${path}/${k}`, depth + 1),
  ]);
}
