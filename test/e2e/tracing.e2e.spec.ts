import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';

import { TOPICS } from '@paysync/contracts';
import { KeyRing } from '@paysync/crypto';
import { ConnectionRepository, createPrismaClient, type Db } from '@paysync/db';
import { topicName } from '@paysync/kafka';
import { aStripeEvent, stripeFixture } from '@paysync/providers/testing';
import { StripeSimulator } from '@paysync/simulator';
import { eventually, stackEnv, uniqueId } from '@paysync/testkit';

import { cloneTemplateDatabase } from '../support/observability.js';
import { freePort, repoRoot, type ServiceName } from '../support/processes.js';
import { postSignedWebhook } from '../support/webhooks.js';

// One webhook through real ingress and processor processes, each with the OpenTelemetry SDK loaded
// by its instrumentation.ts and exporting OTLP/HTTP (JSON) to a receiver in this test. The spans
// form one trace: ingress request → produce → consume → apply → commit, with the messaging
// attributes, and the PostgreSQL queries under the apply.

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: { key: string; value: OtlpValue }[];
  links?: { traceId: string; spanId: string }[];
}
interface Span extends Omit<OtlpSpan, 'attributes'> {
  service: string;
  attributes: Record<string, string | number | boolean | undefined>;
}
const KIND = { server: 2, client: 3, producer: 4, consumer: 5 } as const;

const spans: Span[] = [];
let receiver: Server;
let receiverUrl: string;
let db: Awaited<ReturnType<typeof cloneTemplateDatabase>>;
let prisma: Db;
let sim: StripeSimulator;
const procs: {
  name: ServiceName;
  kill: () => void;
  exited: Promise<unknown>;
  output: () => string;
}[] = [];
let ingressUrl: string;
let connectionId: string;
let webhookSecret: string;
let topicPrefix: string;

const value = (v: OtlpValue) =>
  v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.boolValue ?? v.doubleValue));

function startReceiver(): Promise<void> {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          resourceSpans: {
            resource: { attributes: { key: string; value: OtlpValue }[] };
            scopeSpans: { spans: OtlpSpan[] }[];
          }[];
        };
        for (const rs of body.resourceSpans) {
          const service = String(
            value(rs.resource.attributes.find((a) => a.key === 'service.name')?.value ?? {}),
          );
          for (const ss of rs.scopeSpans) {
            for (const s of ss.spans) {
              spans.push({
                ...s,
                service,
                attributes: Object.fromEntries(
                  (s.attributes ?? []).map((a) => [a.key, value(a.value)]),
                ),
              });
            }
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) =>
    receiver.listen(0, '127.0.0.1', () => {
      const address = receiver.address();
      receiverUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      resolve();
    }),
  );
}

function startTraced(name: ServiceName, env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--conditions=@paysync/source',
      '--import',
      join(repoRoot, 'services', name, 'src/instrumentation.ts'),
      join(repoRoot, 'services', name, 'src/main.ts'),
    ],
    {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  procs.push({ name, kill: () => child.kill('SIGTERM'), exited, output: () => out });
}

