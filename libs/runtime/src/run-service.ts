import type { FastifyInstance } from 'fastify';

import {
  loadConfig,
  redactConfig,
  redactText,
  secretValues,
  type ConfigOf,
  type EnvSchema,
  type httpConfigSchema,
} from '@paysync/config';
import { ConfigError } from '@paysync/errors';

type ServiceSchema = EnvSchema & { readonly http: ReturnType<typeof httpConfigSchema> };

export interface RunServiceOptions<S extends ServiceSchema> {
  readonly name: string;
  readonly schema: S;
  readonly env: NodeJS.ProcessEnv;
  readonly buildApp: (config: ConfigOf<S>) => Promise<FastifyInstance>;
}

/**
 * The body of every `main.ts`: validate config (exit 1 naming every bad variable), build, listen,
 * and on SIGTERM/SIGINT close gracefully: stop intake, finish in-flight work, commit offsets,
 * close clients. Exits 0 when that completes in time, 1 otherwise.
 */
export async function runService<S extends ServiceSchema>(
  opts: RunServiceOptions<S>,
): Promise<void> {
  // Every secret this process was given (secret variables, URL passwords such as DATABASE_URL's):
  // nothing printed outside the logger (which redacts by path) may contain one.
  const secrets = secretValues(opts.schema, opts.env);
  let config: ConfigOf<S>;
  try {
    config = loadConfig(opts.schema, opts.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`[${opts.name}] ${redactText(err.message, secrets)}\n`);
      process.exit(1);
    }
    throw err;
  }
  const { http }: ConfigOf<ServiceSchema> = config;

  // Signal handlers come first: a SIGTERM while the service is still starting (Kubernetes may send
  // one to a pod that never got ready) is honoured once startup finishes, instead of killing the
  // process half-initialised. `on`, not `once`: a second signal while draining (wrappers such as
  // tsx or npm may relay one again) must not fall through to the default action.
  let app: FastifyInstance | undefined;
  let requested: string | undefined;
  let stopping = false;
  const stop = (signal: string) => {
    requested ??= signal;
    if (!app || stopping) return;
    const running = app;
    stopping = true;
    running.log.info({ signal }, 'Shutting down');
    const timeoutMs = http.shutdownTimeoutMs;
    const timer = setTimeout(() => {
      running.log.error({ timeoutMs }, 'Shutdown timed out');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    running.close().then(
      () => {
        running.log.info('Stopped');
        process.exit(0);
      },
      (err: unknown) => {
        running.log.error({ err }, 'Shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  try {
    const built = await opts.buildApp(config);
    built.log.info({ config: redactConfig(opts.schema, config) }, 'Starting');
    await built.listen({ host: http.host, port: http.port });
    app = built;
  } catch (err) {
    // A library error may quote its connection string or options (the stack starts with the
    // message): redacted like the config log.
    const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`[${opts.name}] failed to start: ${redactText(text, secrets)}\n`);
    process.exit(1);
  }
  if (requested) stop(requested);
}
