-- Issue 16 item 4: one lease token per claim of a sync unit. Checkpoints, splits, releases and
-- failures present it, so a worker whose lease expired (and was taken over) can change nothing.
-- Issue 16 item 6: records the write path could not store are listed on their unit
-- (failed_records, the first 50) instead of failing the session; objects with text PostgreSQL
-- cannot hold (NUL, lone surrogates) are stored sanitised, with the original JSON text beside them.

-- AlterTable
ALTER TABLE "sync_units" ADD COLUMN     "failed_records" JSONB NOT NULL DEFAULT '[]',
ADD COLUMN     "lease_token" UUID;

-- AlterTable
ALTER TABLE "payment_sync_events" ADD COLUMN     "payload_original" TEXT;

-- AlterTable
ALTER TABLE "customers" ADD COLUMN     "raw_original" TEXT;

-- AlterTable
ALTER TABLE "products" ADD COLUMN     "raw_original" TEXT;

-- AlterTable
ALTER TABLE "prices" ADD COLUMN     "raw_original" TEXT;

-- AlterTable
ALTER TABLE "subscriptions" ADD COLUMN     "raw_original" TEXT;

-- AlterTable
ALTER TABLE "invoices" ADD COLUMN     "raw_original" TEXT;

-- AlterTable
ALTER TABLE "payment_transactions" ADD COLUMN     "raw_original" TEXT;
