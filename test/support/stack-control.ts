import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { repoRoot } from './processes.js';

/**
 * Stops, crashes (`kill`: SIGKILL, Kafka only) or starts one component of the local stack (fault
 * tests only; they run alone).
 */
export function stack(action: 'stop' | 'start' | 'kill', component: 'kafka' | 'postgres'): void {
  const res = spawnSync(
    process.execPath,
    [join(repoRoot, 'scripts/stack/stack.mjs'), action, component],
    {
      encoding: 'utf8',
      env: process.env,
    },
  );
  if (res.status !== 0)
    throw new Error(`stack ${action} ${component} failed:\n${res.stdout}\n${res.stderr}`);
}
