import type { z } from 'zod';

import { ConfigError, type FieldError } from '@paysync/errors';

import { REDACTED, redactText, redactValue, secretValues } from './redact.js';

/** One environment variable: its name, how it parses, what it is for, and whether it is secret. */
export interface EnvVar<T> {
  readonly env: string;
  readonly schema: z.ZodType<T>;
  readonly description: string;
  readonly secret: boolean;
}

/** A group of variables (a lib's fragment, e.g. `kafka`), keyed by the config property name. */
export type EnvGroup = Readonly<Record<string, EnvVar<unknown>>>;
/** A service's whole schema: named groups composed from lib fragments. */
export type EnvSchema = Readonly<Record<string, EnvGroup>>;

export type GroupValue<G extends EnvGroup> = {
  readonly [K in keyof G]: G[K] extends EnvVar<infer T> ? T : never;
};
export type ConfigOf<S extends EnvSchema> = { readonly [K in keyof S]: GroupValue<S[K]> };

export function envVar<T>(
  env: string,
  schema: z.ZodType<T>,
  description: string,
  opts: { secret?: boolean } = {},
): EnvVar<T> {
  if (!/^[A-Z][A-Z0-9_]*$/.test(env))
    throw new TypeError(`env var name must be SCREAMING_SNAKE: ${env}`);
  return { env, schema, description, secret: opts.secret ?? false };
}

/** Marks a variable as secret: redacted in logs and `redactConfig()`. */
export function secret<T>(env: string, schema: z.ZodType<T>, description: string): EnvVar<T> {
  return envVar(env, schema, description, { secret: true });
}

/**
 * Parses every variable of the schema from `env`. Collects every problem before failing, so one
 * start-up names all bad variables at once.
 */
export function loadConfig<S extends EnvSchema>(schema: S, env: NodeJS.ProcessEnv): ConfigOf<S> {
  const problems: FieldError[] = [];
  const out: Record<string, Record<string, unknown>> = {};
  for (const [groupName, group] of Object.entries(schema)) {
    const values: Record<string, unknown> = {};
    for (const [key, variable] of Object.entries(group)) {
      const raw = env[variable.env];
      const input = raw === undefined || raw.trim() === '' ? undefined : raw;
      const parsed = variable.schema.safeParse(input);
      if (parsed.success) {
        values[key] = parsed.data;
      } else {
        const message = parsed.error.issues
          .map((issue) =>
            input === undefined && issue.code === 'invalid_type' ? 'is required' : issue.message,
          )
          .join('; ');
        problems.push({ path: variable.env, message: `${message} (${variable.description})` });
      }
    }
    out[groupName] = values;
  }
  if (problems.length > 0) {
    // A schema's message may quote the value it rejected (a key ring names the bad key id, which
    // may be key material written in the wrong order): secrets and URL credentials never reach
    // the error, which main.ts prints to stderr.
    const secrets = secretValues(schema, env);
    throw new ConfigError(problems.map((p) => ({ ...p, message: redactText(p.message, secrets) })));
  }
  return out as ConfigOf<S>;
}

/**
 * The config safe to log at start-up: every variable marked secret replaced by `[redacted]`, and
 * the credentials of every URL in any other value (the password in `DATABASE_URL`) redacted.
 */
export function redactConfig<S extends EnvSchema>(schema: S, config: ConfigOf<S>): unknown {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [groupName, group] of Object.entries(schema)) {
    const values = (config as Record<string, Record<string, unknown>>)[groupName] ?? {};
    out[groupName] = Object.fromEntries(
      Object.entries(group).map(([key, variable]) => [
        key,
        variable.secret && values[key] !== undefined ? REDACTED : redactValue(values[key]),
      ]),
    );
  }
  return out;
}

export interface EnvDoc {
  readonly env: string;
  readonly description: string;
  readonly secret: boolean;
  readonly required: boolean;
  readonly defaultValue: string | undefined;
}

/** Describes every variable of a schema, for the generated configuration reference. */
export function describeEnv(schema: EnvSchema): EnvDoc[] {
  const docs = new Map<string, EnvDoc>();
  for (const group of Object.values(schema)) {
    for (const variable of Object.values(group)) {
      const empty = variable.schema.safeParse(undefined);
      docs.set(variable.env, {
        env: variable.env,
        description: variable.description,
        secret: variable.secret,
        required: !empty.success,
        defaultValue:
          empty.success && empty.data !== undefined
            ? Array.isArray(empty.data)
              ? empty.data.join(',')
              : typeof empty.data === 'string'
                ? empty.data
                : JSON.stringify(empty.data)
            : undefined,
      });
    }
  }
  return [...docs.values()];
}
