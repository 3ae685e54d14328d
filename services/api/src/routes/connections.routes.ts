import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

import type { ConnectionView } from '@paysync/db';

import {
  CONFLICT_RESPONSE,
  DateTime,
  ERROR_RESPONSES,
  Mode,
  NoContent,
  Nullable,
  PROVIDER_RESPONSE,
  Provider,
  Uuid,
} from '../http/schemas.js';

const Secret = (description: string) =>
  Type.String({ minLength: 1, maxLength: 512, description: `${description} (write-only)` });

const Settings = Type.Object(
  {
    apiBaseUrl: Type.Optional(
      Type.String({
        format: 'uri',
        maxLength: 500,
        description:
          'Provider API base URL (a simulator or proxy); must be in API_ALLOWED_PROVIDER_BASE_URLS',
      }),
    ),
    rateLimitPerSecond: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1000,
        description: 'Provider requests per second for syncs',
      }),
    ),
    reconcileIntervalMinutes: Type.Optional(
      Type.Integer({
        minimum: 15,
        maximum: 43_200,
        description: 'Reconcile this connection on a schedule, every this many minutes',
      }),
    ),
    reconcileRepair: Type.Optional(
      Type.Boolean({ description: 'Scheduled reconciliations also repair the drift they find' }),
    ),
    eventsPolling: Type.Optional(
      Type.Boolean({
        description:
          'Check the provider’s event list for events no webhook delivered (default true)',
      }),
    ),
  },
  { additionalProperties: false },
);

const Connection = Type.Object({
  id: Uuid,
  workspaceId: Uuid,
  provider: Provider,
  mode: Mode,
  apiKeyHint: Type.String({ description: 'Last characters of the API key' }),
  webhookSecretCount: Type.Integer({
    description: 'Accepted webhook signing secrets (2 while rotating)',
  }),
  settings: Settings,
  isActive: Type.Boolean(),
  accountId: Nullable(
    Type.String({ description: 'Provider account id, filled by a successful test' }),
  ),
  webhookEndpointId: Nullable(Type.String()),
  webhookPath: Type.String({
    description: 'Path to register at the provider: /webhooks/{provider}/{id}',
  }),
  health: Type.Object({
    lastTestAt: Nullable(DateTime),
    lastTestOk: Nullable(Type.Boolean()),
    lastTestError: Nullable(Type.String()),
  }),
  createdAt: DateTime,
  updatedAt: DateTime,
});

const ConfigParams = Type.Object(
  { workspaceId: Uuid, configId: Uuid },
  { additionalProperties: false },
);

