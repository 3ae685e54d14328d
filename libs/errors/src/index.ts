export {
  AppError,
  ConfigError,
  ConflictError,
  CryptoError,
  DependencyUnavailableError,
  ForbiddenError,
  InternalError,
  NotFoundError,
  PayloadTooLargeError,
  ProviderError,
  RateLimitedError,
  UnauthorizedError,
  ValidationError,
  WebhookVerificationError,
  isAppError,
  isRetryable,
} from './app-error.js';
export type { FieldError } from './app-error.js';
export { ERROR_CODES } from './error-codes.js';
export type { ErrorCode } from './error-codes.js';
export { PROBLEM_CONTENT_TYPE, toProblem } from './problem.js';
export type { Problem, ProblemContext, ProblemResponse } from './problem.js';
