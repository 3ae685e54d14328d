import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Faults } from './simulator.js';
import type { DeliveryOptions, WebhookSender } from './webhook-sender.js';

type Send = (status: number, body: unknown) => void;

/** The HTTP server under a simulator, on 127.0.0.1 by default. */
export class SimServer {
  #server: Server | undefined;

  async start(
    handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
    port: number,
    host: string,
  ): Promise<void> {
    this.#server = createServer((req, res) => void handle(req, res));
    this.#server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => this.#server?.listen(port, host, resolve));
  }

  get url(): string {
    const address = this.#server?.address() as AddressInfo | null;
    if (!address) throw new Error('simulator not started');
    return `http://127.0.0.1:${address.port}`;
  }

  /** Closes the keep-alive connections too: a client's idle socket must not hold the close up. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      if (!this.#server) return resolve();
      this.#server.closeAllConnections();
      this.#server.close(() => resolve());
    });
  }
}

/** What the admin routes every simulator has act on. */
interface AdminTarget {
  faults: Faults;
  setDelivery(options: Partial<DeliveryOptions>): void;
  readonly webhooks: WebhookSender;
}

/**
 * `POST /_sim/faults` (merged into the current faults) and `POST /_sim/delivery`, answered through
 * `send`; false for any other route (each simulator adds its own stats).
 */
export function sharedAdminRoute(
  sim: AdminTarget,
  path: string,
  method: string,
  body: string,
  send: Send,
): boolean {
  if (path === '/_sim/faults' && method === 'POST') {
    sim.faults = { ...sim.faults, ...(JSON.parse(body || '{}') as Partial<Faults>) };
    send(200, sim.faults);
    return true;
  }
  if (path === '/_sim/delivery' && method === 'POST') {
    sim.setDelivery(JSON.parse(body || '{}') as Partial<DeliveryOptions>);
    send(200, sim.webhooks.options);
    return true;
  }
  return false;
}
