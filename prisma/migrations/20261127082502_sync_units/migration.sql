-- CreateEnum
CREATE TYPE "sync_unit_status" AS ENUM ('pending', 'running', 'done', 'failed', 'cancelled');

-- CreateTable
CREATE TABLE "sync_units" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "session_id" UUID NOT NULL,
    "workspace_id" UUID NOT NULL,
    "entity_type" TEXT NOT NULL,
    "segment" INTEGER NOT NULL DEFAULT 0,
    "created_gte" BIGINT,
    "created_lt" BIGINT,
    "splittable" BOOLEAN NOT NULL DEFAULT true,
    "cursor" TEXT,
    "status" "sync_unit_status" NOT NULL DEFAULT 'pending',
    "lease_owner" TEXT,
    "lease_expires_at" TIMESTAMPTZ(3),
    "fetched" INTEGER NOT NULL DEFAULT 0,
    "written" INTEGER NOT NULL DEFAULT 0,
    "skipped" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,
    "pages" INTEGER NOT NULL DEFAULT 0,
    "requests" INTEGER NOT NULL DEFAULT 0,
    "throttles" INTEGER NOT NULL DEFAULT 0,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sync_units_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "provider_rate_limits" (
    "key" TEXT NOT NULL,
    "rate_per_second" DOUBLE PRECISION NOT NULL,
    "base_rate_per_second" DOUBLE PRECISION NOT NULL,
    "burst" DOUBLE PRECISION NOT NULL,
    "tokens" DOUBLE PRECISION NOT NULL,
    "updated_at" TIMESTAMPTZ(6) NOT NULL,
    "throttled_at" TIMESTAMPTZ(6),

    CONSTRAINT "provider_rate_limits_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "sync_units_status_lease_expires_at_idx" ON "sync_units"("status", "lease_expires_at");

-- CreateIndex
CREATE UNIQUE INDEX "sync_units_session_id_entity_type_segment_key" ON "sync_units"("session_id", "entity_type", "segment");

-- AddForeignKey
ALTER TABLE "sync_units" ADD CONSTRAINT "sync_units_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "payment_sync_sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;
