import { runService } from '@paysync/runtime';

import { buildApp } from './app.js';
import { configSchema } from './config.js';

await runService({ name: 'ingress', schema: configSchema, env: process.env, buildApp });
