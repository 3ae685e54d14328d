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

/** A request's whole body as UTF-8 text. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** What the admin routes every simulator has act on. */
interface AdminTarget {
  faults: Faults;
  setDelivery(options: Partial<DeliveryOptions>): void;
  readonly webhooks: WebhookSender;
}

/**
 * The admin routes: `POST /_sim/faults` (merged into the current faults), `POST /_sim/delivery`
 * and `GET /_sim/stats` (each simulator's own counts); anything else gets `unknownRoute`, a 404.
 */
export function answerAdmin(
  sim: AdminTarget,
  request: { readonly path: string; readonly method: string; readonly body: string },
  send: Send,
  answers: { readonly stats: () => unknown; readonly unknownRoute: unknown },
): void {
  const { path, method, body } = request;
  if (path === '/_sim/faults' && method === 'POST') {
    sim.faults = { ...sim.faults, ...(JSON.parse(body || '{}') as Partial<Faults>) };
    return send(200, sim.faults);
  }
  if (path === '/_sim/delivery' && method === 'POST') {
    sim.setDelivery(JSON.parse(body || '{}') as Partial<DeliveryOptions>);
    return send(200, sim.webhooks.options);
  }
  if (path === '/_sim/stats' && method === 'GET') return send(200, answers.stats());
  send(404, answers.unknownRoute);
}
