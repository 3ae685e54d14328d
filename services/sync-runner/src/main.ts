import { runService } from '@paysync/runtime';

import { buildApp } from './app.js';
import { configSchema } from './config.js';

await runService({ name: 'sync-runner', schema: configSchema, env: process.env, buildApp });
