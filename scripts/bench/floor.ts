// Scenario `floor`: how close the ingress is to the least an HTTP → Kafka (acks=all) hand-off
// costs on this machine. Four servers, each a process of its own, take the same pre-signed load
// at c1 and c64 (`--count` events at c64, a quarter at c1, after 2,000 to warm up); none runs a
// processor:
//   http            node:http, reads the body, answers 200 (no Kafka: the HTTP part alone)
//   http+kafkajs    the same, plus an idempotent acks=all kafkajs send of the body, concurrent
//                   requests sharing produce requests as ours do (nothing else: no signature,
//                   lookup, envelope, metrics)
//   fastify+kafkajs the same behind Fastify (raw-body parser, one route, no plugins)
//   paysync ingress the real ingress (signature, connection, limits, envelope, metrics, outbox
//                   fallback, request ids, logging at warn)
// Reported: accepted/s, ack p50/p99, CPU ms per event of the server process (from /proc). Issue 18
// uses it to say which part of the c1 latency and the c64 CPU is ours.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { join } from 'node:path';

// eslint-disable-next-line no-restricted-imports -- the floor is kafkajs itself, without libs/kafka
import { Kafka, logLevel, type Producer } from 'kafkajs';

import { runLoad } from '@paysync/simulator';
import { freePort } from '@paysync/testkit';

import { CpuMeter } from './proc.js';
import { benchConnection, benchServiceEnv, freshDatabase, waitReady } from './support.js';

import type { BenchContext, ScenarioResult } from './types.js';

const root = join(import.meta.dirname, '../..');
const VARIANTS = ['http', 'http+kafkajs', 'fastify+kafkajs'] as const;
type Variant = (typeof VARIANTS)[number];
const TYPES = ['customer.created', 'customer.updated'];

// ------------------------------------------------------------------ the bare servers (child role)

async function serve(variant: Variant, brokers: string, topic: string): Promise<void> {
  let producer: Producer | undefined;
  if (variant !== 'http') {
    const kafka = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 6 }] });
    await admin.disconnect();
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  }
  // While one produce request is in flight, new messages queue and leave together (as ours).
  let pending: { value: Buffer; done: () => void }[] = [];
  let flushing = false;
  const flush = async (p: Producer) => {
    flushing = true;
    while (pending.length > 0) {
      const batch = pending;
      pending = [];
      await p.send({ topic, acks: -1, messages: batch.map((b) => ({ key: 'k', value: b.value })) });
      for (const b of batch) b.done();
    }
    flushing = false;
  };
  const handOff = (value: Buffer) =>
    producer
      ? new Promise<void>((done) => {
          pending.push({ value, done });
          if (!flushing) void flush(producer);
        })
      : Promise.resolve();
  const answer = JSON.stringify({ received: true });
  let port: number;
  if (variant === 'fastify+kafkajs') {
    const { default: Fastify } = await import('fastify');
    const app = Fastify({ logger: false });
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    app.post('/', async (req) => {
      await handOff(req.body as Buffer);
      return { received: true };
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
  } else {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void handOff(Buffer.concat(chunks)).then(() => {
          res.writeHead(200, {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(answer),
          });
          res.end(answer);
        });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  }
  process.stdout.write(`${JSON.stringify({ port })}\n`);
}

if (process.env.PAYSYNC_FLOOR_SERVE) {
  const [variant, brokers, topic] = process.env.PAYSYNC_FLOOR_SERVE.split('|') as [
    Variant,
    string,
    string,
  ];
  await serve(variant, brokers, topic);
}

// ------------------------------------------------------------------ the scenario

function startBare(
  variant: Variant,
  ctx: BenchContext,
  topic: string,
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@paysync/source', join(import.meta.dirname, 'floor.ts')],
    {
      env: {
        ...process.env,
        PAYSYNC_FLOOR_SERVE: `${variant}|${ctx.kafkaBrokers[0] ?? ''}|${topic}`,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`floor server ${variant} exited ${code}`)));
    child.stdout?.once('data', (line: Buffer) =>
      resolve({ child, port: (JSON.parse(line.toString()) as { port: number }).port }),
    );
  });
}

