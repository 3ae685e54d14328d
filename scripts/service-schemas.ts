// Every service's configuration schema by service name: what `npm run docs:env` documents and
// what `npm run dev`'s preflight validates.
import type { EnvSchema } from '@paysync/config';

import { configSchema as api } from '../services/api/src/config.js';
import { configSchema as ingress } from '../services/ingress/src/config.js';
import { configSchema as processor } from '../services/processor/src/config.js';
import { configSchema as recovery } from '../services/recovery/src/config.js';
import { configSchema as syncRunner } from '../services/sync-runner/src/config.js';

export const SERVICE_SCHEMAS: Readonly<Record<string, EnvSchema>> = {
  api,
  ingress,
  processor,
  'sync-runner': syncRunner,
  recovery,
};
