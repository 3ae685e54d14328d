// The Chargebee simulator from the command line: `npm run sim -- <command> --provider chargebee …`
// (libs/simulator/src/cli.ts dispatches here); usable directly through `runChargebeeCli`.
//
//   serve   [--port 12112] [--site paysync-sim-test] [--api-key test_sim_key]
//           [--customer N] [--item N] [--item_price N] [--subscription N] [--invoice N]
//           [--transaction N] [--credit_note N] [--rate-per-minute 150] [--latency MS]
//           [--webhook-url URL --webhook-user U --webhook-password P]
//   trigger <event_type> --url URL --user U --password P   (one event, HTTP Basic, e.g. customer_changed)
//   load    --url URL --user U --password P [--count 1000] [--objects 100] [--rate 0 (events/s)]
//           [--duplicates 0.05] [--reorder 10 (shuffle window)]
//           [--types customer_changed,subscription_changed,invoice_updated,transaction_updated]
//           (changes to a simulated site, each delivered as its webhook with HTTP Basic; reports
//           what the target answered)
import { triggerOnce } from '../trigger-once.js';
import { WebhookSender, type DeliveryStats } from '../webhook-sender.js';
import { ChargebeeSimulator, chargebeeWebhookHeaders } from './simulator.js';
import { CHARGEBEE_RESOURCES, type ChargebeeResource } from './store.js';

const LOAD_TYPES = [
  'customer_changed',
  'subscription_changed',
  'invoice_updated',
  'transaction_updated',
] as const;

export interface ChargebeeCliIo {
  readonly log: (line: string) => void;
  readonly error: (line: string) => void;
}

/** The resource an event type is about (`item_price_updated` → item_price, `payment_*` → transaction). */
function resourceOf(eventType: string): ChargebeeResource | undefined {
  if (eventType.startsWith('payment_')) return 'transaction';
  return [...CHARGEBEE_RESOURCES]
    .sort((a, b) => b.length - a.length)
    .find((r) => eventType.startsWith(`${r}_`));
}

/**
 * Runs one command; resolves with the process exit code. `serve` resolves with 0 once listening
 * and returns the running simulator through `onServe` (the caller owns its lifetime).
 */
export async function runChargebeeCli(
  command: string,
  positional: readonly string[],
  flags: ReadonlyMap<string, string>,
  io: ChargebeeCliIo = { log: console.log, error: console.error },
  onServe?: (sim: ChargebeeSimulator) => void,
): Promise<number> {
  const num = (name: string, fallback: number) =>
    flags.has(name) ? Number(flags.get(name)) : fallback;
  switch (command) {
    case 'serve': {
      const sim = new ChargebeeSimulator({
        ...(flags.has('site') && { site: flags.get('site') }),
        ...(flags.has('api-key') && { apiKeys: [flags.get('api-key') as string] }),
        seed: Object.fromEntries(CHARGEBEE_RESOURCES.map((r) => [r, num(r, 0)])),
        ...(flags.has('rate-per-minute') && { rateLimitPerMinute: num('rate-per-minute', 150) }),
      });
      sim.faults.latencyMs = num('latency', 0);
      const hook = flags.get('webhook-url');
      if (hook)
        sim.addWebhookEndpoint(
          hook,
          flags.get('webhook-user') ?? '',
          flags.get('webhook-password') ?? '',
        );
      const url = await sim.start(num('port', 12112));
      io.log(
        `Chargebee simulator on ${url} (site ${sim.site}); SDK: { site: '127.0.0.1', hostSuffix: '', protocol: 'http', port: ${new URL(url).port} }; admin: POST ${url}/_sim/faults, GET ${url}/_sim/stats`,
      );
      onServe?.(sim);
      return 0;
    }
    case 'trigger': {
      const type = positional[0];
      const url = flags.get('url');
      const resource = type ? resourceOf(type) : undefined;
      if (!type || !url || !resource) {
        io.error(
          'usage: trigger <event_type> --url URL --user U --password P (a customer_, item_, item_price_, subscription_, invoice_, transaction_, credit_note_ or payment_ event)',
        );
        return 2;
      }
      // A one-object site makes a realistic resource for the event's content.
      const sim = new ChargebeeSimulator({ seed: { [resource]: 1 } });
      const object = sim.getObject(resource, idsOf(sim, resource, 1)[0] ?? '');
      const event = sim.trigger(type, { [resource]: object ?? {} });
      const { report, exitCode } = await triggerOnce(
        new WebhookSender({ headers: chargebeeWebhookHeaders }),
        { url, credential: `${flags.get('user') ?? ''}:${flags.get('password') ?? ''}` },
        event,
        type,
      );
      io.log(report);
      return exitCode;
    }
    case 'load': {
      const url = flags.get('url');
      const types = flags.get('types')?.split(',').filter(Boolean) ?? [...LOAD_TYPES];
      const unknown = types.filter((t) => resourceOf(t) === undefined);
      if (!url || types.length === 0 || unknown.length > 0) {
        io.error(
          `usage: load --url URL --user U --password P [--count N] [--types a_changed,b_updated]${unknown.length > 0 ? ` (no resource for ${unknown.join(', ')})` : ''}`,
        );
        return 2;
      }
      const report = await runChargebeeLoad({
        url,
        username: flags.get('user') ?? '',
        password: flags.get('password') ?? '',
        count: num('count', 1000),
        objects: num('objects', 100),
        ratePerSecond: num('rate', 0),
        duplicateRate: num('duplicates', 0),
        reorderWindow: num('reorder', 0),
        types,
      });
      io.log(JSON.stringify(report, null, 2));
      return report.deliveries.failed === 0 ? 0 : 1;
    }
    default:
      io.error(
        'usage: paysync-sim serve|trigger|load --provider chargebee (see libs/simulator/src/chargebee/cli.ts)',
      );
      return 2;
  }
}

