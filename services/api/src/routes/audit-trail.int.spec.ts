import { API_KEY, WHSEC, createConnection, workspaceHarness } from '../testing/management-api.js';

// Every mutating call leaves an audit row; neither audit rows nor log lines ever hold a secret.

const ROTATED_KEY = 'sk_test_51RotatedSecretKey0002';
const ROTATED_WHSEC = 'whsec_mgmtApiSigningSecret0002';

const t = workspaceHarness('acme');
let c: { id: string };

beforeAll(async () => {
  // Mutations carrying every kind of secret: a connection created with a key and a webhook
  // secret, its key changed, another connection's webhook secret rotated, and a rejected create.
  c = await createConnection(t.h, t.ws);
  await t.h.call(t.ws.apiKey, {
    method: 'PUT',
    url: `${t.base}/sync/config/${c.id}`,
    payload: { apiKey: ROTATED_KEY },
  });
  const rotated = await createConnection(t.h, t.ws);
  await t.h.call(t.ws.apiKey, {
    method: 'PUT',
    url: `${t.base}/sync/config/${rotated.id}`,
    payload: { addWebhookSecret: ROTATED_WHSEC },
  });
  await t.h.call(t.ws.apiKey, {
    method: 'POST',
    url: `${t.base}/sync/config`,
    payload: { provider: 'stripe', apiKey: 'sk_test_x' },
  });
});

const auditRows = () =>
  t.h.prisma.auditLog.findMany({ where: { workspaceId: t.ws.id }, orderBy: { id: 'asc' } });

describe('audit trail', () => {
  it('records a create with its actor, action, resource type and status', async () => {
    const create = (await auditRows()).find(
      (r) =>
        r.resourceId === c.id && r.action === 'POST /api/v1/workspaces/:workspaceId/sync/config',
    );
    expect(create).toMatchObject({
      actor: `api_key:${t.ws.apiKeyId}`,
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
    expect(workspaceCreate).toMatchObject({ actor: 'admin', resourceId: t.ws.id, statusCode: 201 });
  });

  it('records rejected mutations too', async () => {
    const rejected = await t.h.prisma.auditLog.findFirst({
      where: { workspaceId: t.ws.id, statusCode: 400 },
    });
    expect(rejected).not.toBeNull();
  });

  it('never stores a secret', async () => {
    const all = JSON.stringify(await t.h.prisma.auditLog.findMany(), (_k, v: unknown) =>
      typeof v === 'bigint' ? v.toString() : v,
    );
    expect(all).not.toMatch(/sk_test_|whsec_|psk_/);
  });

  it('is listed through the API, a page at a time', async () => {
    const viaApi = await t.h.call(t.ws.apiKey, {
      method: 'GET',
      url: `${t.base}/audit-log?limit=5`,
    });
    expect(viaApi.statusCode).toBe(200);
    expect(viaApi.json<{ data: unknown[]; nextCursor: string }>().data).toHaveLength(5);
  });
});

describe('logs', () => {
  it('no secret appears in any log line', () => {
    const secrets = [
      API_KEY,
      WHSEC,
      ROTATED_KEY,
      ROTATED_WHSEC,
      t.ws.apiKey,
      t.h.env.ADMIN_API_TOKEN!,
    ];
    expect(t.h.logs.length).toBeGreaterThan(20);
    for (const line of t.h.logs) {
      for (const secret of secrets) expect(line).not.toContain(secret);
    }
  });

  it('the authorization header never reaches the log, even at debug level', () => {
    expect(t.h.logs.some((l) => l.includes('"authorization"'))).toBe(false);
  });
});
