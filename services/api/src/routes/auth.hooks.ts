import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';

import { ForbiddenError, NotFoundError, RateLimitedError, isAppError } from '@paysync/errors';
import { cradleOf } from '@paysync/runtime';

import type { Config } from '../config.js';
import type { ApiCradle } from '../container.js';

/** Statuses of the authentication hook that count as a failed guess (issue 15 item 2). */
const AUTH_FAILURES = new Set([401, 403, 404]);

/**
 * The `onRequest` hooks of the management API, in this order: failed authentications of the
 * client address (429) → authenticate (401) → access and workspace scope (403 / 404: another
 * workspace's resources do not exist for a key; each of these three counts as a failure of the
 * address) → rate limit per credential (429).
 */
export async function authHooks(app: FastifyInstance, config: Config): Promise<void> {
  const { authService, authFailureLimiter, workspaceRepository } = cradleOf<ApiCradle>(app);

  app.addHook('onRequest', async (req: FastifyRequest) => {
    // Before authentication: a blocked address learns nothing about the credential it sent.
    const retryAfter = authFailureLimiter.retryAfterSeconds(req.ip);
    if (retryAfter !== undefined) {
      throw new RateLimitedError('Too many failed authentications from this address', retryAfter);
    }
    try {
      await authorize(req);
    } catch (err) {
      if (isAppError(err) && AUTH_FAILURES.has(err.status))
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
    if (workspaceId === undefined) return;
    const visible =
      principal.kind === 'workspace'
        ? principal.workspaceId === workspaceId
        : await workspaceRepository.exists(workspaceId);
    if (!visible) throw new NotFoundError('NOT_FOUND', 'Workspace not found', { workspaceId });
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
