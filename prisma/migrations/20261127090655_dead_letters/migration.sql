-- CreateTable
CREATE TABLE "dead_letters" (
    "id" BIGSERIAL NOT NULL,
    "workspace_id" UUID,
    "provider" TEXT,
    "provider_event_id" TEXT,
    "event_type" TEXT,
    "error_class" TEXT NOT NULL,
    "error_code" TEXT NOT NULL,
    "error_message" TEXT NOT NULL,
    "retryable" BOOLEAN NOT NULL,
    "status" TEXT NOT NULL,
    "redrives" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3),
    "original_topic" TEXT,
    "original_partition" INTEGER,
    "original_offset" TEXT,
    "dlq_partition" INTEGER NOT NULL,
    "dlq_offset" TEXT NOT NULL,
    "message_key" TEXT,
    "envelope" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "dead_letters_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "dead_letters_status_next_attempt_at_idx" ON "dead_letters"("status", "next_attempt_at");

-- CreateIndex
CREATE UNIQUE INDEX "dead_letters_workspace_id_provider_provider_event_id_key" ON "dead_letters"("workspace_id", "provider", "provider_event_id");
