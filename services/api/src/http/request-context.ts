import type { Principal } from '../modules/auth/auth.service.js';
import type { RequiredScope } from '../modules/auth/scopes.js';

/** What a handler tells the audit hook beyond the route and params (never a secret). */
interface AuditNote {
  workspaceId?: string;
  resourceId?: string;
  details?: Record<string, unknown>;
}

/** Who may call a route: the admin only, or any credential with access to the workspace. */
type RouteAccess = 'admin' | 'any';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    auditNote?: AuditNote;
  }
  interface FastifyContextConfig {
    /** Default `any`. */
    access?: RouteAccess;
    /**
     * The API key scope the route needs (issue 15 item 6); default `read` for GET, `admin` for
     * anything else. `access: 'admin'` routes need the admin token (`admin-token`).
     */
    scope?: RequiredScope;
    /** Resource type recorded in the audit trail for mutating calls. */
    resource?: string;
    /** Skip authentication (the OpenAPI document and docs page only). */
    public?: boolean;
  }
}

/** The authenticated principal; the auth hook guarantees it on every non-public route. */
export function principalOf(req: { principal?: Principal }): Principal {
  if (!req.principal) throw new Error('route reached without authentication');
  return req.principal;
}
