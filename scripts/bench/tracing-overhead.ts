// `tsx --conditions=@paysync/source scripts/bench/tracing-overhead.ts [--count N]`: the `webhooks`
// scenario twice in one run, first with tracing off, then with the OpenTelemetry SDK loaded in the
// ingress and processor (their instrumentation.ts, OTLP/HTTP protobuf to a local sink that counts
// the spans), and the difference. CPU is shared with whatever else runs: compare within one run.
import { createServer } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { webhooks } from './webhooks.js';

import type { BenchContext } from './types.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const countArg = args.indexOf('--count');
const ctx: BenchContext = {
  serverUrl: (database) =>
    `postgresql://postgres@127.0.0.1:${process.env.PAYSYNC_PG_PORT ?? '55432'}/${database}`,
  kafkaBrokers: [`127.0.0.1:${process.env.PAYSYNC_KAFKA_PORT ?? '59092'}`],
  migrationsDir: join(root, 'prisma/migrations'),
  count: countArg >= 0 ? Number(args[countArg + 1]) : 3000,
};

// The OTLP sink: accepts every export (as a collector would) and counts requests and bytes.
let exports = 0;
let bytes = 0;
const sink = createServer((req, res) => {
  req.on('data', (c: Buffer) => (bytes += c.length));
  req.on('end', () => {
    exports++;
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});
await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
const address = sink.address();
const sinkUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

console.log(`== webhooks, tracing off (${cpus().length} cores)`);
const off = await webhooks(ctx);
for (const row of off.table) console.log(row.join('  '));

process.env.OTEL_EXPORTER_OTLP_ENDPOINT = sinkUrl;
process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import ${join(root, 'scripts/bench/otel-preload.mjs')}`;
console.log(`== webhooks, tracing on (every span exported to ${sinkUrl})`);
const on = await webhooks(ctx);
for (const row of on.table) console.log(row.join('  '));
console.log(`OTLP exports received: ${exports} (${Math.round(bytes / 1024)} KiB)`);
sink.close();

const header = off.table[0] ?? [];
console.log('== tracing on vs off (on / off - 1)');
for (let r = 1; r < off.table.length; r++) {
  const a = off.table[r] ?? [];
  const b = on.table[r] ?? [];
  console.log(
    header
      .map((h, c) => {
        const x = Number(a[c]);
        const y = Number(b[c]);
        return c === 0 || !Number.isFinite(x) || x === 0
          ? `${h}=${b[c]}`
          : `${h}: ${a[c]} → ${b[c]} (${(((y - x) / x) * 100).toFixed(0)} %)`;
      })
      .join(', '),
  );
}
mkdirSync(join(root, 'bench-results'), { recursive: true });
const file = join(
  root,
  'bench-results',
  `tracing-overhead-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
);
writeFileSync(file, JSON.stringify({ off: off.json, on: on.json, exports, bytes }, null, 2));
console.log(`(written to ${file})`);
