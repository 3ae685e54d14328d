import { z } from 'zod';

import { envVar, type EnvGroup } from './env.js';
import { port, positiveInt } from './schemas.js';

/** The HTTP listener of a service. Each service passes its documented default port. */
export function httpConfigSchema(defaultPort: number) {
  return {
    port: envVar('PORT', port().default(defaultPort), 'HTTP port this service listens on'),
    host: envVar(
      'HOST',
      z.string().default('0.0.0.0'),
      'Interface to bind; 0.0.0.0 so Kubernetes probes reach the pod, 127.0.0.1 in tests',
    ),
    shutdownTimeoutMs: envVar(
      'SHUTDOWN_TIMEOUT_MS',
      positiveInt().default(15_000),
      'Upper bound for graceful shutdown before the process exits non-zero',
    ),
  } satisfies EnvGroup;
}
