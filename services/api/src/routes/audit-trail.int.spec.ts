import type { ApiHarness } from '../testing/api-harness.js';
import {
  API_KEY,
  WHSEC,
  createConnection,
  startWithWorkspace,
  type TestWorkspace,
} from '../testing/management-api.js';

// Every mutating call leaves an audit row; neither audit rows nor log lines ever hold a secret.

const ROTATED_KEY = 'sk_test_51RotatedSecretKey0002';
const ROTATED_WHSEC = 'whsec_mgmtApiSigningSecret0002';

let h: ApiHarness;
let ws: TestWorkspace;
let base: string;
let c: { id: string };

beforeAll(async () => {
  ({ h, ws, base } = await startWithWorkspace('acme'));
  // Mutations carrying every kind of secret: a connection created with a key and a webhook
  // secret, its key changed, another connection's webhook secret rotated, and a rejected create.
  c = await createConnection(h, ws);
  await h.call(ws.apiKey, {
    method: 'PUT',
    url: `${base}/sync/config/${c.id}`,
    payload: { apiKey: ROTATED_KEY },
  });
  const rotated = await createConnection(h, ws);
  await h.call(ws.apiKey, {
    method: 'PUT',
    url: `${base}/sync/config/${rotated.id}`,
    payload: { addWebhookSecret: ROTATED_WHSEC },
  });
  await h.call(ws.apiKey, {
    method: 'POST',
    url: `${base}/sync/config`,
    payload: { provider: 'stripe', apiKey: 'sk_test_x' },
  });
}, 60_000);
afterAll(async () => h?.close());

const auditRows = () =>
  h.prisma.auditLog.findMany({ where: { workspaceId: ws.id }, orderBy: { id: 'asc' } });

describe('audit trail', () => {
  it('records a create with its actor, action, resource type and status', async () => {
    const create = (await auditRows()).find(
      (r) =>
        r.resourceId === c.id && r.action === 'POST /api/v1/workspaces/:workspaceId/sync/config',
    );
    expect(create).toMatchObject({
      actor: `api_key:${ws.apiKeyId}`,
      resourceType: 'connection',
      statusCode: 201,
    });
  });

  it('records which fields an update changed', async () => {
    const update = (await auditRows()).find(
      (r) => r.resourceId === c.id && r.action.startsWith('PUT '),
    );
    expect(update).toMatchObject({ statusCode: 200, details: { fields: ['apiKey'] } });
  });

  it('records the admin creating the workspace', async () => {
    const workspaceCreate = (await auditRows()).find((r) => r.action === 'POST /api/v1/workspaces');
    expect(workspaceCreate).toMatchObject({ actor: 'admin', resourceId: ws.id, statusCode: 201 });
  });

  it('records rejected mutations too', async () => {
    const rejected = await h.prisma.auditLog.findFirst({
      where: { workspaceId: ws.id, statusCode: 400 },
    });
    expect(rejected).not.toBeNull();
  });

  it('never stores a secret', async () => {
    const all = JSON.stringify(await h.prisma.auditLog.findMany(), (_k, v: unknown) =>
      typeof v === 'bigint' ? v.toString() : v,
    );
    expect(all).not.toMatch(/sk_test_|whsec_|psk_/);
  });

  it('is listed through the API, a page at a time', async () => {
    const viaApi = await h.call(ws.apiKey, { method: 'GET', url: `${base}/audit-log?limit=5` });
    expect(viaApi.statusCode).toBe(200);
    expect(viaApi.json<{ data: unknown[]; nextCursor: string }>().data).toHaveLength(5);
  });
});

describe('logs', () => {
  it('no secret appears in any log line', () => {
    const secrets = [API_KEY, WHSEC, ROTATED_KEY, ROTATED_WHSEC, ws.apiKey, h.env.ADMIN_API_TOKEN!];
    expect(h.logs.length).toBeGreaterThan(20);
    for (const line of h.logs) {
      for (const secret of secrets) expect(line).not.toContain(secret);
    }
  });

  it('the authorization header never reaches the log, even at debug level', () => {
    expect(h.logs.some((l) => l.includes('"authorization"'))).toBe(false);
  });
});
