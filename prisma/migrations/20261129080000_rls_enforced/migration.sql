-- Row-level security enforced for every tenant table (issue 15 item 5). Hand-written: the Prisma
-- schema does not model roles or policies.
--
-- Roles (NOLOGIN group roles; the login role the services use is created by the DBA, or by the
-- local stack, and joined to paysync_runtime by `paysync migrate` with DATABASE_APP_ROLE set):
--   paysync_runtime  DML on the tables, nothing else (no DDL, no history table). NOINHERIT, so its
--                    members get its privileges but NOT those of paysync_system (below): the system
--                    policies never apply to the runtime role itself, only after an explicit
--                    `SET ROLE paysync_system` (libs/db SystemScope).
--   paysync_system   cross-tenant background work (claims, relay, sweeps, lookups by connection or
--                    key hash): the only role with a policy that spans workspaces, granted only the
--                    tables and operations that work needs.
-- The owner (who runs migrations) is subject to the policies too (FORCE); a superuser or a
-- BYPASSRLS owner is not, which is what data migrations need.

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'paysync_runtime') THEN
    CREATE ROLE paysync_runtime NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'paysync_system') THEN
    CREATE ROLE paysync_system NOLOGIN;
  END IF;
END
$$;

-- Membership only (SET ROLE), never inherited privileges: paysync_runtime is NOINHERIT.
GRANT paysync_system TO paysync_runtime;
GRANT paysync_tenant TO paysync_runtime;

GRANT USAGE ON SCHEMA public TO paysync_runtime, paysync_system;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO paysync_runtime;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO paysync_runtime, paysync_system;
-- The history table exists when a runner applies this (ours and `prisma migrate deploy` create it
-- first); a shadow database of `prisma migrate diff` has none.
DO $$
BEGIN
  IF to_regclass('"_prisma_migrations"') IS NOT NULL THEN
    REVOKE ALL ON "_prisma_migrations" FROM paysync_runtime, paysync_system;
  END IF;
END
$$;
-- Tables later migrations create get the same DML grants (when the same role runs them).
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO paysync_runtime;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO paysync_runtime, paysync_system;

-- Every table with a workspace_id column: RLS enabled AND forced, one tenant policy for reads and
-- writes (USING and WITH CHECK: a row of another workspace can be neither seen, changed, deleted
-- nor written), and one policy for paysync_system. Without `paysync.workspace_id` set, the tenant
-- policy matches no row. Tables added later need the same three statements (rls.int.spec.ts finds
-- every workspace_id table in the catalog and fails for one without them).
DO $$
DECLARE
  t text;
BEGIN
  FOR t IN
    SELECT c.relname
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid
     WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attname = 'workspace_id'
       AND NOT a.attisdropped
     ORDER BY c.relname
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('DROP POLICY IF EXISTS "tenant_isolation" ON %I', t);
    EXECUTE format(
      'CREATE POLICY "tenant_isolation" ON %I FOR ALL TO PUBLIC'
      ' USING ("workspace_id" = NULLIF(current_setting(''paysync.workspace_id'', true), '''')::uuid)'
      ' WITH CHECK ("workspace_id" = NULLIF(current_setting(''paysync.workspace_id'', true), '''')::uuid)',
      t);
    EXECUTE format(
      'CREATE POLICY "system_access" ON %I FOR ALL TO paysync_system USING (true) WITH CHECK (true)',
      t);
  END LOOP;
END
$$;

-- paysync_system: the cross-tenant work and nothing else (see docs/security.md, "Row-level
-- security"). Synced payment data (customers … payment_transactions) is never read across tenants.
GRANT SELECT ON "workspaces", "workspace_payment_configurations" TO paysync_system;
GRANT SELECT, UPDATE ON "workspace_api_keys" TO paysync_system;
