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
  // Stripe breadth (issue 19).
  'refunds',
  'disputes',
  'credit_notes',
  'coupons',
  'promotion_codes',
  'discounts',
  'payment_methods',
  'subscription_items',
  'subscription_schedules',
  'invoice_line_items',
  'tax_ids',
  'checkout_sessions',
  'payouts',
  'balance_transactions',
  'early_fraud_warnings',
  'reviews',
  'setup_intents',
] as const;
export type CollectionName = (typeof COLLECTIONS)[number];

/** Id prefixes as Stripe's (coupons have none at Stripe: theirs are free-form strings). */
const PREFIX: Record<CollectionName, string> = {
  customers: 'cus',
  products: 'prod',
  prices: 'price',
  subscriptions: 'sub',
  invoices: 'in',
  payment_intents: 'pi',
  charges: 'ch',
  refunds: 're',
  disputes: 'dp',
  credit_notes: 'cn',
  coupons: 'coupon',
  promotion_codes: 'promo',
  discounts: 'di',
  payment_methods: 'pm',
  subscription_items: 'si',
  subscription_schedules: 'sub_sched',
  invoice_line_items: 'il',
  tax_ids: 'txi',
  checkout_sessions: 'cs_test',
  payouts: 'po',
  balance_transactions: 'txn',
  early_fraud_warnings: 'issfr',
  reviews: 'prv',
  setup_intents: 'seti',
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
  refunds: 'refund',
  disputes: 'dispute',
  credit_notes: 'credit_note',
  coupons: 'coupon',
  promotion_codes: 'promotion_code',
  discounts: 'discount',
  payment_methods: 'payment_method',
  subscription_items: 'subscription_item',
  subscription_schedules: 'subscription_schedule',
  invoice_line_items: 'line_item',
  tax_ids: 'tax_id',
  checkout_sessions: 'checkout.session',
  payouts: 'payout',
  balance_transactions: 'balance_transaction',
  early_fraud_warnings: 'radar.early_fraud_warning',
  reviews: 'review',
  setup_intents: 'setup_intent',
};
/** The prefix of each collection's event types (distinct per collection). */
export const EVENT_PREFIX: Record<CollectionName, string> = {
  ...OBJECT_NAME,
  subscriptions: 'customer.subscription',
  disputes: 'charge.dispute',
  discounts: 'customer.discount',
  tax_ids: 'customer.tax_id',
};

export const BASE_CREATED = 1_700_000_000;

/**
 * Object ids: `<prefix>_sim<tag><10 digits>`. The tag is empty for an account of its own and
 * `c<n>` for the n-th connected account of a platform, so ids stay unique across accounts as
 * Stripe's are.
 */
export function simId(collection: CollectionName, index: number, tag = ''): string {
  return `${PREFIX[collection]}_sim${tag}${index.toString().padStart(10, '0')}`;
}

/** The index of an id (of the account with `tag`; its untagged form is accepted too). */
export function simIndex(collection: CollectionName, id: string, tag = ''): number | undefined {
  const match = new RegExp(`^${PREFIX[collection]}_sim${tag ? `(?:${tag})?` : ''}(\\d{10})$`).exec(
    id,
  );
  return match ? Number(match[1]) : undefined;
}

export class Collection {
  readonly name: CollectionName;
  /** Objects ever created here (seeded + via the API). */
  count = 0;
  readonly #overrides = new Map<number, SimObject>();
  readonly #deleted = new Set<number>();
  readonly #generate: (index: number) => SimObject;
  /** Applied to every live object read (nested lists rendered from their child collections). */
  readonly #view: ((object: SimObject, index: number) => SimObject) | undefined;
  /** Seconds between the `created` of consecutive indexes (seeded objects). */
  readonly #step: number;

  /** The id tag of the account (see {@link simId}). */
  readonly tag: string;

  constructor(
    name: CollectionName,
    generate: (index: number) => SimObject,
    createdStep = 1,
    view?: (object: SimObject, index: number) => SimObject,
    tag = '',
  ) {
    this.name = name;
    this.tag = tag;
    this.#generate = generate;
    this.#step = createdStep;
    this.#view = view;
  }

  get liveCount(): number {
    return this.count - this.#deleted.size;
  }

  /** Current state, `undefined` if it never existed, or Stripe's deleted stub. */
  get(index: number): SimObject | undefined {
    if (index < 0 || index >= this.count) return undefined;
    if (this.#deleted.has(index))
      return {
        id: simId(this.name, index, this.tag),
        object: OBJECT_NAME[this.name],
        deleted: true,
      };
    const object = structuredClone(this.#overrides.get(index) ?? this.#generate(index));
    return this.#view ? this.#view(object, index) : object;
  }

  isDeleted(index: number): boolean {
    return this.#deleted.has(index);
  }

  /** The stored state of a live index, not copied and without the view (for filters). */
  peek(index: number): SimObject | undefined {
    if (index < 0 || index >= this.count || this.#deleted.has(index)) return undefined;
    return this.#overrides.get(index) ?? this.#generate(index);
  }

  /** Indexes whose objects were changed (or created) through the API. */
  changedIndexes(): number[] {
    return [...this.#overrides.keys()];
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
    /** Only these indexes (descending), e.g. the children of one parent. */
    indexes?: readonly number[];
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
      const after = simIndex(this.name, opts.startingAfter, this.tag);
      if (after === undefined || after >= this.count)
        return { error: `No such object: '${opts.startingAfter}'` };
      hi = Math.min(hi, after - 1);
    }
    const data: SimObject[] = [];
    const candidates = opts.indexes;
    const visit = (i: number): boolean => {
      if (this.#deleted.has(i)) return true;
      const o = this.get(i) as SimObject;
      if (opts.include && !opts.include(o)) return true;
      if (data.length === opts.limit) return false;
      data.push(o);
      return true;
    };
    if (candidates) {
      for (const i of candidates)
        if (i <= hi && i >= lo && !visit(i)) return { data, hasMore: true };
    } else {
      for (let i = hi; i >= lo; i--) if (!visit(i)) return { data, hasMore: true };
    }
    return { data, hasMore: false };
  }
}

/** paysync entity type (its canonical name) → the simulator collections its objects come from. */
const ENTITY_COLLECTIONS: Readonly<Record<string, readonly CollectionName[]>> = {
  customer: ['customers'],
  product: ['products'],
  price: ['prices'],
  subscription: ['subscriptions'],
  invoice: ['invoices'],
  payment_transaction: ['payment_intents', 'charges'],
  refund: ['refunds'],
  dispute: ['disputes'],
  credit_note: ['credit_notes'],
  coupon: ['coupons'],
  promotion_code: ['promotion_codes'],
  discount: ['discounts'],
  payment_method: ['payment_methods'],
  subscription_item: ['subscription_items'],
  subscription_schedule: ['subscription_schedules'],
  invoice_line_item: ['invoice_line_items'],
  tax_id: ['tax_ids'],
  checkout_session: ['checkout_sessions'],
  payout: ['payouts'],
  balance_transaction: ['balance_transactions'],
  early_fraud_warning: ['early_fraud_warnings'],
  review: ['reviews'],
  setup_intent: ['setup_intents'],
};

/** The simulator collections holding the objects of paysync entity type `entityType`. */
export function collectionsOf(entityType: string): readonly CollectionName[] {
  const collections = ENTITY_COLLECTIONS[entityType];
  if (!collections) throw new Error(`The simulator has no collection for ${entityType}`);
  return collections;
}
