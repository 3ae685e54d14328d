import { Type, type Static, type TSchema } from '@sinclair/typebox';

import { ENTITY_TYPES, PROVIDERS } from '@paysync/contracts';

/** A value that may be null (OpenAPI 3.0 `nullable`, understood by Ajv and fast-json-stringify). */
export const Nullable = <T extends TSchema>(schema: T) =>
  Type.Unsafe<Static<T> | null>({ ...schema, nullable: true });

export const Uuid = Type.String({ format: 'uuid' });
export const DateTime = Type.String({ format: 'date-time' });
export const Provider = Type.Union(
  PROVIDERS.map((p) => Type.Literal(p)),
  { description: 'Payment provider' },
);
export const EntityTypeSchema = Type.Union(ENTITY_TYPES.map((t) => Type.Literal(t)));
export const Mode = Type.Union([Type.Literal('test'), Type.Literal('live')]);

/** RFC 9457 problem details as every error leaves (see libs/errors). */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    code: Type.String({ description: 'Stable error code (libs/errors/README.md)' }),
    requestId: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { $id: 'Problem', title: 'Problem' },
);

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: Type.Ref(ProblemSchema) } },
});

/** Error responses every authenticated route may give; routes add their own on top. */
export const ERROR_RESPONSES = {
  400: problem('The request does not match its schema (`errors` lists the fields)'),
  401: problem('Missing or invalid bearer credential'),
  403: problem('The credential may not perform this action'),
  404: problem('Not found, or not visible to this credential'),
  429: problem(
    'Rate limit of this credential, or of failed authentications from this client address, exceeded (see `retry-after`)',
  ),
  500: problem('Unexpected error (details only in the server log)'),
  503: problem('A dependency is unavailable; retry later'),
} as const;

export const CONFLICT_RESPONSE = { 409: problem('Conflicts with the current state') } as const;
export const PROVIDER_RESPONSE = { 502: problem('The payment provider answered with an error') };

export const WorkspaceParams = Type.Object({ workspaceId: Uuid }, { additionalProperties: false });

export const PageQuery = {
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 1000, default: 50, description: 'Page size (capped)' }),
  ),
  cursor: Type.Optional(
    Type.String({ minLength: 1, maxLength: 512, description: 'From the previous page' }),
  ),
};

export const page = <T extends TSchema>(item: T) =>
  Type.Object({
    data: Type.Array(item),
    nextCursor: Nullable(Type.String({ description: 'Pass as `cursor` for the next page' })),
  });

export const NoContent = { 204: Type.Null({ description: 'Done' }) };