beforeAll(async () => {
  await startReceiver();
  db = await cloneTemplateDatabase();
  prisma = createPrismaClient({ url: db.url, poolMax: 2, statementTimeoutMs: 30_000 });
  sim = new StripeSimulator({ seed: { customers: 3, products: 1, prices: 1 } });
  const simUrl = await sim.start();
  const encryptionKeys = `t1:${KeyRing.generateKey()}`;
  const workspaceId = (await prisma.workspace.create({ data: { name: 'tracing' } })).id;
  webhookSecret = `whsec_${uniqueId('t')}`;
  const connection = await new ConnectionRepository({
    prisma,
    keyRing: KeyRing.fromString(encryptionKeys),
  }).create({
    workspaceId,
    provider: 'stripe',
    mode: 'test',
    apiKey: 'sk_test_tracing_0001',
    webhookSecrets: [webhookSecret],
    settings: { apiBaseUrl: simUrl },
  });
  connectionId = connection.id;
  topicPrefix = uniqueId('trace-');
  const ingressPort = await freePort();
  const env = {
    DATABASE_URL: db.appUrl,
    KAFKA_BROKERS: stackEnv().kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: topicPrefix,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ENCRYPTION_KEYS: encryptionKeys,
    PROCESSOR_GROUP_ID: uniqueId('processor-'),
    // Short retry tiers, so a poison event reaches the DLQ within the test.
    PROCESSOR_RETRY_DELAYS_MS: '100,200',
    // Only the standard OTEL_* variables configure tracing.
    OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '100',
  };
  startTraced('ingress', { ...env, PORT: String(ingressPort) });
  ingressUrl = `http://127.0.0.1:${ingressPort}`;
  await eventually(async () => (await fetch(`${ingressUrl}/ready`)).status === 200, {
    timeoutMs: 90_000,
    intervalMs: 250,
    what: 'ingress ready',
  });
  const processorPort = await freePort();
  startTraced('processor', { ...env, PORT: String(processorPort) });
  await eventually(
    async () => (await fetch(`http://127.0.0.1:${processorPort}/ready`)).status === 200,
    { timeoutMs: 90_000, intervalMs: 250, what: 'processor ready' },
  );
}, 180_000);

afterAll(async () => {
  for (const p of procs) p.kill();
  await Promise.all(procs.map((p) => p.exited));
  await sim?.stop();
  await prisma?.$disconnect();
  await db?.drop();
  await new Promise((resolve) => receiver?.close(resolve));
}, 60_000);

/** A signed `customer.updated` webhook (event `eventId`) of the simulator's account, to ingress. */
function postCustomerUpdate(customer: Record<string, unknown>, eventId: string): Promise<number> {
  const event = {
    ...aStripeEvent('customer.updated', stripeFixture('customer', customer), {
      id: eventId,
      created: Math.floor(Date.now() / 1000),
    }),
    account: sim.accountId,
  };
  return postSignedWebhook(
    `${ingressUrl}/webhooks/stripe/${connectionId}`,
    JSON.stringify(event),
    webhookSecret,
  );
}

