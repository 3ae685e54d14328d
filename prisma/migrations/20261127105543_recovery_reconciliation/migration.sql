-- AlterTable
ALTER TABLE "payment_sync_sessions" ADD COLUMN     "auto_resumes" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "reconciliation_runs" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "workspace_id" UUID NOT NULL,
    "configuration_id" UUID,
    "provider" "payment_provider" NOT NULL,
    "entity_types" TEXT[],
    "repair" BOOLEAN NOT NULL DEFAULT false,
    "trigger" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "requested_by" TEXT,
    "report" JSONB NOT NULL DEFAULT '{}',
    "error" JSONB,
    "lease_owner" TEXT,
    "lease_expires_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "reconciliation_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "provider_event_cursors" (
    "configuration_id" UUID NOT NULL,
    "workspace_id" UUID NOT NULL,
    "last_created" BIGINT NOT NULL,
    "checked" BIGINT NOT NULL DEFAULT 0,
    "recovered" BIGINT NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "provider_event_cursors_pkey" PRIMARY KEY ("configuration_id")
);

-- CreateTable
CREATE TABLE "recovery_heartbeats" (
    "component" TEXT NOT NULL,
    "last_success_at" TIMESTAMPTZ(3),
    "last_failure_at" TIMESTAMPTZ(3),
    "last_error" TEXT,
    "details" JSONB NOT NULL DEFAULT '{}',
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "recovery_heartbeats_pkey" PRIMARY KEY ("component")
);

-- CreateIndex
CREATE INDEX "reconciliation_runs_workspace_id_created_at_id_idx" ON "reconciliation_runs"("workspace_id", "created_at", "id");

-- CreateIndex
CREATE INDEX "reconciliation_runs_status_created_at_idx" ON "reconciliation_runs"("status", "created_at");

-- CreateIndex
CREATE INDEX "reconciliation_runs_configuration_id_created_at_idx" ON "reconciliation_runs"("configuration_id", "created_at");

-- AddForeignKey
ALTER TABLE "reconciliation_runs" ADD CONSTRAINT "reconciliation_runs_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Hand-written (Prisma does not model policies): the api reads reconciliation reports under the
-- paysync_tenant role, like the other tenant tables (see 20261127051500_tenant_rls).
GRANT SELECT ON "reconciliation_runs" TO paysync_tenant;
ALTER TABLE "reconciliation_runs" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "reconciliation_runs" TO paysync_tenant
  USING ("workspace_id" = NULLIF(current_setting('paysync.workspace_id', true), '')::uuid);
