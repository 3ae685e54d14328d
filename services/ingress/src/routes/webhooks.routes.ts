import type { FastifyPluginAsync, FastifyRequest } from 'fastify';

import { PROVIDERS, type ProviderName } from '@paysync/contracts';
import type { DecryptedConnection } from '@paysync/db';
import { AppError, ForbiddenError, NotFoundError, RateLimitedError } from '@paysync/errors';
import { claimedAccountId, verifyProviderWebhook } from '@paysync/providers';
import { cradleOf } from '@paysync/runtime';

import { providerLabel } from '../modules/webhooks/ingress.metrics.js';
import { IpAllowlist, WindowRateLimiter } from '../modules/webhooks/rate-limiter.js';

import type { IngressCradle } from '../container.js';

interface Params {
  provider: string;
  connectionId?: string;
}

/**
 * Public webhook endpoints. Per request, in this order: the IP allowlist and per-IP limit, the
 * body read with its size cap (413), the connection (404 if unknown or inactive, never 410), its
 * rate limit, the signature on the raw bytes (400 with a code per failure), then the durable
 * hand-off, then 200 with the event id. Nothing else runs on this path.
 */
export const webhookRoutes: FastifyPluginAsync = async (app) => {
  const { config, connectionCache, webhookHandoffService, ingressMetrics } =
    cradleOf<IngressCradle>(app);
  const settings = config.ingress;
  const perIp = new WindowRateLimiter({ limitPerSecond: settings.rateLimitPerIp });
  const perConnection = new WindowRateLimiter({
    limitPerSecond: settings.rateLimitPerConnection,
  });
  const allowlist = settings.ipAllowlist
    ? new IpAllowlist({ entries: settings.ipAllowlist })
    : undefined;

  // Raw bytes for every content type: the signature covers the body exactly as sent.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    '*',
    { parseAs: 'buffer', bodyLimit: settings.bodyLimitBytes },
    (_req, body, done) => {
      done(null, body);
    },
  );

  const providerOf = (req: FastifyRequest<{ Params: Params }>) =>
    (PROVIDERS as readonly string[]).includes(req.params.provider)
      ? (req.params.provider as ProviderName)
      : undefined;

  app.addHook('onRequest', async (req: FastifyRequest<{ Params: Params }>) => {
    if (allowlist && !allowlist.allows(req.ip)) {
      ingressMetrics.rejected.inc({
        provider: providerLabel(req.params.provider),
        reason: 'FORBIDDEN',
      });
      throw new ForbiddenError('FORBIDDEN', 'Source address is not allowed to post webhooks');
    }
    if (!perIp.take(req.ip)) {
      ingressMetrics.rejected.inc({
        provider: providerLabel(req.params.provider),
        reason: 'RATE_LIMITED',
      });
      throw new RateLimitedError('Too many webhook requests from this address', 1);
    }
  });

  // Count every rejection by its code, whichever step raised it (413 and 400 included).
  app.addHook('onError', async (req: FastifyRequest<{ Params: Params }>, _reply, err) => {
    const reason =
      err instanceof AppError
        ? err.code
        : (err as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? 'PAYLOAD_TOO_LARGE'
          : 'ERROR';
    if (reason !== 'FORBIDDEN' && reason !== 'RATE_LIMITED') {
      ingressMetrics.rejected.inc({ provider: providerLabel(req.params.provider), reason });
    }
  });

  const handle = async (req: FastifyRequest<{ Params: Params }>) => {
    const provider = providerOf(req);
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (!provider) throw new NotFoundError('NOT_FOUND', `Unknown provider ${req.params.provider}`);
    ingressMetrics.received.inc({ provider });

    let connection: DecryptedConnection | undefined;
    if (req.params.connectionId !== undefined) {
      connection = await connectionCache.byId(req.params.connectionId);
    } else {
      const account = claimedAccountId(provider, rawBody);
      connection = account ? await connectionCache.byProviderAccount(provider, account) : undefined;
    }
    if (!connection || !connection.isActive || connection.provider !== provider) {
      throw new NotFoundError('NOT_FOUND', 'Unknown or inactive webhook endpoint');
    }
    if (!perConnection.take(connection.id)) {
      // Counted here: the onError hook leaves RATE_LIMITED to the limits that count themselves.
      ingressMetrics.rejected.inc({ provider, reason: 'RATE_LIMITED' });
      throw new RateLimitedError('Too many webhook requests for this connection', 1);
    }

    // The provider's adapter verifies (Stripe: signature; Chargebee: Basic credentials) and
    // parses; providers whose events do not say test or live take the connection's mode.
    const event = verifyProviderWebhook(provider, rawBody, req.headers, connection.webhookSecrets, {
      toleranceSeconds: settings.webhookToleranceSeconds,
      livemode: connection.mode === 'live',
    });

    const traceparent =
      typeof req.headers.traceparent === 'string' ? req.headers.traceparent : undefined;
    const path = await webhookHandoffService.handOff(
      {
        provider,
        workspaceId: connection.workspaceId,
        connectionId: connection.id,
        receivedAt: new Date().toISOString(),
        source: 'webhook',
        event: {
          id: event.id,
          type: event.type,
          createdMs: event.createdMs,
          livemode: event.livemode,
          accountId: event.accountId,
          apiVersion: event.apiVersion,
          objectType: event.objectType,
          objectId: event.objectId,
          payload: event.payload,
        },
      },
      traceparent,
    );
    ingressMetrics.accepted.inc({ provider, path });
    req.log.debug({ eventId: event.id, eventType: event.type, path }, 'Webhook accepted');
    return { received: true, eventId: event.id };
  };

  // Per-request access logs would cost more than the hand-off itself at webhook rates; failures
  // are still logged (warn and up) and every outcome is counted in the metrics.
  const route = { logLevel: 'warn' as const };
  app.post<{ Params: Params }>('/webhooks/:provider/:connectionId', route, handle);
  app.post<{ Params: Params }>('/webhooks/:provider', route, handle);
};
