/**
 * Scopes of a workspace API key (issue 15 item 6), weakest first; each includes the ones before it:
 * - `read`: every GET in its workspace (synced data, events, sessions, connections without
 *   secrets, keys without tokens, the audit trail, recovery health).
 * - `write`: also operations that act without changing credentials: start, cancel and recover
 *   syncs, replay events, reconcile, test a connection.
 * - `admin`: also mint and revoke keys, create, change or delete connections (provider API keys,
 *   webhook secrets, webhook endpoints) and rename the workspace.
 * The admin token is above all of them (it also creates workspaces and rotates encryption keys).
 */
export const API_KEY_SCOPES = ['read', 'write', 'admin'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** What a route requires: a key scope, or the admin token itself (`admin-token`). */
export type RequiredScope = ApiKeyScope | 'admin-token';

/** Scopes a key gets when its create call names none: the least one. */
export const DEFAULT_KEY_SCOPES: readonly ApiKeyScope[] = ['read'];

const rank = (scope: ApiKeyScope) => API_KEY_SCOPES.indexOf(scope);

function isApiKeyScope(value: string): value is ApiKeyScope {
  return (API_KEY_SCOPES as readonly string[]).includes(value);
}

/** Whether a key with `scopes` may call a route that requires `required`. */
export function grants(scopes: readonly ApiKeyScope[], required: RequiredScope): boolean {
  if (required === 'admin-token') return false;
  return scopes.some((s) => rank(s) >= rank(required));
}

/** Scopes without duplicates, weakest first (`['admin', 'read', 'admin']` → `['read', 'admin']`). */
export function normalizeScopes(scopes: readonly ApiKeyScope[]): ApiKeyScope[] {
  return API_KEY_SCOPES.filter((s) => scopes.includes(s));
}

/**
 * Scopes as stored (text[]): unknown values are dropped, so a row edited by hand can only lose
 * rights, never gain them.
 */
export function parseScopes(stored: readonly string[]): ApiKeyScope[] {
  return normalizeScopes(stored.filter(isApiKeyScope));
}

/**
 * A route's scope when it declares none: reads need `read`; anything else needs `admin`, so a
 * mutating route added without a declaration fails closed.
 */
export function defaultScope(method: string | readonly string[]): ApiKeyScope {
  const methods = typeof method === 'string' ? [method] : method;
  return methods.every((m) => m === 'GET' || m === 'HEAD') ? 'read' : 'admin';
}

/**
 * The scope of each mutating operation (by OpenAPI operationId); reads need `read` and are not
 * listed. One table, so the scope model can be reviewed in one place; an operation missing here
 * needs `admin` (fails closed). Routes with `access: 'admin'` need the admin token instead.
 */
export const OPERATION_SCOPES: Readonly<Record<string, ApiKeyScope>> = {
  // Run the workspace's syncs and recovery: no credential changes.
  startInitialSync: 'write',
  cancelSyncSession: 'write',
  recoverSyncSession: 'write',
  replayEvents: 'write',
  startReconciliation: 'write',
  testConnection: 'write',
  // Credentials and the workspace itself.
  renameWorkspace: 'admin',
  createApiKey: 'admin',
  revokeApiKey: 'admin',
  createConnection: 'admin',
  updateConnection: 'admin',
  deleteConnection: 'admin',
  registerWebhookEndpoint: 'admin',
};
