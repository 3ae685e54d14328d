/**
 * Defensive readers of provider JSON: webhooks, stored events and API responses are read as plain
 * JSON, not as the SDKs' types, so a field of the wrong type reads as null (or empty), never throws.
 */

export const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export const num = (v: unknown): number | null =>
  typeof v === 'number' && Number.isFinite(v) ? v : null;

export const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);

export const obj = (v: unknown): Record<string, unknown> | null =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

/** The objects of an array; anything else in it is dropped, and a non-array is empty. */
export const arr = (v: unknown): Record<string, unknown>[] =>
  Array.isArray(v) ? v.map(obj).filter((o): o is Record<string, unknown> => o !== null) : [];

/** A Unix timestamp in seconds (Stripe's and Chargebee's) as a Date. */
export const time = (v: unknown): Date | null =>
  typeof v === 'number' && Number.isFinite(v) ? new Date(v * 1000) : null;
