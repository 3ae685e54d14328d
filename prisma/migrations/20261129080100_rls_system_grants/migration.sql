-- What cross-tenant background work may do as paysync_system (issue 15 item 5; see
-- 20261129080000_rls_enforced and docs/security.md). Everything else runs on behalf of one
-- workspace. Synced payment data (customers … payment_transactions) is never granted here.

-- api: authentication finds a key by its lookup before the workspace is known, and stamps its
-- last use (that column only); an audit entry without a workspace (admin calls outside one).
REVOKE UPDATE ON "workspace_api_keys" FROM paysync_system;
GRANT UPDATE ("last_used_at") ON "workspace_api_keys" TO paysync_system;
GRANT INSERT ON "audit_log" TO paysync_system;

-- api, ingress, processor, recovery: a connection found by its id (webhook URL) or by the
-- provider account it belongs to; the recovery pollers list every workspace's active connections.
GRANT SELECT ON "workspace_provider_accounts" TO paysync_system;

-- sync-runner: the claim query (fairest unit of every running session) and the planning safety
-- net (pending sessions found by the worker pool); recovery: the session watchdog.
GRANT SELECT, UPDATE ON "payment_sync_sessions" TO paysync_system;
GRANT SELECT, INSERT, UPDATE ON "sync_units" TO paysync_system;

-- recovery: dead letters recorded from the DLQ (an unreadable message has no workspace), re-driven
-- and resolved once their event was applied (hence reading the event log); reconciliation runs
-- scheduled and claimed across workspaces (the run itself works on behalf of its workspace).
GRANT SELECT, INSERT, UPDATE ON "dead_letters" TO paysync_system;
GRANT SELECT ON "payment_sync_events" TO paysync_system;
GRANT SELECT, INSERT, UPDATE ON "reconciliation_runs" TO paysync_system;
