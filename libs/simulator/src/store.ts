/**
 * The simulator's object store. Objects live in one index space per collection: index i has id
 * `<prefix>_sim<i, 10 digits>` and `created` = base + i × step seconds (step 1 unless seeded wider). Seeded objects are generated from
 * their index on demand, so a million customers cost nothing until listed; only objects that were
 * changed or deleted are held in memory.
 */
export type SimObject = Record<string, unknown>;

export const COLLECTIONS = [
  'customers',
  'products',
  'prices',
  'subscriptions',
  'invoices',
  'payment_intents',
  'charges',
] as const;
export type CollectionName = (typeof COLLECTIONS)[number];

const PREFIX: Record<CollectionName, string> = {
  customers: 'cus',
  products: 'prod',
  prices: 'price',
  subscriptions: 'sub',
  invoices: 'in',
  payment_intents: 'pi',
  charges: 'ch',
};

/** Stripe `object` name, and the prefix of its event types. */
export const OBJECT_NAME: Record<CollectionName, string> = {
  customers: 'customer',
  products: 'product',
  prices: 'price',
  subscriptions: 'subscription',
  invoices: 'invoice',
  payment_intents: 'payment_intent',
  charges: 'charge',
};
export const EVENT_PREFIX: Record<CollectionName, string> = {
  ...OBJECT_NAME,
  subscriptions: 'customer.subscription',
};

export const BASE_CREATED = 1_700_000_000;

export function simId(collection: CollectionName, index: number): string {
  return `${PREFIX[collection]}_sim${index.toString().padStart(10, '0')}`;
}

export function simIndex(collection: CollectionName, id: string): number | undefined {
  const match = new RegExp(`^${PREFIX[collection]}_sim(\\d{10})$`).exec(id);
  return match ? Number(match[1]) : undefined;
}

export class Collection {
  readonly name: CollectionName;
  /** Objects ever created here (seeded + via the API). */
  count = 0;
  readonly #overrides = new Map<number, SimObject>();
  readonly #deleted = new Set<number>();
  readonly #generate: (index: number) => SimObject;
  /** Seconds between the `created` of consecutive indexes (seeded objects). */
  readonly #step: number;

  constructor(name: CollectionName, generate: (index: number) => SimObject, createdStep = 1) {
    this.name = name;
    this.#generate = generate;
    this.#step = createdStep;
  }

  get liveCount(): number {
    return this.count - this.#deleted.size;
  }

  /** Current state, `undefined` if it never existed, or Stripe's deleted stub. */
  get(index: number): SimObject | undefined {
    if (index < 0 || index >= this.count) return undefined;
    if (this.#deleted.has(index))
      return { id: simId(this.name, index), object: OBJECT_NAME[this.name], deleted: true };
    return structuredClone(this.#overrides.get(index) ?? this.#generate(index));
  }

  isDeleted(index: number): boolean {
    return this.#deleted.has(index);
  }

  put(index: number, object: SimObject): void {
    this.#overrides.set(index, object);
  }

  add(object: (index: number) => SimObject): SimObject {
    const index = this.count++;
    const created = object(index);
    this.#overrides.set(index, created);
    return structuredClone(created);
  }

  delete(index: number): void {
    this.#deleted.add(index);
    this.#overrides.delete(index);
  }

  /**
   * Stripe list semantics: newest first, `starting_after` an id, `created` bounds in seconds,
   * deleted objects skipped.
   */
  list(opts: {
    limit: number;
    startingAfter?: string | undefined;
    createdGte?: number | undefined;
    createdLt?: number | undefined;
    include?: (o: SimObject) => boolean;
  }): { data: SimObject[]; hasMore: boolean } | { error: string } {
    let hi = this.count - 1;
    // Index i was created at BASE_CREATED + i × step.
    const step = this.#step;
    if (opts.createdLt !== undefined)
      hi = Math.min(hi, Math.ceil((opts.createdLt - BASE_CREATED) / step) - 1);
    const lo = Math.max(
      0,
      opts.createdGte !== undefined ? Math.ceil((opts.createdGte - BASE_CREATED) / step) : 0,
    );
    if (opts.startingAfter !== undefined) {
      const after = simIndex(this.name, opts.startingAfter);
      if (after === undefined || after >= this.count)
        return { error: `No such object: '${opts.startingAfter}'` };
      hi = Math.min(hi, after - 1);
    }
    const data: SimObject[] = [];
    for (let i = hi; i >= lo; i--) {
      if (this.#deleted.has(i)) continue;
      const o = this.get(i) as SimObject;
      if (opts.include && !opts.include(o)) continue;
      if (data.length === opts.limit) return { data, hasMore: true };
      data.push(o);
    }
    return { data, hasMore: false };
  }
}
