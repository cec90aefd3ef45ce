/**
 * Every PostgreSQL advisory lock the platform takes, and the order they are taken in
 * (after pretix's services/locking.py). TypeScript and SQL name a lock only through
 * here: a key is `hashtextextended('ticketslave:<name>:<part>:<part>…', 0)`, built by
 * `lockKeySql` in the statement that takes the lock, or passed by that statement as a
 * `bigint` parameter to an SQL function (which then never spells a key itself).
 *
 * Lock order: a transaction that takes more than one of these takes them in ascending
 * `order`. Row locks sit between them where `order` says so (purchase's units are locked
 * after the fans' locks and before the outbox's); two transactions that both follow the
 * order cannot deadlock. Locks with the same order are never held together, or are
 * taken in the sorted order of their keys (purchase's fan locks in a batch of holds).
 */
export const ADVISORY_LOCKS = {
  /** One instance at a time migrates a schema and applies its SQL functions (session lock). */
  'kit.migrate': { order: 0, parts: ['schema'] },
  /** The outbox relay's lease: one relay per schema publishes (session try-lock). */
  'kit.outbox-relay': { order: 0, parts: ['schema'] },
  /** Runs of the demo seed take turns (session lock). */
  'feed.seed': { order: 0, parts: [] },
  /** Operators' admin-role changes take turns, so two revokes cannot leave no admin. */
  'feed.admins': { order: 0, parts: [] },
  /** Shared by every join, exclusive for the close: a join commits wholly before or after it. */
  'buffer.event': { order: 10, parts: ['eventId'] },
  /** One instance publishes an event's queue numbers at a time (transaction try-lock). */
  'buffer.publish': { order: 10, parts: ['eventId'] },
  /** One instance ticks an event's admitter at a time (transaction try-lock). */
  'queue.admitter': { order: 10, parts: ['eventId'] },
  /**
   * Shared by every hold, exclusive for the event's cancellation: the cancellation waits
   * for holds in flight, and holds after it see the event cancelled.
   */
  'purchase.event': { order: 10, parts: ['eventId'] },
  /**
   * One fan's holds for one event, one at a time: the per-user limit is exact because
   * the next statement's snapshot, taken once the lock is granted, sees every earlier
   * hold of that fan. After it (order 30): the units' rows, in unit_id order.
   */
  'purchase.fan': { order: 20, parts: ['eventId', 'userId'] },
  /**
   * Last: held shared by every transaction writing to a schema's outbox, exclusively by
   * its relay for an instant (see OutboxRelay).
   */
  'kit.outbox-write': { order: 90, parts: ['schema'] },
} as const satisfies Record<string, { order: number; parts: readonly string[] }>;

export type LockName = keyof typeof ADVISORY_LOCKS;
type AsStrings<T extends readonly unknown[]> = { -readonly [K in keyof T]: string };
type Parts<N extends LockName> = AsStrings<(typeof ADVISORY_LOCKS)[N]['parts']>;

/**
 * A lock's key as an SQL `bigint` expression, from SQL expressions for its parts (a
 * parameter such as `'$1::uuid::text'` — through uuid, so every spelling of an id takes
 * the same lock —, a column, `current_schema()`).
 */
export function lockKeySql<N extends LockName>(name: N, ...parts: Parts<N>): string {
  const text = [`'ticketslave:${name}'`, ...parts.map((p) => `':' || (${p})`)].join(' || ');
  return `hashtextextended(${text}, 0)`;
}
