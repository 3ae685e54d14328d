import { Type } from '@sinclair/typebox';

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
  WorkspaceParams,
} from '../http/schemas.js';
import { listOf, resourceParams } from './common.schemas.js';

const Secret = (description: string) =>
  Type.String({ minLength: 1, maxLength: 512, description: `${description} (write-only)` });

/** HTTP Basic credentials a provider sends webhooks with (providers whose secrets are those). */
const Credential = (description: string) =>
  Type.Object(
    {
      username: Type.String({ minLength: 1, maxLength: 128, pattern: '^[^:\\s]+$' }),
      password: Type.String({ minLength: 16, maxLength: 256, pattern: '^\\S+$' }),
    },
    { additionalProperties: false, description: `${description} (write-only)` },
  );

const Settings = Type.Object(
  {
    site: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 63,
        description:
          'The provider’s name for the account, where its API needs one: the Chargebee site (acme-test for acme-test.chargebee.com); required for Chargebee',
      }),
    ),
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
        description:
          'Provider requests per second for this connection’s syncs: may only lower the server’s rate for the provider account (STRIPE_RATE_LIMIT_PER_SECOND_*), never raise it',
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
    connect: Type.Optional(
      Type.Boolean({
        description:
          'Stripe Connect platform: also sync every connected account’s objects through this connection (Stripe only)',
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
    description: 'Accepted webhook signing secrets or Basic credentials (2 while rotating)',
  }),
  settings: Settings,
  isActive: Type.Boolean(),
  accountId: Nullable(
    Type.String({ description: 'Provider account id, filled by a successful test' }),
  ),
  accountVerified: Type.Boolean({
    description:
      'Whether the provider confirmed accountId (a successful test with the current key); only then does the connection share its provider account’s rate-limit bucket',
  }),
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

const ConfigParams = resourceParams('configId');

export const createConnectionSchema = {
  operationId: 'createConnection',
  tags: ['connections'],
  summary: 'Add a provider connection (secrets are encrypted and never returned)',
  description:
    'A provider whose object ids are not unique across its accounts (Chargebee: a test and a live ' +
    'site often share ids) has one active connection per workspace: a second is 409 ' +
    '`CONNECTION_CONFLICT` (connect each site in its own workspace).',
  params: WorkspaceParams,
  body: Type.Object(
    {
      provider: Provider,
      mode: Type.Optional(Mode),
      apiKey: Secret('Provider API key (Stripe sk_… or rk_…; a Chargebee site’s API key)'),
      webhookSecret: Type.Optional(Secret('Webhook signing secret (Stripe whsec_…)')),
      webhookSecrets: Type.Optional(
        Type.Array(Secret('Webhook signing secret, or Basic credentials username:password'), {
          maxItems: 5,
        }),
      ),
      webhookCredentials: Type.Optional(
        Type.Array(Credential('Webhook Basic credentials (Chargebee)'), { maxItems: 2 }),
      ),
      accountId: Type.Optional(
        Type.String({
          minLength: 1,
          maxLength: 255,
          description:
            'Provider account id, as claimed: not trusted until a connection test confirms it (accountVerified)',
        }),
      ),
      settings: Type.Optional(Settings),
    },
    { additionalProperties: false },
  ),
  response: { 201: Connection, ...ERROR_RESPONSES, ...CONFLICT_RESPONSE },
};

export const listConnectionsSchema = {
  operationId: 'listConnections',
  tags: ['connections'],
  params: WorkspaceParams,
  response: { 200: listOf(Connection), ...ERROR_RESPONSES },
};

export const getConnectionSchema = {
  operationId: 'getConnection',
  tags: ['connections'],
  params: ConfigParams,
  response: { 200: Connection, ...ERROR_RESPONSES },
};

export const updateConnectionSchema = {
  operationId: 'updateConnection',
  tags: ['connections'],
  summary: 'Change a connection; fields left out stay as they are',
  description:
    'Rotate webhook secrets with `addWebhookSecret` (both are accepted) and later ' +
    '`retireOldWebhookSecrets: true` (only the newest stays). Reactivating (`isActive: true`) ' +
    'a connection of a provider with one active connection per workspace while another is ' +
    'active is 409 `CONNECTION_CONFLICT`.',
  params: ConfigParams,
  body: Type.Object(
    {
      mode: Type.Optional(Mode),
      apiKey: Type.Optional(Secret('Provider API key')),
      webhookSecrets: Type.Optional(Type.Array(Secret('Webhook signing secret'), { maxItems: 5 })),
      addWebhookSecret: Type.Optional(Secret('Webhook signing secret to accept as well')),
      webhookCredentials: Type.Optional(
        Type.Array(Credential('Webhook Basic credentials (Chargebee)'), { maxItems: 2 }),
      ),
      addWebhookCredential: Type.Optional(
        Credential('Webhook Basic credentials to accept as well (Chargebee)'),
      ),
      retireOldWebhookSecrets: Type.Optional(Type.Boolean()),
      settings: Type.Optional(Settings),
      isActive: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false, minProperties: 1 },
  ),
  response: { 200: Connection, ...ERROR_RESPONSES, ...CONFLICT_RESPONSE },
};

export const deleteConnectionSchema = {
  operationId: 'deleteConnection',
  tags: ['connections'],
  params: ConfigParams,
  response: { ...NoContent, ...ERROR_RESPONSES, ...CONFLICT_RESPONSE },
};

export const testConnectionSchema = {
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
};

export const registerWebhookEndpointSchema = {
  operationId: 'registerWebhookEndpoint',
  tags: ['connections'],
  summary: 'Register our webhook URL with the provider and store the secret it returns',
  description:
    'Idempotent: a second call finds the endpoint already registered for the URL. ' +
    'Providers with an API for it (`setup: api`, Stripe) create the endpoint and its signing ' +
    'secret is stored, never answered. Providers without one (`setup: manual`, Chargebee) get ' +
    'generated HTTP Basic `credentials`, stored encrypted and answered only by the call that made ' +
    'them: paste the URL and the credentials where `instructions` say.',
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
      setup: Type.Union([Type.Literal('api'), Type.Literal('manual')]),
      credentials: Nullable(
        Type.Object(
          { username: Type.String(), password: Type.String() },
          {
            description:
              'The generated Basic credentials of a manual setup: answered once, write-only after',
          },
        ),
      ),
      instructions: Nullable(Type.String({ description: 'Where to paste a manual setup' })),
    }),
    ...ERROR_RESPONSES,
    ...PROVIDER_RESPONSE,
  },
};
