import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

import { ValidationError } from '@paysync/errors';

import {
  cursorDate,
  cursorUuid,
  decodeCursor,
  encodeCursor,
  pageSize,
  toPage,
} from '../http/pagination.js';
import { principalOf } from '../http/request-context.js';
import {
  DateTime,
  ERROR_RESPONSES,
  NoContent,
  Nullable,
  PageQuery,
  Uuid,
  WorkspaceParams,
  page,
} from '../http/schemas.js';

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

/** Workspaces, their API keys and their audit trail. */
export const workspaceRoutes: FastifyPluginAsyncTypebox<{ maxPageSize: number }> = async (
  app,
  { maxPageSize },
) => {
  const { workspaceRepository, auditRepository } = app.diContainer.cradle;

  app.post(
    '/workspaces',
    {
      config: { access: 'admin', resource: 'workspace' },
      schema: {
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
      },
    },
    async (req, reply) => {
      const { workspace, key } = await workspaceRepository.createWithKey(req.body.name.trim());
      req.auditNote = {
        workspaceId: workspace.id,
        resourceId: workspace.id,
        details: { apiKeyId: key.id },
      };
      return reply.code(201).send({
        id: workspace.id,
        name: workspace.name,
        createdAt: workspace.createdAt.toISOString(),
        apiKey: key.token,
        apiKeyId: key.id,
      });
    },
  );

  app.get(
    '/workspaces',
    {
      schema: {
        operationId: 'listWorkspaces',
        tags: ['workspaces'],
        summary:
          'Workspaces visible to the credential (all for the admin token, its own for a key)',
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: page(Workspace), ...ERROR_RESPONSES },
      },
    },
    async (req) => {
      const principal = principalOf(req);
      const limit = pageSize(req.query.limit, maxPageSize);
      const position = req.query.cursor
        ? decodeCursor('workspaces', req.query.cursor, 2)
        : undefined;
      const rows = await workspaceRepository.list({
        ...(principal.kind === 'workspace' && { ids: [principal.workspaceId] }),
        ...(position && {
          before: { createdAt: cursorDate(position[0]), id: cursorUuid(position[1]) },
        }),
        limit: limit + 1,
      });
      return toPage(
        rows,
        limit,
        (w) => encodeCursor('workspaces', [w.createdAt.toISOString(), w.id]),
        (w) => ({
          ...w,
          createdAt: w.createdAt.toISOString(),
          updatedAt: w.updatedAt.toISOString(),
        }),
      );
    },
  );

  app.get(
    '/workspaces/:workspaceId',
    {
      schema: {
        operationId: 'getWorkspace',
        tags: ['workspaces'],
        params: WorkspaceParams,
        response: { 200: Workspace, ...ERROR_RESPONSES },
      },
    },
    async (req) => {
      const w = await workspaceRepository.get(req.params.workspaceId);
      return { ...w, createdAt: w.createdAt.toISOString(), updatedAt: w.updatedAt.toISOString() };
    },
  );

  app.patch(
    '/workspaces/:workspaceId',
    {
      config: { resource: 'workspace' },
      schema: {
        operationId: 'renameWorkspace',
        tags: ['workspaces'],
        params: WorkspaceParams,
        body: Type.Object({ name: Name }, { additionalProperties: false }),
        response: { 200: Workspace, ...ERROR_RESPONSES },
      },
    },
    async (req) => {
      const w = await workspaceRepository.rename(req.params.workspaceId, req.body.name.trim());
      req.auditNote = { resourceId: w.id, details: { fields: ['name'] } };
      return { ...w, createdAt: w.createdAt.toISOString(), updatedAt: w.updatedAt.toISOString() };
    },
  );

  app.post(
    '/workspaces/:workspaceId/api-keys',
    {
      config: { resource: 'api_key' },
      schema: {
        operationId: 'createApiKey',
        tags: ['workspaces'],
        summary: 'Create an API key for the workspace (shown once)',
        params: WorkspaceParams,
        body: Type.Object({ name: Type.Optional(Name) }, { additionalProperties: false }),
        response: {
          201: Type.Intersect([
            ApiKey,
            Type.Object({ apiKey: Type.String({ description: 'Shown once' }) }),
          ]),
          ...ERROR_RESPONSES,
        },
      },
    },
    async (req, reply) => {
      const key = await workspaceRepository.createKey(
        req.params.workspaceId,
        req.body.name?.trim() ?? 'api key',
      );
      req.auditNote = { resourceId: key.id, details: { name: key.name } };
      const { token, ...view } = key;
      return reply.code(201).send({ ...view, apiKey: token, ...dates(view) });
    },
  );

  app.get(
    '/workspaces/:workspaceId/api-keys',
    {
      schema: {
        operationId: 'listApiKeys',
        tags: ['workspaces'],
        params: WorkspaceParams,
        response: { 200: Type.Object({ data: Type.Array(ApiKey) }), ...ERROR_RESPONSES },
      },
    },
    async (req) => ({
      data: (await workspaceRepository.listKeys(req.params.workspaceId)).map((k) => ({
        ...k,
        ...dates(k),
      })),
    }),
  );

  app.delete(
    '/workspaces/:workspaceId/api-keys/:keyId',
    {
      config: { resource: 'api_key' },
      schema: {
        operationId: 'revokeApiKey',
        tags: ['workspaces'],
        summary: 'Revoke an API key (idempotent); requests with it answer 401 from then on',
        params: Type.Object({ workspaceId: Uuid, keyId: Uuid }, { additionalProperties: false }),
        response: { ...NoContent, ...ERROR_RESPONSES },
      },
    },
    async (req, reply) => {
      await workspaceRepository.revokeKey(req.params.workspaceId, req.params.keyId);
      req.auditNote = { resourceId: req.params.keyId };
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/workspaces/:workspaceId/audit-log',
    {
      schema: {
        operationId: 'listAuditLog',
        tags: ['workspaces'],
        summary: 'Mutating API calls on the workspace, newest first',
        params: WorkspaceParams,
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: page(AuditRecord), ...ERROR_RESPONSES },
      },
    },
    async (req) => {
      const limit = pageSize(req.query.limit, maxPageSize);
      const position = req.query.cursor ? decodeCursor('audit', req.query.cursor, 1) : undefined;
      const beforeId = position ? parseBigInt(position[0]) : undefined;
      const rows = await auditRepository.list(req.params.workspaceId, {
        ...(beforeId !== undefined && { beforeId }),
        limit: limit + 1,
      });
      return toPage(
        rows,
        limit,
        (r) => encodeCursor('audit', [r.id]),
        (r) => ({ ...r, createdAt: r.createdAt.toISOString() }),
      );
    },
  );
};

function dates(k: { createdAt: Date; lastUsedAt: Date | null; revokedAt: Date | null }) {
  return {
    createdAt: k.createdAt.toISOString(),
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
  };
}

function parseBigInt(v: string | number | undefined): bigint {
  if (typeof v === 'string' && /^\d{1,18}$/.test(v)) return BigInt(v);
  throw new ValidationError('Invalid cursor', [
    { path: 'querystring/cursor', message: 'is not a cursor issued by this endpoint' },
  ]);
}
