import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** Starts a service as a real process from source (`node --import tsx`). */
export function startServiceProcess(service: ServiceName, env: NodeJS.ProcessEnv): ServiceProcess {
  // `node --import tsx`, not the tsx CLI: the CLI relays signals to a child and SIGKILLs it when
  // the child does not acknowledge within 30 ms, which a loaded machine turns into a flaky 143.
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--conditions=@paysync/source',
      join(repoRoot, 'services', service, 'src/main.ts'),
    ],
    {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        // Test connections point at simulators on free loopback ports (every service checks it).
        API_ALLOWED_PROVIDER_BASE_URLS: 'http://127.0.0.1:*',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so kill('SIGKILL') takes down anything it started too.
      detached: true,
    },
  );
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