it('one webhook gives one trace: ingress request → produce → consume → apply → commit', async () => {
  expect(
    await postCustomerUpdate({ id: 'cus_sim0000000001', name: 'Traced' }, `evt_${uniqueId('tr')}`),
  ).toBe(200);
  const topic = topicName(TOPICS.webhookReceived, topicPrefix);

  const byName = (service: string, name: string) =>
    spans.find((s) => s.service === service && s.name === name);
  const server = await eventually(
    () => byName('ingress', 'POST /webhooks/:provider/:connectionId'),
    { timeoutMs: 30_000, what: 'the ingress server span' },
  );
  const inTrace = () => spans.filter((s) => s.traceId === server.traceId);
  const commit = await eventually(
    () => inTrace().find((s) => s.service === 'processor' && s.name === `commit ${topic}`),
    { timeoutMs: 60_000, what: `the processor's commit span in the webhook's trace` },
  ).catch((err: unknown) => {
    throw new Error(
      `${(err as Error).message}; spans: ${JSON.stringify(spans.map((s) => [s.service, s.name, s.traceId]))}\n${procs.map((p) => p.output().slice(-1500)).join('\n')}`,
    );
  });
  const trace = inTrace();
  const parentOf = (s: Span) => trace.find((p) => p.spanId === s.parentSpanId);
  const ancestors = (s: Span): Span[] => {
    const p = parentOf(s);
    return p ? [p, ...ancestors(p)] : [];
  };

  // ingress: the server span, named after the route, is the root.
  expect(server.parentSpanId || undefined).toBeUndefined();
  expect(server).toMatchObject({
    kind: KIND.server,
    attributes: expect.objectContaining({ 'http.route': '/webhooks/:provider/:connectionId' }),
  });
  // produce: a producer span under the request, on the webhook topic, keyed by the object.
  const send = trace.find((s) => s.name === `send ${topic}`);
  expect(send).toMatchObject({
    service: 'ingress',
    kind: KIND.producer,
    attributes: expect.objectContaining({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'send',
      'messaging.destination.name': topic,
    }),
  });
  expect(ancestors(send as Span)).toContain(server);
  // consume: the processor's consumer span is the child of the producer span (W3C context in the
  // message headers), on the same topic, with partition, offset and key.
  const consume = trace.find((s) => s.name === `process ${topic}`);
  expect(consume).toMatchObject({
    service: 'processor',
    kind: KIND.consumer,
    parentSpanId: send?.spanId,
    attributes: expect.objectContaining({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.destination.name': topic,
      'messaging.destination.partition.id': expect.any(String),
      'messaging.kafka.offset': expect.any(Number),
      'messaging.batch.message_count': 1,
    }),
  });
  // apply: the batch apply under the consumer span, its PostgreSQL queries under it.
  const apply = trace.find((s) => s.name === 'processor.apply_batch');
  expect(apply).toMatchObject({ service: 'processor', parentSpanId: consume?.spanId });
  expect(
    trace.some(
      (s) =>
        s.service === 'processor' &&
        s.name.startsWith('pg.query') &&
        ancestors(s).includes(apply as Span),
    ),
  ).toBe(true);
  // commit: after the apply, under the consumer span.
  expect(commit).toMatchObject({
    parentSpanId: consume?.spanId,
    attributes: expect.objectContaining({ 'messaging.operation.type': 'settle' }),
  });
  // The SDK stamps a span's start with Date.now() (millisecond resolution) and its end with the
  // performance clock anchored to it, so "starts after the apply ended" holds to within 1 ms.
  expect(BigInt(commit.startTimeUnixNano) + 1_000_000n).toBeGreaterThanOrEqual(
    BigInt(apply?.endTimeUnixNano ?? '0'),
  );

  // The trace of one webhook, for the record (span, service, start offset and duration in ms).
  const t0 = BigInt(server.startTimeUnixNano);
  const ms = (a: bigint) => Number(a / 1000n) / 1000;
  const timeline = [...trace]
    .sort((a, b) => (BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : 1))
    .map(
      (s) =>
        `${s.service.padEnd(10)} ${s.name.padEnd(48)} +${ms(BigInt(s.startTimeUnixNano) - t0)
          .toFixed(1)
          .padStart(7)} ms  ${ms(BigInt(s.endTimeUnixNano) - BigInt(s.startTimeUnixNano))
          .toFixed(1)
          .padStart(7)} ms`,
    );
  process.stdout.write(`\n[trace] one webhook:\n${timeline.join('\n')}\n`);
}, 120_000);

