/** A position in a newest-first listing ordered by `(createdAt desc, id desc)`. */
export interface CreatedKey {
  readonly createdAt: Date;
  readonly id: string;
}

/**
 * The `where` fragment for the rows strictly after `key` in `(createdAt desc, id desc)` order: older,
 * or as old with a smaller id (a tie on `createdAt` must not skip or repeat a row between pages).
 */
export function createdBefore(key: CreatedKey): {
  OR: [{ createdAt: { lt: Date } }, { createdAt: Date; id: { lt: string } }];
} {
  return {
    OR: [{ createdAt: { lt: key.createdAt } }, { createdAt: key.createdAt, id: { lt: key.id } }],
  };
}
