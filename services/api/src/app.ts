import fastifySwagger from '@fastify/swagger';
import { Ajv } from 'ajv';
import ajvFormats from 'ajv-formats';
import type { OpenAPIV3 } from 'openapi-types';

import type { Logger } from '@paysync/observability';
import { buildServiceApp, type DependencyOverrides, type ServiceApp } from '@paysync/runtime';

import { registerDependencies, type ApiCradle } from './container.js';
import { renderDocsPage } from './http/docs-page.js';
import { ProblemSchema } from './http/schemas.js';
import { managementApi } from './routes/api.plugin.js';

import type { Config } from './config.js';

const API_PREFIX = '/api/v1';

/** Builds the api service without listening (tests call this too, STYLE R10). */
export async function buildApp(
  config: Config,
  overrides?: DependencyOverrides<ApiCradle>,
  logger?: Logger,
): Promise<ServiceApp<ApiCradle>> {
  const app = await buildServiceApp({
    name: 'api',
    config,
    registerDependencies,
    overrides,
    logger,
    // The failed-authentication limit counts per client address: behind a load balancer it must
    // see the caller, not the balancer (issue 15 items 2 and 3).
    trustProxy: config.api.trustProxy,
  });
  // Query strings and path params arrive as text and are coerced ("5" → 5); JSON bodies are not
  // ({"name": false} is a 400, not "false"). Unknown fields are a 400, not silently dropped, and
  // every field error is reported.
  const coercing = createAjv('array');
  const strict = createAjv(false);
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema),
  );

  app.addSchema(ProblemSchema);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'paysync management API',
        version: '1.0.0',
        description:
          'Workspaces and API keys, encrypted provider connections, sync control, the event log ' +
          'and read access to synced payment data. Errors are application/problem+json with a ' +
          'stable `code`.',
      },
      servers: [{ url: '/' }],
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'The admin token (ADMIN_API_TOKEN) or a workspace API key (psk_…)',
          },
        },
      },
      security: [{ bearer: [] }],
    },
    // A body whose schema requires nothing may be left out (the API treats it as `{}`).
    transformObject: (documentObject) => {
      const openapiObject = (documentObject as { openapiObject: OpenAPIV3.Document }).openapiObject;
      for (const item of Object.values(openapiObject.paths ?? {})) {
        for (const op of Object.values(item ?? {}) as {
          requestBody?: OpenAPIV3.RequestBodyObject;
        }[]) {
          const schema = op.requestBody?.content['application/json']?.schema as
            OpenAPIV3.SchemaObject | undefined;
          if (op.requestBody && schema && !schema.required?.length) op.requestBody.required = false;
        }
      }
      return openapiObject;
    },
    refResolver: {
      buildLocalReference: (json, _base, _frag, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
  });

  await app.register(
    async (v1) => {
      v1.get('/openapi.json', { schema: { hide: true } }, async () => v1.swagger());
      if (config.api.docsEnabled) {
        let page: string | undefined;
        v1.get('/docs', { schema: { hide: true } }, async (_req, reply) => {
          page ??= renderDocsPage(v1.swagger() as OpenAPIV3.Document);
          return reply.type('text/html; charset=utf-8').send(page);
        });
      }
      await v1.register(managementApi, { config });
    },
    { prefix: API_PREFIX },
  );
  return app;
}

function createAjv(coerceTypes: false | 'array'): Ajv {
  const ajv = new Ajv({
    coerceTypes,
    useDefaults: true,
    removeAdditional: false,
    allErrors: true,
    strict: false,
  });
  // CommonJS module: its callable is the module itself and also its `default`.
  ajvFormats.default(ajv);
  return ajv;
}