interface ChargebeeLoadOptions {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  /** Changes (events) to make; duplicates come on top. */
  readonly count: number;
  /** Objects per resource the changes cycle through. */
  readonly objects: number;
  /** Upper bound on changes per second (0 = as fast as the target answers). */
  readonly ratePerSecond: number;
  readonly duplicateRate: number;
  /** Deliveries shuffled this many at a time (0 = in order). */
  readonly reorderWindow: number;
  /** Event types, round robin (`*_deleted` deletes the object: later changes to it are skipped). */
  readonly types: readonly string[];
}

export interface ChargebeeLoadReport {
  readonly events: number;
  readonly skipped: number;
  readonly durationMs: number;
  readonly deliveredPerSecond: number;
  readonly deliveries: DeliveryStats;
}

/**
 * A stream of real changes to a simulated site (every one a new `resource_version`), each delivered
 * to `url` as Chargebee delivers webhooks: HTTP Basic, duplicates and reordering as asked.
 */
async function runChargebeeLoad(opts: ChargebeeLoadOptions): Promise<ChargebeeLoadReport> {
  const objects = Math.max(1, opts.objects);
  const resources = [...new Set(opts.types.map((t) => resourceOf(t) as ChargebeeResource))];
  const sim = new ChargebeeSimulator({
    seed: Object.fromEntries(resources.map((r) => [r, objects])),
    randomSeed: Date.now() % 2 ** 31,
  });
  sim.setDelivery({ duplicateRate: opts.duplicateRate, reorderWindow: opts.reorderWindow });
  sim.addWebhookEndpoint(opts.url, opts.username, opts.password);
  const ids = new Map(resources.map((r) => [r, idsOf(sim, r, objects)]));
  const started = performance.now();
  const interval = opts.ratePerSecond > 0 ? 1000 / opts.ratePerSecond : 0;
  let skipped = 0;
  try {
    for (let i = 0; i < opts.count; i++) {
      if (interval > 0) {
        const wait = started + i * interval - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const type = opts.types[i % opts.types.length] as string;
      const resource = resourceOf(type) as ChargebeeResource;
      const id = ids.get(resource)?.[Math.floor(i / opts.types.length) % objects] ?? '';
      const current = sim.getObject(resource, id);
      if (!current || current.deleted === true) {
        skipped++;
        continue;
      }
      if (type.endsWith('_deleted')) sim.delete(resource, id);
      else if (type === 'subscription_cancelled') sim.cancelSubscription(id);
      else sim.update(resource, id, {}, { eventType: type });
    }
    await sim.webhooks.flush();
  } finally {
    await sim.stop();
  }
  const durationMs = Math.round(performance.now() - started);
  const deliveries = structuredClone(sim.webhooks.stats);
  return {
    events: sim.events.length,
    skipped,
    durationMs,
    deliveredPerSecond: Math.round((deliveries.delivered / Math.max(1, durationMs)) * 1000),
    deliveries,
  };
}

/** The ids of the first `count` objects of `resource`, in creation order. */
function idsOf(sim: ChargebeeSimulator, resource: ChargebeeResource, count: number): string[] {
  const page = sim.stores[resource].list({
    limit: count,
    sortBy: 'created_at',
    includeDeleted: false,
  });
  return 'rows' in page ? page.rows.map((row) => String(row.id)) : [];
}
