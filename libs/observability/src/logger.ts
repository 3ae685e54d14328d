import { pino, type DestinationStream, type Logger } from 'pino';

import { z } from 'zod';

import { envVar, logLevel } from '@paysync/config';

import { activeTraceFields } from './tracing.js';

export type { Logger } from 'pino';

export const logConfigSchema = {
  level: envVar('LOG_LEVEL', logLevel().default('info'), 'Log level (fatal … trace, or silent)'),
  file: envVar(
    'LOG_FILE',
    z.string().trim().min(1).optional(),
    'Append logs to this file instead of writing them to stdout (the test suite gives each test file its own); unset in production',
  ),
};

export interface LoggerOptions {
  readonly level: string;
  /** Service name, stamped on every line. */
  readonly name: string;
  /** Append to this file instead of stdout (ignored when a destination is passed). */
  readonly file?: string | undefined;
}

/**
 * Paths pino blanks out. Secrets must never reach a log line (STYLE R37): credentials in headers,
 * anything named like a key or secret at any depth we log, and card/bank fields.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["stripe-signature"]',
  'headers.authorization',
  'headers["stripe-signature"]',
  'authorization',
  'apiKey',
  'secret',
  'password',
  'token',
  'webhookSecret',
  'webhookSecrets',
  'encryptionKeys',
  '*.apiKey',
  '*.secret',
  '*.password',
  '*.token',
  '*.webhookSecret',
  '*.webhookSecrets',
  '*.encryptionKeys',
  '*.*.apiKey',
  '*.*.secret',
  '*.*.webhookSecret',
  '*.card',
  '*.bank_account',
  '*.*.card',
];

export function createLogger(options: LoggerOptions, destination?: DestinationStream): Logger {
  return pino(
    {
      level: options.level,
      base: { service: options.name },
      // trace_id/span_id on every line logged while a span is active (tracing on).
      mixin: activeTraceFields,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ??
      (options.file
        ? pino.destination({ dest: options.file, mkdir: true, sync: true })
        : undefined),
  );
}
