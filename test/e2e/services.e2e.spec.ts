import { stackEnv, uniqueId, eventually } from '@paysync/testkit';

import { SERVICES, freePort, startServiceProcess, type ServiceName } from '../support/processes.js';

// The services' login role (under row-level security), as in production.
const { appDatabaseUrl: databaseUrl, kafkaBrokers } = stackEnv();

function baseEnv(port: number): NodeJS.ProcessEnv {
  return {
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: uniqueId('svc-'),
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'info',
    ENCRYPTION_KEYS: `t1:${Buffer.alloc(32, 7).toString('base64')}`,
    ADMIN_API_TOKEN: 'e2e-admin-token-0123456789abcdef0123456789',
  };
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

describe.each(SERVICES.map((s) => [s]))('%s as a process', (service: ServiceName) => {
  it('reports ready with PostgreSQL and Kafka up, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const proc = startServiceProcess(service, baseEnv(port));
    try {
      const ready = await eventually(
        async () => {
          const r = await getJson(`http://127.0.0.1:${port}/ready`);
          return r.status === 200 ? r : undefined;
        },
        { timeoutMs: 30_000, what: `${service} /ready`, intervalMs: 200 },
      );
      expect(ready.body).toEqual({
        status: 'ok',
        checks: { postgres: { status: 'ok' }, kafka: { status: 'ok' } },
      });
      expect((await fetch(`http://127.0.0.1:${port}/live`)).status).toBe(200);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain(`service="${service}"`);
    } finally {
      proc.child.kill('SIGTERM');
    }
    expect(await proc.exited).toBe(0);
    expect(proc.output()).toContain('"msg":"Stopped"');
  });

  // DESIGN §8: the ingress stays ready through a Kafka outage (webhooks go to the PostgreSQL
  // outbox), so the outage never empties its Service; every other service needs Kafka to work.
  const kafkaRequired = service !== 'ingress';
  it(`reports ${kafkaRequired ? 'not ready (503)' : 'ready but degraded (200)'} while Kafka is unreachable`, async () => {
    const port = await freePort();
    const proc = startServiceProcess(service, { ...baseEnv(port), KAFKA_BROKERS: '127.0.0.1:1' });
    try {
      const res = await eventually(
        async () => {
          const r = await getJson(`http://127.0.0.1:${port}/ready`);
          const kafka = (r.body as { checks?: { kafka?: { status?: string } } }).checks?.kafka;
          return kafka?.status === 'failed' ? r : undefined;
        },
        { timeoutMs: 30_000, what: `${service} /ready reporting Kafka failed`, intervalMs: 200 },
      );
      expect(res.status).toBe(kafkaRequired ? 503 : 200);
      expect(res.body).toMatchObject({
        status: kafkaRequired ? 'unavailable' : 'degraded',
        checks: { postgres: { status: 'ok' }, kafka: { status: 'failed' } },
      });
    } finally {
      proc.child.kill('SIGTERM');
    }
    expect(await proc.exited).toBe(0);
  });

  it('refuses to start with a bad DATABASE_URL and no KAFKA_BROKERS, naming both', async () => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...baseEnv(port), DATABASE_URL: 'not a url' };
    delete env.KAFKA_BROKERS;
    const proc = startServiceProcess(service, env);
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toContain('DATABASE_URL');
    expect(proc.output()).toContain('KAFKA_BROKERS: is required');
  });
});
