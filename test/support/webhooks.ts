import { signStripePayload } from '@paysync/providers';

/**
 * POSTs `body` to a Stripe webhook endpoint of ingress, signed now with `secret`, as Stripe
 * sends it; returns the status (the answer is read, so the connection is free again).
 */
export async function postSignedWebhook(
  url: string,
  body: string,
  secret: string,
): Promise<number> {
  const res = await fetch(url, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'stripe-signature': signStripePayload(body, secret, Math.floor(Date.now() / 1000)),
    },
  });
  await res.arrayBuffer();
  return res.status;
}
