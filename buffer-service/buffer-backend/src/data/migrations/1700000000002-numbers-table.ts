import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Queue numbers move out of `entries` into an insert-only `numbers` table.
 *
 * Writing a million numbers into `entries` was an UPDATE of every row: each one a new
 * heap tuple (the number is indexed, so never a HOT update) plus new entries in every
 * index of the table, half a million dead tuples and a hash join to find the rows.
 * Appending `(event, number, user)` rows instead writes each number once, with two
 * narrow indexes, in the close's one transaction (so a crash still rolls back to
 * `closing` and the restart redraws the same numbers).
 *
 * No foreign keys: the rows come from the entries the close read under the event's
 * exclusive lock, and a per-row check would cost a million trigger calls.
 *
 * `queue.assigned` is published from this table rather than through the outbox: the
 * numbers committed with the close (or a late join) are the record of what is owed,
 * and `buffer_events.published_number` is how far it has been paid. Numbers are a
 * contiguous prefix 1..last_number at every commit (late joiners take them under the
 * event row's lock), so the publisher sends them in number order, in batches, and
 * advances the cursor after the broker acknowledged: at least once, in order, without
 * writing 60 MB of JSON into the outbox and reading it back for a million fans.
 *
 * `entrant_hash` becomes COLLATE "C": its unique index then yields the hashes in
 * byte order, the order draw-v1 sorts them in, for the close and the fairness document.
 */
export class NumbersTable1700000000002 implements MigrationInterface {
  name = 'NumbersTable1700000000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE numbers (
        event_id uuid NOT NULL,
        queue_number int NOT NULL CHECK (queue_number >= 1),
        user_id text NOT NULL,
        PRIMARY KEY (event_id, queue_number),
        UNIQUE (event_id, user_id)
      )`);
    await q.query(`
      INSERT INTO numbers (event_id, queue_number, user_id)
      SELECT event_id, queue_number, user_id FROM entries WHERE queue_number IS NOT NULL`);
    await q.query('ALTER TABLE buffer_events ADD COLUMN published_number int NOT NULL DEFAULT 0');
    // Numbers written before this migration went out through the outbox.
    await q.query('UPDATE buffer_events SET published_number = last_number');
    await q.query(
      'CREATE INDEX buffer_events_unpublished ON buffer_events (event_id) WHERE published_number < last_number',
    );
    await q.query('DROP INDEX entries_unnumbered');
    await q.query('ALTER TABLE entries DROP COLUMN queue_number');
    await q.query('ALTER TABLE entries ALTER COLUMN entrant_hash TYPE text COLLATE "C"');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE entries ALTER COLUMN entrant_hash TYPE text COLLATE "default"');
    await q.query('ALTER TABLE entries ADD COLUMN queue_number int CHECK (queue_number >= 1)');
    await q.query(
      'UPDATE entries e SET queue_number = n.queue_number FROM numbers n WHERE n.event_id = e.event_id AND n.user_id = e.user_id',
    );
    await q.query('ALTER TABLE entries ADD UNIQUE (event_id, queue_number)');
    await q.query(`CREATE INDEX entries_unnumbered ON entries (event_id, seq) WHERE queue_number IS NULL`);
    await q.query('DROP TABLE numbers');
    await q.query('ALTER TABLE buffer_events DROP COLUMN published_number');
  }
}
