/**
 * Parses Stripe-style bracketed form/query parameters (`metadata[plan]=gold`,
 * `items[0][price]=price_1`, `created[gte]=100`) into nested objects and arrays.
 */
export function parseBracketParams(params: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of params) {
    const path = [...key.matchAll(/[^[\]]+/g)].map((m) => m[0]);
    if (path.length === 0) continue;
    let node: Record<string, unknown> | unknown[] = out;
    path.forEach((segment, i) => {
      const last = i === path.length - 1;
      const isIndex = /^\d+$/.test(segment);
      const container = node as Record<string, unknown>;
      const k = isIndex && Array.isArray(node) ? Number(segment) : segment;
      if (last) {
        (container as Record<string | number, unknown>)[k] = value;
        return;
      }
      const nextIsIndex = /^\d+$/.test(path[i + 1] as string);
      const existing = (container as Record<string | number, unknown>)[k];
      if (existing === undefined || existing === null || typeof existing !== 'object') {
        (container as Record<string | number, unknown>)[k] = nextIsIndex ? [] : {};
      }
      node = (container as Record<string | number, unknown>)[k] as
        Record<string, unknown> | unknown[];
    });
  }
  return out;
}
