/**
 * Every error code paysync emits, with the HTTP status its category maps to. The table in
 * libs/errors/README.md mirrors this registry; a unit test keeps the two in step.
 */
export const ERROR_CODES = {
  // 400
  VALIDATION_FAILED: 'The request or message does not match its schema',
  WEBHOOK_SIGNATURE_MISSING: 'The provider signature header is absent',
  WEBHOOK_SIGNATURE_MALFORMED: 'The provider signature header cannot be parsed',
  WEBHOOK_SIGNATURE_INVALID: 'No configured secret produces the given signature',
  WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE: 'The signed timestamp is too old or in the future',
  WEBHOOK_PAYLOAD_INVALID: 'The signed body is not a valid event',
  PROVIDER_NOT_SUPPORTED: 'The provider is known but paysync cannot sync it yet',
  PROVIDER_BASE_URL_NOT_ALLOWED: 'settings.apiBaseUrl is not in API_ALLOWED_PROVIDER_BASE_URLS',
  // 401 / 403 / 404 / 409 / 413 / 429
  UNAUTHORIZED: 'Missing or invalid credentials',
  FORBIDDEN: 'The credential may not perform this action',
  INSUFFICIENT_SCOPE: 'The API key lacks the scope the operation requires',
  NOT_FOUND: 'The resource does not exist or is not visible to the caller',
  ROUTE_NOT_FOUND: 'No route matches the request',
  CONFLICT: 'The request conflicts with the current state',
  SYNC_SESSION_ACTIVE: 'The connection already has a pending or running sync session',
  SYNC_SESSION_FINISHED: 'The sync session has already ended',
  RECONCILIATION_ACTIVE: 'A reconciliation of this connection is already pending or running',
  CONNECTION_INACTIVE: 'The provider connection is deactivated',
  CONNECTION_AMBIGUOUS: 'Several connections match; name one with configurationId',
  CONNECTION_CONFLICT: 'The workspace already has an active connection to this provider',
  PAYLOAD_TOO_LARGE: 'The request body exceeds the configured limit',
  RATE_LIMITED: 'Too many requests',
  // 500 / 502 / 503
  INTERNAL_ERROR: 'An unexpected error; details are in the server log only',
  CONFIG_INVALID: 'One or more environment variables are missing or invalid',
  CRYPTO_DECRYPT_FAILED: 'A ciphertext failed authentication (tampered or wrong key)',
  CRYPTO_UNKNOWN_KEY: 'A ciphertext names a key id that is not in the key ring',
  CRYPTO_INVALID_CIPHERTEXT: 'A value is not a ciphertext produced by the key ring',
  DB_UNAVAILABLE: 'The database could not be reached or timed out',
  DB_MIGRATION_FAILED: 'A migration failed or was edited after being applied',
  KAFKA_UNAVAILABLE: 'The Kafka cluster could not be reached or timed out',
  MESSAGE_INVALID: 'A Kafka message does not match its envelope or schema',
  KAFKA_MESSAGE_REJECTED: 'Kafka refused a message for good (too large, invalid record)',
  PROVIDER_ERROR: 'The payment provider answered with an error',
  PROVIDER_UNAVAILABLE: 'The payment provider could not be reached or is rate limiting',
  SERVICE_UNAVAILABLE: 'A dependency is unavailable; retry later',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
