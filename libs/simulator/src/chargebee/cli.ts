// The Chargebee simulator from the command line. Meant to be reached as
// `npm run sim -- <command> --provider chargebee …` once libs/simulator/src/cli.ts dispatches here
// (see docs/providers/chargebee.md); usable directly through `runChargebeeCli`.
//
//   serve   [--port 12112] [--site paysync-sim-test] [--api-key test_sim_key]
//           [--customer N] [--item N] [--item_price N] [--subscription N] [--invoice N]
//           [--transaction N] [--credit_note N] [--rate-per-minute 150] [--latency MS]
//           [--webhook-url URL --webhook-user U --webhook-password P]
//   trigger <event_type> --url URL --user U --password P   (one event, HTTP Basic, e.g. customer_changed)
import { WebhookSender } from '../webhook-sender.js';
import { ChargebeeSimulator, chargebeeWebhookHeaders } from './simulator.js';
import { CHARGEBEE_RESOURCES, type ChargebeeResource } from './store.js';

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
      const object = sim.getObject(resource, firstId(sim, resource));
      const event = sim.trigger(type, { [resource]: object ?? {} });
      const sender = new WebhookSender({ headers: chargebeeWebhookHeaders });
      try {
        const result = await sender.deliver(
          url,
          `${flags.get('user') ?? ''}:${flags.get('password') ?? ''}`,
          JSON.stringify(event),
        );
        io.log(
          JSON.stringify({
            event: event.id,
            type,
            status: result.status,
            latencyMs: Math.round(result.latencyMs),
            body: result.body,
          }),
        );
        return result.status >= 200 && result.status < 300 ? 0 : 1;
      } finally {
        sender.close();
      }
    }
    default:
      io.error(
        'usage: paysync-sim serve|trigger --provider chargebee (see libs/simulator/src/chargebee/cli.ts)',
      );
      return 2;
  }
}

function firstId(sim: ChargebeeSimulator, resource: ChargebeeResource): string {
  const page = sim.stores[resource].list({
    limit: 1,
    sortBy: 'created_at',
    includeDeleted: false,
  });
  return 'rows' in page ? String(page.rows[0]?.id) : '';
}
