-- Issue 16 item 2: the connection each event came through, so a replay or refetch asks that
-- account (never the workspace's first one). NULL on rows written before this migration: a
-- replay of such an event picks a connection as before, but a 404 from it never tombstones.
-- No foreign key: the event log keeps the id after a connection is deleted (the events go with
-- the workspace, which cascades).

-- AlterTable
ALTER TABLE "payment_sync_events" ADD COLUMN     "connection_id" UUID;
