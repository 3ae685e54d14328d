import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

import { cradleOf } from '@paysync/runtime';

import { presentConnection } from './connections.presenters.js';
import {
  createConnectionSchema,
  deleteConnectionSchema,
  getConnectionSchema,
  listConnectionsSchema,
  registerWebhookEndpointSchema,
  testConnectionSchema,
  updateConnectionSchema,
} from './connections.schemas.js';

import type { ApiCradle } from '../container.js';

/** Provider connections: `/workspaces/{workspaceId}/sync/config…`. Secrets are write-only. */
export const connectionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { connectionService, connectionRepository } = cradleOf<ApiCradle>(app);
  const base = '/workspaces/:workspaceId/sync/config';
  const audited = { config: { resource: 'connection' } };

  app.post(base, { ...audited, schema: createConnectionSchema }, async (req, reply) => {
    const c = await connectionService.create(req.params.workspaceId, req.body);
    req.auditNote = {
      resourceId: c.id,
      details: { provider: c.provider, mode: c.mode, webhookSecretCount: c.webhookSecretCount },
    };
    return reply.code(201).send(presentConnection(c));
  });

  app.get(base, { schema: listConnectionsSchema }, async (req) => ({
    data: (await connectionRepository.list(req.params.workspaceId)).map(presentConnection),
  }));

  app.get(`${base}/:configId`, { schema: getConnectionSchema }, async (req) =>
    presentConnection(await connectionRepository.get(req.params.workspaceId, req.params.configId)),
  );

  app.put(`${base}/:configId`, { ...audited, schema: updateConnectionSchema }, async (req) => {
    const { workspaceId, configId } = req.params;
    const { connection, changed } = await connectionService.update(workspaceId, configId, req.body);
    req.auditNote = { resourceId: connection.id, details: { fields: changed } };
    return presentConnection(connection);
  });

  app.delete(
    `${base}/:configId`,
    { ...audited, schema: deleteConnectionSchema },
    async (req, reply) => {
      await connectionService.delete(req.params.workspaceId, req.params.configId);
      req.auditNote = { resourceId: req.params.configId };
      return reply.code(204).send(null);
    },
  );

  app.post(`${base}/:configId/test`, { ...audited, schema: testConnectionSchema }, async (req) => {
    const result = await connectionService.test(req.params.workspaceId, req.params.configId);
    req.auditNote = { resourceId: req.params.configId, details: { accountId: result.accountId } };
    return result;
  });

  app.post(
    `${base}/:configId/webhook-endpoint`,
    { ...audited, schema: registerWebhookEndpointSchema },
    async (req) => {
      const { workspaceId, configId } = req.params;
      const result = await connectionService.registerWebhookEndpoint(
        workspaceId,
        configId,
        req.body.url,
      );
      // The credentials of a manual setup are a secret: never in the audit trail.
      const { credentials, ...rest } = result;
      req.auditNote = {
        resourceId: configId,
        details: { ...rest, credentialsIssued: credentials !== null },
      };
      return result;
    },
  );
};