function present(c: ConnectionView) {
  return {
    id: c.id,
    workspaceId: c.workspaceId,
    provider: c.provider,
    mode: c.mode,
    apiKeyHint: c.apiKeyHint,
    webhookSecretCount: c.webhookSecretCount,
    settings: c.settings,
    isActive: c.isActive,
    accountId: c.providerAccountId,
    webhookEndpointId: c.webhookEndpointId,
    webhookPath: `/webhooks/${c.provider}/${c.id}`,
    health: {
      lastTestAt: c.lastTestAt?.toISOString() ?? null,
      lastTestOk: c.lastTestOk,
      lastTestError: c.lastTestError,
    },
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

/** Provider connections: `/workspaces/{workspaceId}/sync/config…`. Secrets are write-only. */
export const connectionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { connectionService, connectionRepository } = app.diContainer.cradle;
  const base = '/workspaces/:workspaceId/sync/config';

  app.post(
    base,
    {
      config: { resource: 'connection' },
      schema: {
        operationId: 'createConnection',
        tags: ['connections'],
        summary: 'Add a provider connection (secrets are encrypted and never returned)',
        params: Type.Object({ workspaceId: Uuid }, { additionalProperties: false }),
        body: Type.Object(
          {
            provider: Provider,
            mode: Type.Optional(Mode),
            apiKey: Secret('Provider API key (Stripe sk_… or rk_…)'),
            webhookSecret: Type.Optional(Secret('Webhook signing secret (Stripe whsec_…)')),
            webhookSecrets: Type.Optional(
              Type.Array(Secret('Webhook signing secret'), { maxItems: 5 }),
            ),
            accountId: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
            settings: Type.Optional(Settings),
          },
          { additionalProperties: false },
        ),
        response: { 201: Connection, ...ERROR_RESPONSES },
      },
    },
    async (req, reply) => {
      const c = await connectionService.create(req.params.workspaceId, req.body);
      req.auditNote = {
        resourceId: c.id,
        details: { provider: c.provider, mode: c.mode, webhookSecretCount: c.webhookSecretCount },
      };
      return reply.code(201).send(present(c));
    },
  );

  app.get(
    base,
    {
      schema: {
        operationId: 'listConnections',
        tags: ['connections'],
        params: Type.Object({ workspaceId: Uuid }, { additionalProperties: false }),
        response: { 200: Type.Object({ data: Type.Array(Connection) }), ...ERROR_RESPONSES },
      },
    },
    async (req) => ({
      data: (await connectionRepository.list(req.params.workspaceId)).map(present),
    }),
  );

  app.get(
    `${base}/:configId`,
    {
      schema: {
        operationId: 'getConnection',
        tags: ['connections'],
        params: ConfigParams,
        response: { 200: Connection, ...ERROR_RESPONSES },
      },
    },
    async (req) =>
      present(await connectionRepository.get(req.params.workspaceId, req.params.configId)),
  );

  app.put(
    `${base}/:configId`,
    {
      config: { resource: 'connection' },
      schema: {
        operationId: 'updateConnection',
        tags: ['connections'],
        summary: 'Change a connection; fields left out stay as they are',
        description:
          'Rotate webhook secrets with `addWebhookSecret` (both are accepted) and later ' +
          '`retireOldWebhookSecrets: true` (only the newest stays).',
        params: ConfigParams,
        body: Type.Object(
          {
            mode: Type.Optional(Mode),
            apiKey: Type.Optional(Secret('Provider API key')),
            webhookSecrets: Type.Optional(
              Type.Array(Secret('Webhook signing secret'), { maxItems: 5 }),
            ),
            addWebhookSecret: Type.Optional(Secret('Webhook signing secret to accept as well')),
            retireOldWebhookSecrets: Type.Optional(Type.Boolean()),
            settings: Type.Optional(Settings),
            isActive: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: Connection, ...ERROR_RESPONSES },
      },
    },
    async (req) => {
      const { connection, changed } = await connectionService.update(
        req.params.workspaceId,
        req.params.configId,
        req.body,
      );
      req.auditNote = { resourceId: connection.id, details: { fields: changed } };
      return present(connection);
    },
  );

  app.delete(
    `${base}/:configId`,
    {
      config: { resource: 'connection' },
      schema: {
        operationId: 'deleteConnection',
        tags: ['connections'],
        params: ConfigParams,
        response: { ...NoContent, ...ERROR_RESPONSES, ...CONFLICT_RESPONSE },
      },
    },
    async (req, reply) => {
      await connectionService.delete(req.params.workspaceId, req.params.configId);
      req.auditNote = { resourceId: req.params.configId };
      return reply.code(204).send(null);
    },
  );

  app.post(
    `${base}/:configId/test`,
    {
      config: { resource: 'connection' },
      schema: {
        operationId: 'testConnection',
        tags: ['connections'],
        summary: 'Call the provider with the stored key and record the result',
        params: ConfigParams,
        response: {
          200: Type.Object({
            ok: Type.Boolean(),
            accountId: Type.String(),
            mode: Mode,
            latencyMs: Type.Integer(),
          }),
          ...ERROR_RESPONSES,
          ...CONFLICT_RESPONSE,
          ...PROVIDER_RESPONSE,
        },
      },
    },
    async (req) => {
      const result = await connectionService.test(req.params.workspaceId, req.params.configId);
      req.auditNote = { resourceId: req.params.configId, details: { accountId: result.accountId } };
      return result;
    },
  );

  app.post(
    `${base}/:configId/webhook-endpoint`,
    {
      config: { resource: 'connection' },
      schema: {
        operationId: 'registerWebhookEndpoint',
        tags: ['connections'],
        summary:
          'Register our webhook URL with the provider and store the signing secret it returns',
        description: 'Idempotent: a second call finds the endpoint already registered for the URL.',
        params: ConfigParams,
        body: Type.Object(
          { url: Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2048 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            endpointId: Type.String(),
            url: Type.String(),
            created: Type.Boolean(),
            secretStored: Type.Boolean(),
          }),
          ...ERROR_RESPONSES,
          ...PROVIDER_RESPONSE,
        },
      },
    },
    async (req) => {
      const result = await connectionService.registerWebhookEndpoint(
        req.params.workspaceId,
        req.params.configId,
        req.body.url,
      );
      req.auditNote = { resourceId: req.params.configId, details: { ...result } };
      return result;
    },
  );
};
