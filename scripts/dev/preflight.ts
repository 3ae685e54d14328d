// `npm run dev` step 0: validate every service's configuration with the environment `npm run dev`
// will give it, before anything is started. A bad setting (say a short ADMIN_API_TOKEN) ends the
// run in a second or two with one line per bad variable, instead of a half-started stack.
// Input: a JSON object `{ "<service>": { ...env } }` on stdin. Exit 3 when any service's config is
// invalid.
import { readFileSync } from 'node:fs';

import { loadConfig } from '@paysync/config';
import { ConfigError } from '@paysync/errors';

import { SERVICE_SCHEMAS as schemas } from '../service-schemas.js';

const envs = JSON.parse(readFileSync(0, 'utf8')) as Record<string, NodeJS.ProcessEnv>;
// `VARIABLE: problem` → the services it stops (one variable is often read by several).
const problems = new Map<string, string[]>();
for (const [service, schema] of Object.entries(schemas)) {
  try {
    loadConfig(schema, envs[service] ?? {});
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const p of err.problems) {
      const key = `${p.path}: ${p.message}`;
      problems.set(key, [...(problems.get(key) ?? []), service]);
    }
  }
}
for (const [problem, services] of problems) {
  process.stderr.write(`[dev] invalid setting ${problem} (${services.join(', ')} cannot start)\n`);
}
// 3: the settings are wrong (anything else is a crash of this check itself).
process.exit(problems.size > 0 ? 3 : 0);
