import type { WebhookSender } from './webhook-sender.js';

/**
 * A CLI `trigger`: delivers one event through `sender` (closed afterwards) and gives the JSON line
 * to print (what the target answered) and the exit code (0 for a 2xx).
 */
export async function triggerOnce(
  sender: WebhookSender,
  delivery: { readonly url: string; readonly credential: string },
  event: { readonly id: string },
  type: string,
): Promise<{ report: string; exitCode: number }> {
  try {
    const result = await sender.deliver(delivery.url, delivery.credential, JSON.stringify(event));
    return {
      report: JSON.stringify({
        event: event.id,
        type,
        status: result.status,
        latencyMs: Math.round(result.latencyMs),
        body: result.body,
      }),
      exitCode: result.status >= 200 && result.status < 300 ? 0 : 1,
    };
  } finally {
    sender.close();
  }
}
