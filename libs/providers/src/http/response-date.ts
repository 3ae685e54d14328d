/**
 * A response's `Date` header in ms (second resolution): what a listed or retrieved object was
 * current at. Our clock when the header is missing or unreadable.
 */
export function responseDateMs(headers: unknown): number {
  const fields = headers as Record<string, string | undefined> | null | undefined;
  const date = fields?.date ?? fields?.Date;
  const ms = date ? Date.parse(date) : Number.NaN;
  return Number.isFinite(ms) ? ms : Date.now();
}
