import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/**
 * Starts `services/<service>/src/main.ts` of the repository at `repoRoot` as a real process from
 * source (`node --import tsx`), stdout and stderr piped, in a process group of its own (detached)
 * so a SIGKILL to `-pid` takes down anything it started too. Its environment is PATH, HOME and
 * `env`, nothing else of the caller's.
 */
export function spawnServiceFromSource(
  repoRoot: string,
  service: string,
  env: NodeJS.ProcessEnv,
): ChildProcess {
  // `node --import tsx`, not the tsx CLI: the CLI relays signals to a child and SIGKILLs it when
  // the child does not acknowledge within 30 ms, which a loaded machine turns into a flaky 143.
  return spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--conditions=@paysync/source',
      join(repoRoot, 'services', service, 'src/main.ts'),
    ],
    {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
}
