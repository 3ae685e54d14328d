import type { ErrorCode } from './error-codes.js';

/** Base of every error paysync raises. `code` is stable and documented; `status` follows the class. */
export abstract class AppError extends Error {
  abstract readonly status: number;
  readonly retryable: boolean = false;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export interface FieldError {
  readonly path: string;
  readonly message: string;
}

export class ValidationError extends AppError {
  readonly status = 400;
  constructor(
    message: string,
    readonly errors: readonly FieldError[] = [],
    code: ErrorCode = 'VALIDATION_FAILED',
    options?: { cause?: unknown },
  ) {
    super(code, message, undefined, options);
  }
}

export class UnauthorizedError extends AppError {
  readonly status = 401;
}
export class ForbiddenError extends AppError {
  readonly status = 403;
}
export class NotFoundError extends AppError {
  readonly status = 404;
}
export class ConflictError extends AppError {
  readonly status = 409;
}
export class PayloadTooLargeError extends AppError {
  readonly status = 413;
}

export class RateLimitedError extends AppError {
  readonly status = 429;
  override readonly retryable = true;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    details?: Record<string, unknown>,
  ) {
    super('RATE_LIMITED', message, { ...details, retryAfterSeconds });
  }
}

/** A webhook that failed verification: always 400 so providers see a client error. */
export class WebhookVerificationError extends AppError {
  readonly status = 400;
}

/** A dependency (database, Kafka, provider) is down or slow; the operation may succeed later. */
export class DependencyUnavailableError extends AppError {
  readonly status = 503;
  override readonly retryable = true;
}

export class ProviderError extends AppError {
  readonly status = 502;
  override readonly retryable: boolean;
  constructor(
    code: ErrorCode,
    message: string,
    opts: { retryable: boolean; details?: Record<string, unknown>; cause?: unknown },
  ) {
    super(code, message, opts.details, { cause: opts.cause });
    this.retryable = opts.retryable;
  }
}

/** Our own invariant broke, or a library failed in a way we did not classify. */
export class InternalError extends AppError {
  readonly status = 500;
}

/** Startup configuration is invalid; `problems` names every bad variable. */
export class ConfigError extends AppError {
  readonly status = 500;
  constructor(readonly problems: readonly FieldError[]) {
    super(
      'CONFIG_INVALID',
      `Invalid configuration:\n${problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n')}`,
      { variables: problems.map((p) => p.path) },
    );
  }
}

export class CryptoError extends AppError {
  readonly status = 500;
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/** Whether retrying the failed operation later can succeed. Unknown errors count as not retryable. */
export function isRetryable(err: unknown): boolean {
  return err instanceof AppError && err.retryable;
}