/** [c1 accepted/s, p50, p99, CPU ms/event, c64 accepted/s, p50, p99, CPU ms/event]. */
async function measure(
  url: string,
  secret: string,
  pid: number | undefined,
  count: number,
): Promise<number[]> {
  await runLoad({
    url,
    secret,
    count: 2000,
    concurrency: 8,
    runId: `fw${Date.now().toString(36)}`,
    types: TYPES,
  });
  const row: number[] = [];
  for (const [concurrency, n] of [
    [1, Math.ceil(count / 4)],
    [64, count],
  ] as const) {
    const meter = new CpuMeter({ server: { pid } });
    meter.start();
    const report = await runLoad({
      url,
      secret,
      count: n,
      concurrency,
      runId: `f${concurrency}${Date.now().toString(36)}`,
      types: TYPES,
    });
    const cpu = meter.stop().server ?? 0;
    if (report.accepted !== n) throw new Error(`${report.accepted} of ${n} accepted`);
    row.push(
      report.acceptedPerSecond,
      report.latencyMs.p50,
      report.latencyMs.p99,
      (cpu * 1000) / n,
    );
  }
  return row;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.removeAllListeners('exit');
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

export async function floor(ctx: BenchContext): Promise<ScenarioResult> {
  const count = ctx.count ?? 20_000;
  const runs = ctx.runs ?? 3;
  const prefix = `bench-floor-${Date.now().toString(36)}`;
  const database = await freshDatabase(ctx, 'floor');
  const secret = `whsec_floor_${Date.now()}`;
  const { prisma, keys, connection } = await benchConnection(database.url, 'f1', {
    apiKey: 'sk_test_benchFloor0001',
    webhookSecrets: [secret],
  });
  const samples = new Map<string, number[][]>();
  const record = (name: string, row: number[]) => {
    samples.set(name, [...(samples.get(name) ?? []), row]);
    console.log(`[floor] ${name}: ${row.map((x) => +x.toFixed(3)).join(' | ')}`);
  };
  try {
    // Interleaved, so a noisy minute of a shared VM does not land on one server only.
    for (let run = 1; run <= runs; run++) {
      for (const variant of VARIANTS) {
        const topic = `${prefix}-${variant.replace('+', '-')}`;
        const { child, port } = await startBare(variant, ctx, topic);
        try {
          record(
            variant,
            await measure(`http://127.0.0.1:${port}/`, 'whsec_floor', child.pid, count),
          );
        } finally {
          await stopChild(child);
        }
      }
      const port = await freePort();
      // Started as the peers bench does: the pid is the ingress itself, not a wrapper.
      const ingress = spawn(
        process.execPath,
        ['--import', 'tsx', '--conditions=@paysync/source', 'services/ingress/src/main.ts'],
        {
          cwd: root,
          env: {
            ...process.env,
            ...benchServiceEnv(ctx, { databaseUrl: database.url, keys, topicPrefix: prefix }),
            PORT: String(port),
          },
          stdio: ['ignore', 'ignore', 'inherit'],
        },
      );
      try {
        await waitReady(port);
        const url = `http://127.0.0.1:${port}/webhooks/stripe/${connection.id}`;
        record('paysync ingress', await measure(url, secret, ingress.pid, count));
      } finally {
        await stopChild(ingress);
      }
    }
  } finally {
    await prisma.$disconnect();
    await database.drop();
    // A broker shared by many runs runs out of file handles on left-over partitions.
    spawnSync(
      process.execPath,
      [join(root, 'scripts/image/delete-topics.mjs'), ctx.kafkaBrokers[0] ?? '', prefix],
      { stdio: 'ignore', timeout: 60_000 },
    );
  }
  const header = [
    `server (medians of ${runs})`,
    'c1 accepted/s',
    'c1 ack p50 / p99 ms',
    'c1 server CPU ms/event',
    'c64 accepted/s',
    'c64 ack p50 / p99 ms',
    'c64 server CPU ms/event',
  ];
  const rows = [...samples].map(([name, runRows]) => {
    const m = (k: number) => median(runRows.map((r) => r[k] as number));
    return [
      name,
      String(Math.round(m(0))),
      `${m(1).toFixed(2)} / ${m(2).toFixed(2)}`,
      m(3).toFixed(3),
      String(Math.round(m(4))),
      `${m(5).toFixed(2)} / ${m(6).toFixed(2)}`,
      m(7).toFixed(3),
    ];
  });
  return { table: [header, ...rows], json: { count, runs, header, rows, samples: [...samples] } };
}
