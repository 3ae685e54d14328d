import type { AuditRecord } from '../modules/audit/audit.repository.js';
import type {
  ApiKeyView,
  CreatedApiKey,
  WorkspaceView,
} from '../modules/workspaces/workspace.repository.js';

export function presentWorkspace(w: WorkspaceView) {
  return { ...w, createdAt: w.createdAt.toISOString(), updatedAt: w.updatedAt.toISOString() };
}

/** A new workspace with its first key: the only response that carries that key. */
export function presentCreatedWorkspace(workspace: WorkspaceView, key: CreatedApiKey) {
  return {
    id: workspace.id,
    name: workspace.name,
    createdAt: workspace.createdAt.toISOString(),
    apiKey: key.token,
    apiKeyId: key.id,
  };
}

export function presentApiKey(k: ApiKeyView) {
  return {
    ...k,
    scopes: [...k.scopes],
    createdAt: k.createdAt.toISOString(),
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
  };
}

/** A new key with its token (shown once) as `apiKey`. */
export function presentCreatedApiKey(key: CreatedApiKey) {
  const { token, ...view } = key;
  return { ...presentApiKey(view), apiKey: token };
}

export function presentAuditRecord(r: AuditRecord) {
  return { ...r, createdAt: r.createdAt.toISOString() };
}
