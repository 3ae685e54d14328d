// The five services as real processes (`node --import tsx`, as the e2e harness starts them), each
// in its own process group so SIGKILL takes down all of it, on a fixed port per service so a
// restarted ingress keeps the webhook URL. Logs go to one file per service.
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';

import { freePort, spawnServiceFromSource } from '@paysync/testkit';

import { repoRoot } from './stack.js';

export const SERVICES = ['ingress', 'processor', 'sync-runner', 'recovery', 'api'] as const;
export type ServiceName = (typeof SERVICES)[number];

interface Running {
  child: ChildProcess;
  exited: Promise<void>;
}

export class ServiceFleet {
  readonly ports = new Map<ServiceName, number>();
  readonly #running = new Map<ServiceName, Running>();
  readonly #env: Record<string, string>;
  readonly #logDir: string;
  readonly #logs = new Map<ServiceName, WriteStream>();

  constructor(env: Record<string, string>, logDir: string) {
    this.#env = env;
    this.#logDir = logDir;
  }

  url(service: ServiceName): string {
    return `http://127.0.0.1:${this.ports.get(service)}`;
  }

  async startAll(): Promise<void> {
    for (const s of SERVICES) this.ports.set(s, await freePort());
    // Ingress first: its topic bootstrap creates the catalogue the others subscribe to.
    this.start('ingress');
    await this.waitReady('ingress', 120_000);
    for (const s of SERVICES.filter((x) => x !== 'ingress')) this.start(s);
    await Promise.all(SERVICES.map((s) => this.waitReady(s, 120_000)));
  }

  start(service: ServiceName): void {
    let log = this.#logs.get(service);
    if (!log) {
      log = createWriteStream(join(this.#logDir, `${service}.log`), { flags: 'a' });
      this.#logs.set(service, log);
    }
    const child = spawnServiceFromSource(repoRoot, service, {
      ...this.#env,
      PORT: String(this.ports.get(service)),
    });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.#running.set(service, { child, exited });
  }

  /** SIGKILL to the service's process group; resolves once it is gone. */
  async kill(service: ServiceName): Promise<void> {
    const r = this.#running.get(service);
    if (!r?.child.pid) return;
    try {
      process.kill(-r.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await r.exited;
    this.#running.delete(service);
  }

  async ready(service: ServiceName): Promise<boolean> {
    try {
      const res = await fetch(`${this.url(service)}/ready`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return res.status === 200;
    } catch {
      return false;
    }
  }

  async allReady(): Promise<boolean> {
    const states = await Promise.all(SERVICES.map((s) => this.ready(s)));
    return states.every(Boolean);
  }

  async waitReady(service: ServiceName, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await this.ready(service)) return;
      if (this.#running.get(service)?.child.exitCode != null) {
        const file = join(this.#logDir, `${service}.log`);
        const tail = existsSync(file) ? readFileSync(file, 'utf8').slice(-1500) : '';
        throw new Error(`${service} exited during start-up (${file}):\n${tail}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${service} not ready after ${timeoutMs} ms (see ${this.#logDir})`);
  }

  /** SIGTERM to every service, SIGKILL to what is left after 20 s. */
  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.#running.entries()].map(async ([service, r]) => {
        r.child.kill('SIGTERM');
        const timer = setTimeout(() => void this.kill(service), 20_000);
        await r.exited;
        clearTimeout(timer);
      }),
    );
    this.#running.clear();
    for (const log of this.#logs.values()) log.end();
  }

  /** Synchronous last resort on exit: SIGKILL every process group still running. */
  killAllNow(): void {
    for (const r of this.#running.values()) {
      try {
        if (r.child.pid) process.kill(-r.child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
}
