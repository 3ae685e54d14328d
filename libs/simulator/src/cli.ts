#!/usr/bin/env node
// paysync-sim: the Stripe and Chargebee simulators from the command line
// (`npm run sim -- <command> [--provider stripe|chargebee]`, Stripe by default).
//
// Stripe:
//   serve   [--port 12111] [--customers N] [--products N] [--prices N] [--subscriptions N]
//           [--invoices N] [--payment_intents N] [--charges N] [--latency MS]
//           [--account acct_…]   (the simulated account's id; default acct_sim0000000001)
//   trigger <event.type> --url URL --secret WHSEC [--account acct_…]
//   load    --url URL --secret WHSEC [--count 1000] [--concurrency 16] [--rate 0]
//           [--duplicates 0.05] [--reorder 0.05] [--types customer.updated,invoice.paid]
//
// Chargebee (`--provider chargebee`; the commands and flags are listed in
// libs/simulator/src/chargebee/cli.ts):
//   serve   [--port 12112] [--site paysync-sim-test] [--api-key test_sim_key] [--customer N] …
//           [--rate-per-minute 150] [--webhook-url URL --webhook-user U --webhook-password P]
//   trigger <event_type> --url URL --user U --password P
//   load    --url URL --user U --password P [--count 1000] [--rate 0] [--duplicates 0.05]
//           [--reorder 10] [--types customer_changed,subscription_changed]
import { runChargebeeCli } from './chargebee/cli.js';
import { runLoad, loadEvent } from './load.js';
import { StripeSimulator } from './simulator.js';
import { COLLECTIONS } from './store.js';
import { triggerOnce } from './trigger-once.js';
import { WebhookSender } from './webhook-sender.js';

const [command, ...rest] = process.argv.slice(2);
const flags = new Map<string, string>();
const positional: string[] = [];
for (let i = 0; i < rest.length; i++) {
  const arg = rest[i] as string;
  if (arg.startsWith('--')) flags.set(arg.slice(2), rest[++i] ?? '');
  else positional.push(arg);
}
const num = (name: string, fallback: number) =>
  flags.has(name) ? Number(flags.get(name)) : fallback;
const required = (name: string) => {
  const value = flags.get(name);
  if (!value) {
    console.error(`--${name} is required`);
    process.exit(2);
  }
  return value;
};

const provider = flags.get('provider') ?? 'stripe';
if (provider === 'chargebee') {
  process.exitCode = await runChargebeeCli(command ?? '', positional, flags, undefined, (sim) => {
    // `serve` keeps running: the simulator's server holds the event loop open until a signal.
    const stop = () => void sim.stop().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
} else if (provider !== 'stripe') {
  console.error(`--provider ${provider}: the simulators are stripe and chargebee`);
  process.exitCode = 2;
} else
  switch (command ?? '') {
    case 'serve': {
      const sim = new StripeSimulator({
        seed: Object.fromEntries(COLLECTIONS.map((c) => [c, num(c, 0)])),
        ...(flags.has('account') && { accountId: flags.get('account') }),
      });
      sim.faults.latencyMs = num('latency', 0);
      const url = await sim.start(num('port', 12111));
      console.log(
        `Stripe simulator on ${url} (account ${sim.accountId}); admin: POST ${url}/_sim/faults, GET ${url}/_sim/stats`,
      );
      const stop = () => void sim.stop().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      break;
    }
    case 'trigger': {
      const type = positional[0];
      if (!type) {
        console.error('usage: trigger <event.type> --url URL --secret WHSEC');
        process.exit(2);
      }
      const event = loadEvent(type, num('object', 0), {
        runId: Date.now().toString(36),
        createdSeconds: Math.floor(Date.now() / 1000),
        seq: 0,
        ...(flags.has('account') && { accountId: flags.get('account') }),
      });
      const { report, exitCode } = await triggerOnce(
        new WebhookSender(),
        { url: required('url'), credential: required('secret') },
        event,
        type,
      );
      console.log(report);
      process.exitCode = exitCode;
      break;
    }
    case 'load': {
      const report = await runLoad({
        url: required('url'),
        secret: required('secret'),
        count: num('count', 1000),
        concurrency: num('concurrency', 16),
        ratePerSecond: num('rate', 0),
        duplicateRate: num('duplicates', 0),
        reorderRate: num('reorder', 0),
        ...(flags.has('types') && { types: (flags.get('types') as string).split(',') }),
        ...(flags.has('account') && { accountId: flags.get('account') }),
        maxDurationMs: num('max-seconds', 600) * 1000,
      });
      const { acceptedEventIds, ...summary } = report;
      console.log(
        JSON.stringify({ ...summary, acceptedEventIds: acceptedEventIds.length }, null, 2),
      );
      break;
    }
    default:
      console.error(
        'usage: paysync-sim serve|trigger|load (see the header of libs/simulator/src/cli.ts)',
      );
      process.exitCode = 2;
  }
