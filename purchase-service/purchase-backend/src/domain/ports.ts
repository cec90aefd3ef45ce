import type { Queryable } from '@ticketslave/common';

/** Runs `fn` in one database transaction; the domain never sees the ORM behind it. */
export type Transact = <T>(fn: (db: Queryable) => Promise<T>) => Promise<T>;
export type { Queryable };

export const SELLING_STATUSES = ['published', 'on_sale'] as const;
