-- Sync units are read by the api (session progress) under the paysync_tenant role, like the other
-- tenant tables (see 20261127051500_tenant_rls). Hand-written: Prisma does not model policies.
GRANT SELECT ON "sync_units" TO paysync_tenant;
ALTER TABLE "sync_units" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "sync_units" TO paysync_tenant
  USING ("workspace_id" = NULLIF(current_setting('paysync.workspace_id', true), '')::uuid);
