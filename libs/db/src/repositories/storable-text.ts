/**
 * Text PostgreSQL cannot store, and what the write path does with it (issue 16 item 6).
 *
 * `text` and `jsonb` reject U+0000 (NUL), and `jsonb` rejects lone UTF-16 surrogates (JSON.parse
 * accepts `"\ud800"`, so a provider object may carry one). Policy: in every stored column that
 * holds provider text (canonical columns, `raw`, the event log's `payload`, descriptive event
 * columns) NUL is removed and a lone surrogate becomes U+FFFD, object keys included. The object
 * as received is kept beside it, losslessly, as JSON text in `raw_original` / `payload_original`
 * (JSON.stringify escapes both as `\u0000` / `\udXXX`, which `text` stores; JSON.parse of the
 * column gives back the original exactly). Those columns are null when nothing had to change.
 * Identity values (external ids, provider event ids) are never rewritten: a record whose id
 * cannot be stored fails on its own (see SyncWriteRepository `isolateFailures`).
 */

/** Cheap pre-check: NUL or any surrogate (paired ones are fine; the slow path tells them apart). */
// eslint-disable-next-line no-control-regex -- NUL is exactly what this looks for
const SUSPECT = /[\u0000\uD800-\uDFFF]/;
// eslint-disable-next-line no-control-regex -- idem
const NUL = /\u0000/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** The string without NUL and with lone surrogates replaced by U+FFFD (the same string if fine). */
export function storableString(value: string): string {
  if (!SUSPECT.test(value)) return value;
  const fixed = value.replace(NUL, '').replace(LONE_SURROGATE, '\uFFFD');
  return fixed === value ? value : fixed;
}

/**
 * A deep copy of `value` whose strings (and object keys) PostgreSQL can store; `value` itself
 * (the same reference) when nothing had to change, so callers can tell with `!==`.
 */
export function storable<T>(value: T): T {
  if (typeof value === 'string') return storableString(value) as T;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item: unknown, i) => {
      const fixed = storable(item);
      if (fixed !== item) {
        copy ??= [...(value as unknown[])];
        copy[i] = fixed;
      }
    });
    return (copy ?? value) as T;
  }
  if (value !== null && typeof value === 'object' && isPlain(value)) {
    // No allocation unless something changes (this runs on every record of every page).
    const record = value as Record<string, unknown>;
    for (const k in record) {
      const v = record[k];
      if (storableString(k) !== k || storable(v) !== v) return fixObject(record) as T;
    }
    return value;
  }
  return value;
}

/** The storable form of a provider object and, when it differs, the original as JSON text. */
export function storableJson(value: unknown): { value: unknown; original: string | null } {
  const fixed = storable(value);
  return { value: fixed, original: fixed === value ? null : JSON.stringify(value) };
}

function fixObject(record: Record<string, unknown>): Record<string, unknown> {
  const fixed: Record<string, unknown> = {};
  for (const k in record) fixed[storableString(k)] = storable(record[k]);
  return fixed;
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
