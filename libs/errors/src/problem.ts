import { AppError, RateLimitedError, ValidationError, type FieldError } from './app-error.js';
import type { ErrorCode } from './error-codes.js';

/** RFC 9457 problem details, plus our stable `code` and optional field errors. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance?: string;
  readonly code: ErrorCode;
  readonly requestId?: string;
  readonly errors?: readonly FieldError[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TYPE_BASE = 'https://paysync.dev/problems/';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export interface ProblemContext {
  readonly instance?: string;
  readonly requestId?: string;
}

/** Problem response plus the headers it needs (e.g. `retry-after`). */
export interface ProblemResponse {
  readonly problem: Problem;
  readonly headers: Record<string, string>;
}

function codeToType(code: ErrorCode): string {
  return TYPE_BASE + code.toLowerCase().replaceAll('_', '-');
}

/**
 * Turns any thrown value into a problem. Only `AppError`s expose their message; anything else
 * becomes a 500 INTERNAL_ERROR whose cause stays in the server log.
 */
export function toProblem(err: unknown, ctx: ProblemContext = {}): ProblemResponse {
  const headers: Record<string, string> = {};
  if (err instanceof AppError) {
    if (err instanceof RateLimitedError) headers['retry-after'] = String(err.retryAfterSeconds);
    if (err.status === 503) {
      const after = err.details?.retryAfterSeconds;
      headers['retry-after'] ??= typeof after === 'number' ? String(after) : '5';
    }
    return {
      headers,
      problem: {
        type: codeToType(err.code),
        title: TITLES[err.status] ?? 'Error',
        status: err.status,
        detail: err.message,
        code: err.code,
        ...(ctx.instance !== undefined && { instance: ctx.instance }),
        ...(ctx.requestId !== undefined && { requestId: ctx.requestId }),
        ...(err instanceof ValidationError && err.errors.length > 0 && { errors: err.errors }),
      },
    };
  }
  return {
    headers,
    problem: {
      type: codeToType('INTERNAL_ERROR'),
      title: TITLES[500] as string,
      status: 500,
      detail: 'An unexpected error occurred',
      code: 'INTERNAL_ERROR',
      ...(ctx.instance !== undefined && { instance: ctx.instance }),
      ...(ctx.requestId !== undefined && { requestId: ctx.requestId }),
    },
  };
}
