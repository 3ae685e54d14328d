-- Issue 19 item 3 (Stripe Connect): a sync unit lists one provider account. provider_account_id is
-- the connected account (acct_…) its calls send as Stripe-Account, '' for the connection's own
-- account; a session's units are unique per account, entity type and segment.

-- DropIndex
DROP INDEX "sync_units_session_id_entity_type_segment_key";

-- AlterTable
ALTER TABLE "sync_units" ADD COLUMN     "provider_account_id" TEXT NOT NULL DEFAULT '';

-- CreateIndex
CREATE UNIQUE INDEX "sync_units_session_id_provider_account_id_entity_type_segme_key" ON "sync_units"("session_id", "provider_account_id", "entity_type", "segment");
