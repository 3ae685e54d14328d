-- Issue 16 item 5: the events poller pages through everything since its cursor, a bounded number
-- of events per pass. A listing that does not finish in one pass is resumed by the next from the
-- provider cursor it stopped at (`resume_after`); `resume_top` is the newest event time that
-- listing has checked, where the cursor moves once the listing ends.

-- AlterTable
ALTER TABLE "provider_event_cursors" ADD COLUMN     "resume_after" TEXT,
ADD COLUMN     "resume_top" BIGINT;
