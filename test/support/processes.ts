import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { spawnServiceFromSource } from '@paysync/testkit';

/** A free TCP port on loopback (one copy, in @paysync/testkit). */
export { freePort } from '@paysync/testkit';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../..');

export const SERVICES = ['api', 'ingress', 'processor', 'sync-runner', 'recovery'] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface ServiceProcess {
  readonly child: ChildProcess;
  /** SIGKILL to the whole group; SIGTERM to the service process itself. */
  kill(signal: 'SIGTERM' | 'SIGKILL'): void;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

/** Starts a service as a real process from source (`node --import tsx`, its own process group). */
export function startServiceProcess(service: ServiceName, env: NodeJS.ProcessEnv): ServiceProcess {
  const child = spawnServiceFromSource(repoRoot, service, {
    // Test connections point at simulators on free loopback ports (every service checks it).
    API_ALLOWED_PROVIDER_BASE_URLS: 'http://127.0.0.1:*',
    ...env,
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const kill = (signal: 'SIGTERM' | 'SIGKILL') => {
    if (child.pid === undefined) return;
    try {
      if (signal === 'SIGKILL') process.kill(-child.pid, 'SIGKILL');
      else child.kill('SIGTERM');
    } catch {
      // already gone
    }
  };
  return { child, kill, output: () => out, exited };
}
