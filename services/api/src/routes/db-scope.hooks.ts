import type { FastifyInstance, FastifyRequest } from 'fastify';

import { isUuid, runWithScope, withoutScope } from '@paysync/db';

/**
 * Row-level security for the management API (issue 15 item 5), registered after the
 * authentication hooks: the rest of a request on a workspace's route — the other hooks, the
 * handler and every query it makes — runs on behalf of the route's `:workspaceId` once the caller
 * may see it, and with no tenant otherwise (no tenant row visible). Authentication itself looks a
 * key up by its hash before any tenant is known: WorkspaceRepository does that as system work.
 */
export function requestScope(app: FastifyInstance): void {
  app.addHook('onRequest', (req: FastifyRequest, _reply, done) => {
    const workspaceId = (req.params as { workspaceId?: string } | undefined)?.workspaceId;
    if (req.principal && workspaceId !== undefined && isUuid(workspaceId)) {
      runWithScope({ kind: 'tenant', workspaceId }, done);
    } else {
      withoutScope(done);
    }
  });
}