it('webhooks of several partitions applied in one transaction: the apply span is the child of one consumer span and links the others', async () => {
  const topic = topicName(TOPICS.webhookReceived, topicPrefix);
  const run = uniqueId('mg');
  const statuses = await Promise.all(
    Array.from({ length: 24 }, (_, i) =>
      postCustomerUpdate({ id: `cus_${run}_${i}`, name: `Merged ${i}` }, `evt_${run}_${i}`),
    ),
  );
  expect(statuses.every((s) => s === 200)).toBe(true);
  // A batch's consumer span continues the trace of its first message: the traces of this run are
  // those of its 24 producer spans (each keyed by its object).
  const runTraces = () =>
    new Set(
      spans
        .filter(
          (s) =>
            s.name === `send ${topic}` &&
            String(s.attributes['messaging.kafka.message.key'] ?? '').includes(`cus_${run}_`),
        )
        .map((s) => s.traceId),
    );
  const consumers = () => {
    const traces = runTraces();
    return spans.filter(
      (s) => s.service === 'processor' && s.name === `process ${topic}` && traces.has(s.traceId),
    );
  };
  const applies = () => spans.filter((s) => s.name === 'processor.apply_batch');
  const covered = (c: Span) =>
    applies().some(
      (a) =>
        (a.traceId === c.traceId && a.parentSpanId === c.spanId) ||
        (a.links ?? []).some((l) => l.traceId === c.traceId && l.spanId === c.spanId),
    );
  const batches = await eventually(
    () => {
      const found = consumers();
      const events = found.reduce(
        (n, c) => n + Number(c.attributes['messaging.batch.message_count'] ?? 0),
        0,
      );
      return events >= 24 && found.every(covered) ? found : undefined;
    },
    {
      timeoutMs: 60_000,
      what: 'every consumer span of the 24 webhooks under or linked from an apply span',
    },
  ).catch((err: unknown) => {
    throw new Error(
      `${(err as Error).message}; consumers: ${JSON.stringify(consumers().map((c) => [c.spanId, c.attributes['messaging.destination.partition.id'], covered(c)]))}`,
    );
  });
  // The 24 objects' keys spread over the six partitions, fetched together: at least one apply
  // covered several partitions' batches, as its child's parent and through links.
  expect(
    new Set(batches.map((c) => c.attributes['messaging.destination.partition.id'])).size,
  ).toBeGreaterThan(1);
  expect(
    applies().some((a) => (a.links ?? []).some((l) => batches.some((c) => c.spanId === l.spanId))),
  ).toBe(true);
}, 120_000);

it('a poison event: its retry-tier hops link to the original webhook trace, and it reaches the DLQ', async () => {
  // PostgreSQL refuses a currency too long for char(3): the apply fails, both retry tiers, then
  // the DLQ. (NUL in text is no poison: the write path stores it without the NUL.)
  const objectId = `cus_${uniqueId('poison')}`;
  expect(
    await postCustomerUpdate({ id: objectId, currency: 'not-a-currency' }, `evt_${uniqueId('tp')}`),
  ).toBe(200);
  const topic = (spec: { name: string }) => topicName(spec, topicPrefix);
  const ofPoison = (s: Span) =>
    String(s.attributes['messaging.kafka.message.key'] ?? '').endsWith(`:${objectId}`);
  const find = (service: string, name: string) =>
    spans.find((s) => s.service === service && s.name === name && ofPoison(s));
  const dump = () =>
    JSON.stringify(
      spans
        .filter((s) => ofPoison(s))
        .map((s) => [s.service, s.name, s.traceId, s.parentSpanId, s.links]),
    );

  // The original webhook's trace: ingress produced the event in it.
  const send = await eventually(() => find('ingress', `send ${topic(TOPICS.webhookReceived)}`), {
    timeoutMs: 30_000,
    what: 'the ingress producer span of the poison event',
  });
  const origin = send.traceId;
  const dlqSend = await eventually(
    () => find('processor', `send ${topic(TOPICS.webhookDeadLetter)}`),
    {
      timeoutMs: 60_000,
      what: 'the DLQ producer span of the poison event',
    },
  ).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}; poison spans: ${dump()}`);
  });

  // Each retry-tier consumer span carries a link to the original webhook's trace.
  for (const tier of [TOPICS.webhookRetryShort, TOPICS.webhookRetryLong]) {
    const hop = find('processor', `process ${topic(tier)}`);
    if (!hop) throw new Error(`no consumer span on ${topic(tier)}; poison spans: ${dump()}`);
    expect(hop).toMatchObject({
      kind: KIND.consumer,
      links: expect.arrayContaining([expect.objectContaining({ traceId: origin })]),
    });
  }
  // The DLQ hop is produced from the long tier's consumer span.
  const longHop = find('processor', `process ${topic(TOPICS.webhookRetryLong)}`);
  expect(dlqSend).toMatchObject({ kind: KIND.producer, traceId: longHop?.traceId });
}, 120_000);
