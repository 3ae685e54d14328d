import type { SimObject } from '../store.js';

/**
 * The Chargebee simulator's object store: one ordered map per resource. Every change gives the
 * object a new sequence number and moves it to the end of the change order, so "oldest change
 * first" (`sort_by[asc]=updated_at`) is the change order and an `offset` is the last sequence
 * number served — the way Chargebee's own `next_offset` (`["<updated_at ms>","<id seq>"]`)
 * resumes after the last row.
 */
export const CHARGEBEE_RESOURCES = [
  'customer',
  'item',
  'item_price',
  'subscription',
  'invoice',
  'transaction',
  'credit_note',
] as const;
export type ChargebeeResource = (typeof CHARGEBEE_RESOURCES)[number];

/** URL segment of each resource (`/api/v2/<path>`). */
export const RESOURCE_PATH: Record<ChargebeeResource, string> = {
  customer: 'customers',
  item: 'items',
  item_price: 'item_prices',
  subscription: 'subscriptions',
  invoice: 'invoices',
  transaction: 'transactions',
  credit_note: 'credit_notes',
};

/** Which list endpoints take `include_deleted` (the SDK's ListInputParam types say so). */
export const LISTS_DELETED: ReadonlySet<ChargebeeResource> = new Set([
  'customer',
  'subscription',
  'invoice',
  'transaction',
  'credit_note',
]);

interface Entry {
  object: SimObject;
  /** Position in creation order (default list order, `sort_by created_at`). */
  readonly createdSeq: number;
  /** Position in change order (`sort_by updated_at`). */
  changeSeq: number;
}

export interface ListQuery {
  readonly limit: number;
  readonly offset?: string | undefined;
  readonly sortBy: 'created_at' | 'updated_at';
  readonly includeDeleted: boolean;
  readonly updatedAfter?: number | undefined;
  readonly updatedBefore?: number | undefined;
  readonly createdAfter?: number | undefined;
  readonly createdBefore?: number | undefined;
}

export class ResourceStore {
  readonly resource: ChargebeeResource;
  readonly #byId = new Map<string, Entry>();
  /** Change order: an entry is re-inserted at the end whenever it changes. */
  readonly #changes = new Map<string, Entry>();
  #seq = 0;

  constructor(resource: ChargebeeResource) {
    this.resource = resource;
  }

  get size(): number {
    return this.#byId.size;
  }

  get liveCount(): number {
    let n = 0;
    for (const e of this.#byId.values()) if (e.object.deleted !== true) n++;
    return n;
  }

  get(id: string): SimObject | undefined {
    const entry = this.#byId.get(id);
    return entry ? structuredClone(entry.object) : undefined;
  }

  /** Inserts or replaces; either way the object becomes the newest change. */
  put(object: SimObject): SimObject {
    const id = String(object.id);
    const seq = ++this.#seq;
    const existing = this.#byId.get(id);
    const entry: Entry = existing ?? { object, createdSeq: seq, changeSeq: seq };
    entry.object = structuredClone(object);
    entry.changeSeq = seq;
    this.#byId.set(id, entry);
    this.#changes.delete(id);
    this.#changes.set(id, entry);
    return structuredClone(entry.object);
  }

  /**
   * One page: `offset` is the opaque `next_offset` of the previous page, present on a page only
   * when more rows follow.
   */
  list(
    query: ListQuery,
  ): { rows: SimObject[]; nextOffset: string | undefined } | { error: string } {
    let after = 0;
    if (query.offset !== undefined) {
      const parsed = parseOffset(query.offset);
      if (parsed === undefined) return { error: 'offset : invalid value' };
      after = parsed;
    }
    const byUpdate = query.sortBy === 'updated_at';
    const source = byUpdate
      ? this.#changes.values()
      : [...this.#byId.values()].sort((a, b) => a.createdSeq - b.createdSeq).values();
    const rows: SimObject[] = [];
    let last: Entry | undefined;
    for (const entry of source) {
      const seq = byUpdate ? entry.changeSeq : entry.createdSeq;
      if (seq <= after) continue;
      const o = entry.object;
      if (o.deleted === true && !query.includeDeleted) continue;
      const updated = typeof o.updated_at === 'number' ? o.updated_at : 0;
      const createdField =
        this.resource === 'invoice' || this.resource === 'transaction' ? o.date : o.created_at;
      const created = typeof createdField === 'number' ? createdField : 0;
      if (query.updatedAfter !== undefined && !(updated > query.updatedAfter)) continue;
      if (query.updatedBefore !== undefined && !(updated < query.updatedBefore)) continue;
      if (query.createdAfter !== undefined && !(created > query.createdAfter)) continue;
      if (query.createdBefore !== undefined && !(created < query.createdBefore)) continue;
      if (rows.length === query.limit) {
        // More rows follow: the offset resumes after the last one served.
        const lastRow = last as Entry;
        const lastSeq = byUpdate ? lastRow.changeSeq : lastRow.createdSeq;
        return {
          rows,
          nextOffset: JSON.stringify([String(updatedMs(lastRow.object)), String(lastSeq)]),
        };
      }
      rows.push(structuredClone(o));
      last = entry;
    }
    return { rows, nextOffset: undefined };
  }
}

function updatedMs(o: SimObject): number {
  return typeof o.resource_version === 'number' ? o.resource_version : 0;
}

function parseOffset(offset: string): number | undefined {
  try {
    const parsed = JSON.parse(offset) as unknown;
    if (Array.isArray(parsed) && parsed.length === 2 && /^\d+$/.test(String(parsed[1])))
      return Number(parsed[1]);
  } catch {
    // fall through
  }
  return undefined;
}
