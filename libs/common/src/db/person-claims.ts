import { queryOne } from './query';
import type { Queryable } from './outbox';

/**
 * One person, one place (issue 17.8): claims `person` (`canonicalEmail` of an account's address)
 * in `eventId` for `userId` in `table`, a table keyed by (event_id, person) with a user_id;
 * answers the account holding it: `userId` itself, unless another account of the same person
 * claimed it first.
 */
export async function claimPerson(
  db: Queryable,
  table: string,
  eventId: string,
  person: string,
  userId: string,
): Promise<string> {
  for (;;) {
    // A claim racing ours commits before our ON CONFLICT decides; this statement's snapshot
    // may predate it, so an empty answer reads again.
    const row = await queryOne<{ user_id: string }>(
      db,
      `WITH ins AS (
         INSERT INTO ${table} (event_id, person, user_id) VALUES ($1, $2, $3)
         ON CONFLICT (event_id, person) DO NOTHING RETURNING user_id)
       SELECT user_id FROM ins
       UNION ALL SELECT user_id FROM ${table} WHERE event_id = $1 AND person = $2
       LIMIT 1`,
      [eventId, person, userId],
    );
    if (row) return row.user_id;
  }
}
