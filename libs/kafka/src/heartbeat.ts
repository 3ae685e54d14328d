import type { BatchContext } from './consumer.js';

/**
 * How often a running handler heartbeats by default. kafkajs sends a heartbeat only when its own
 * `heartbeatInterval` (3 s) has passed since the last one, so a shorter tick costs nothing.
 */
export const HANDLER_HEARTBEAT_MS = 1000;

/**
 * Runs `work` while heartbeating every `intervalMs`, so a batch that takes longer than the session
 * timeout (a slow provider call, a retry tier waiting for its delay) keeps the group membership:
 * kafkajs heartbeats only between batches or when asked. A failed heartbeat (a rebalance is under
 * way, the coordinator moved) is not the handler's concern: kafkajs rejoins once the batch returns,
 * and an uncommitted batch is delivered again (handlers are idempotent).
 */
export async function withHeartbeat<R>(
  ctx: Pick<BatchContext, 'heartbeat'>,
  work: () => Promise<R>,
  intervalMs: number = HANDLER_HEARTBEAT_MS,
): Promise<R> {
  let inFlight = false;
  const timer = setInterval(() => {
    if (inFlight) return;
    inFlight = true;
    ctx
      .heartbeat()
      .catch(() => undefined)
      .finally(() => {
        inFlight = false;
      });
  }, intervalMs);
  timer.unref();
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
