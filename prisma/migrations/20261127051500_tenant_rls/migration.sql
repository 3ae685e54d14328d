-- Row-level security as defence in depth for tenant isolation (hand-written; the Prisma schema does
-- not model policies). Services connect as the owner of the tables, which RLS does not restrict, so
-- nothing changes for the write path. Tenant-facing reads run inside a transaction that does
-- `SET LOCAL ROLE paysync_tenant` and sets `paysync.workspace_id`; under that role a query that
-- forgot its WHERE clause still sees only the workspace of the caller, and with no workspace set it
-- sees nothing.

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'paysync_tenant') THEN
    CREATE ROLE paysync_tenant NOLOGIN;
  END IF;
END
$$;

-- The application user must be able to switch to the role.
GRANT paysync_tenant TO CURRENT_USER;
GRANT USAGE ON SCHEMA public TO paysync_tenant;
GRANT SELECT ON "customers", "products", "prices", "subscriptions", "invoices", "payment_transactions",
  "payment_sync_events", "payment_sync_sessions" TO paysync_tenant;

ALTER TABLE "customers" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "products" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "prices" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "subscriptions" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "invoices" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "payment_transactions" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "payment_sync_events" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "payment_sync_sessions" ENABLE ROW LEVEL SECURITY;

CREATE POLICY "tenant_isolation" ON "customers" TO paysync_tenant
  USING ("workspace_id" = NULLIF(current_setting('paysync.workspace_id', true), '')::uuid);
CREATE POLICY "tenant_isolation" ON "products" TO paysync_tenant
  USING ("workspace_id" = NULLIF(current_setting('paysync.workspace_id', true), '')::uuid);
CREATE POLICY "tenant_isolation" ON "prices" TO paysync_tenant
  USING ("workspace_id" = NULLIF(current_setting('paysync.workspace_id', true), '')::uuid);
CREATE POLICY "tenant_isolation" ON "subscriptions" TO paysync_tenant
  USING ("workspace_id" = NULLIF(current_setting('paysync.workspace_id', true), '')::uuid);
CREATE POLICY "tenant_isolation" ON "invoices" TO paysync_tenant
  USING ("workspace_id" = NULLIF(current_setting('paysync.workspace_id', true), '')::uuid);
CREATE POLICY "tenant_isolation" ON "payment_transactions" TO paysync_tenant
  USING ("workspace_id" = NULLIF(current_setting('paysync.workspace_id', true), '')::uuid);
CREATE POLICY "tenant_isolation" ON "payment_sync_events" TO paysync_tenant
  USING ("workspace_id" = NULLIF(current_setting('paysync.workspace_id', true), '')::uuid);
CREATE POLICY "tenant_isolation" ON "payment_sync_sessions" TO paysync_tenant
  USING ("workspace_id" = NULLIF(current_setting('paysync.workspace_id', true), '')::uuid);
