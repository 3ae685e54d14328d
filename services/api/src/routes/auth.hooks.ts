import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';

import { ForbiddenError, NotFoundError, RateLimitedError, isAppError } from '@paysync/errors';
import { cradleOf } from '@paysync/runtime';

import {
  OPERATION_SCOPES,
  defaultScope,
  grants,
  type RequiredScope,
} from '../modules/auth/scopes.js';

import type { Config } from '../config.js';
import type { ApiCradle } from '../container.js';

/** Statuses of the authentication hook that count as a failed guess (issue 15 item 2). */
const AUTH_FAILURES = new Set([401, 403, 404]);

/** What the OpenAPI document says about each scope a route may require. */
const SCOPE_TEXT: Record<RequiredScope, string> = {
  read: 'an API key with any scope (`read`, `write` or `admin`), or the admin token',
  write: 'an API key with the `write` or `admin` scope, or the admin token',
  admin: 'an API key with the `admin` scope, or the admin token',
  'admin-token': 'the admin token only',
};

/**
 * The `onRequest` hooks of the management API, in this order: failed authentications of the
 * client address (429) → authenticate (401) → access and workspace scope (403 / 404: another
 * workspace's resources do not exist for a key; each of these three counts as a failure of the
 * address) → the key's scope (403 `INSUFFICIENT_SCOPE`, not counted: the credential is genuine)
 * → rate limit per credential (429).
 */
export async function authHooks(app: FastifyInstance, config: Config): Promise<void> {
  const { authService, authFailureLimiter, workspaceRepository } = cradleOf<ApiCradle>(app);

  // Every route of the plugin states the scope it requires, in its config (what the hook below
  // checks) and in the OpenAPI document (`x-required-scope` and a line of its description), from
  // the one value.
  app.addHook('onRoute', (route) => {
    if (route.config?.public) return;
    const operationId = (route.schema as { operationId?: string } | undefined)?.operationId;
    const scope: RequiredScope =
      route.config?.access === 'admin'
        ? 'admin-token'
        : (route.config?.scope ??
          (operationId ? OPERATION_SCOPES[operationId] : undefined) ??
          defaultScope(route.method));
    route.config = { ...route.config, scope };
    if (!route.schema || route.schema.hide) return;
    const line = `Required scope: \`${scope}\` (${SCOPE_TEXT[scope]}).`;
    const { description } = route.schema as { description?: string };
    route.schema = {
      ...route.schema,
      'x-required-scope': scope,
      description: description ? `${description}\n\n${line}` : line,
    } as typeof route.schema;
  });

  app.addHook('onRequest', async (req: FastifyRequest) => {
    // Before authentication: a blocked address learns nothing about the credential it sent.
    const retryAfter = authFailureLimiter.retryAfterSeconds(req.ip);
    if (retryAfter !== undefined) {
      throw new RateLimitedError('Too many failed authentications from this address', retryAfter);
    }
    try {
      await authorize(req);
    } catch (err) {
      if (isAppError(err) && AUTH_FAILURES.has(err.status) && err.code !== 'INSUFFICIENT_SCOPE')
        authFailureLimiter.recordFailure(req.ip);
      throw err;
    }
  });

  const authorize = async (req: FastifyRequest): Promise<void> => {
    const principal = await authService.authenticate(req.headers.authorization);
    req.principal = principal;
    if (req.routeOptions.config.access === 'admin' && principal.kind !== 'admin') {
      throw new ForbiddenError('FORBIDDEN', 'Only the admin token may do this');
    }
    const workspaceId = (req.params as { workspaceId?: string } | undefined)?.workspaceId;
    if (workspaceId !== undefined) {
      const visible =
        principal.kind === 'workspace'
          ? principal.workspaceId === workspaceId
          : await workspaceRepository.exists(workspaceId);
      if (!visible) throw new NotFoundError('NOT_FOUND', 'Workspace not found', { workspaceId });
    }
    // After the workspace check: another workspace's route is a 404 whatever the key's scope.
    const required = req.routeOptions.config.scope ?? defaultScope(req.method);
    if (principal.kind === 'workspace' && !grants(principal.scopes, required)) {
      throw new ForbiddenError(
        'INSUFFICIENT_SCOPE',
        `This API key's scopes (${principal.scopes.join(', ') || 'none'}) do not include "${required}"`,
        { requiredScope: required, scopes: principal.scopes },
      );
    }
  };

  await app.register(fastifyRateLimit, {
    global: true,
    hook: 'onRequest',
    max: config.api.rateLimitPerMinute,
    timeWindow: 60_000,
    keyGenerator: (req) => req.principal?.actor ?? `ip:${req.ip}`,
    errorResponseBuilder: (_req, ctx) =>
      new RateLimitedError('Rate limit exceeded for this credential', Math.ceil(ctx.ttl / 1000), {
        limit: ctx.max,
      }),
  });
}
