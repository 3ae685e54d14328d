import { Type } from '@sinclair/typebox';

import {
  DateTime,
  ERROR_RESPONSES,
  NoContent,
  Nullable,
  Uuid,
  WorkspaceParams,
  page,
} from '../http/schemas.js';
import { API_KEY_SCOPES } from '../modules/auth/scopes.js';
import { listOf, listQuery, resourceParams } from './common.schemas.js';

const Workspace = Type.Object({
  id: Uuid,
  name: Type.String(),
  createdAt: DateTime,
  updatedAt: DateTime,
});
const ApiKey = Type.Object({
  id: Uuid,
  name: Type.String(),
  prefix: Type.String({ description: 'Recognisable start of the key; never the key' }),
  scopes: Type.Array(Type.Union(API_KEY_SCOPES.map((s) => Type.Literal(s))), {
    description:
      'What the key may do: `read` < `write` < `admin`, each including the ones before it',
  }),
  createdAt: DateTime,
  lastUsedAt: Nullable(DateTime),
  revokedAt: Nullable(DateTime),
});
const Name = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });
const AuditRecord = Type.Object({
  id: Type.String(),
  actor: Type.String(),
  action: Type.String(),
  resourceType: Nullable(Type.String()),
  resourceId: Nullable(Type.String()),
  statusCode: Type.Integer(),
  requestId: Type.String(),
  details: Type.Object({}, { additionalProperties: true }),
  createdAt: DateTime,
});

export const createWorkspaceSchema = {
  operationId: 'createWorkspace',
  tags: ['workspaces'],
  summary: 'Create a workspace and its first API key (admin token only)',
  description: 'The API key is shown once, in this response; only its hash is stored.',
  body: Type.Object({ name: Name }, { additionalProperties: false }),
  response: {
    201: Type.Object({
      id: Uuid,
      name: Type.String(),
      createdAt: DateTime,
      apiKey: Type.String({ description: 'Shown once' }),
      apiKeyId: Uuid,
    }),
    ...ERROR_RESPONSES,
  },
};

export const listWorkspacesSchema = {
  operationId: 'listWorkspaces',
  tags: ['workspaces'],
  summary: 'Workspaces visible to the credential (all for the admin token, its own for a key)',
  querystring: listQuery({}),
  response: { 200: page(Workspace), ...ERROR_RESPONSES },
};

export const getWorkspaceSchema = {
  operationId: 'getWorkspace',
  tags: ['workspaces'],
  params: WorkspaceParams,
  response: { 200: Workspace, ...ERROR_RESPONSES },
};

export const renameWorkspaceSchema = {
  operationId: 'renameWorkspace',
  tags: ['workspaces'],
  params: WorkspaceParams,
  body: Type.Object({ name: Name }, { additionalProperties: false }),
  response: { 200: Workspace, ...ERROR_RESPONSES },
};

export const createApiKeySchema = {
  operationId: 'createApiKey',
  tags: ['workspaces'],
  summary: 'Create an API key for the workspace (shown once)',
  description:
    '`scopes` says what the key may do: `read` (every GET of the workspace), `write` (also start, ' +
    'cancel and recover syncs, replays, reconciliations, connection tests) or `admin` (also ' +
    'mint and revoke keys, and create, change or delete connections and their secrets). Each ' +
    'scope includes the ones before it; without `scopes` the key gets `read`.',
  params: WorkspaceParams,
  body: Type.Object(
    {
      name: Type.Optional(Name),
      scopes: Type.Optional(
        Type.Array(Type.Union(API_KEY_SCOPES.map((s) => Type.Literal(s))), {
          minItems: 1,
          maxItems: API_KEY_SCOPES.length,
          uniqueItems: true,
          description: 'Default `["read"]`',
        }),
      ),
    },
    { additionalProperties: false },
  ),
  response: {
    201: Type.Intersect([
      ApiKey,
      Type.Object({ apiKey: Type.String({ description: 'Shown once' }) }),
    ]),
    ...ERROR_RESPONSES,
  },
};

export const listApiKeysSchema = {
  operationId: 'listApiKeys',
  tags: ['workspaces'],
  params: WorkspaceParams,
  response: { 200: listOf(ApiKey), ...ERROR_RESPONSES },
};

export const revokeApiKeySchema = {
  operationId: 'revokeApiKey',
  tags: ['workspaces'],
  summary: 'Revoke an API key (idempotent); requests with it answer 401 from then on',
  params: resourceParams('keyId'),
  response: { ...NoContent, ...ERROR_RESPONSES },
};

export const listAuditLogSchema = {
  operationId: 'listAuditLog',
  tags: ['workspaces'],
  summary: 'Mutating API calls on the workspace, newest first',
  params: WorkspaceParams,
  querystring: listQuery({}),
  response: { 200: page(AuditRecord), ...ERROR_RESPONSES },
};
