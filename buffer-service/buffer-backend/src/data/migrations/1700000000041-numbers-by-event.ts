import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `numbers` becomes a table partitioned by event, one partition per closed event, and
 * `entries` gets an index of the late joiners.
 *
 * Why: a close writes one `numbers` row per entrant in draw order, which is random with
 * respect to the user ids. Into one shared table with a unique (event_id, user_id) index,
 * a million such rows were random b-tree inserts: 8.5 s in bench:queue, against 4.9 s for
 * a COPY of rows in user order. Now the close creates its event's partition in its own
 * transaction, COPYs the rows into it with no index, builds the two indexes once (a sort
 * each: queue_number, and user_id in the "C" collation, which compares bytes) and attaches
 * it (`closeNumbersPartition` in ../close-copy.ts); 1.7–2 s for a million. Attaching needs
 * only SHARE UPDATE EXCLUSIVE on `numbers`, so reads and late joins of other events go on.
 * Each partition holds one event, so its own unique indexes on (queue_number) and
 * (user_id) say what the old (event_id, …) ones said. There is no default partition: a
 * number for an event the close has not partitioned fails loudly instead of landing
 * somewhere no lookup expects it.
 *
 * Late joiners of the closing phase are read at the close under its exclusive lock; the
 * partial index makes that read a lookup instead of a scan of the event's entries.
 */
export class NumbersByEvent1700000000041 implements MigrationInterface {
  name = 'NumbersByEvent1700000000041';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE numbers RENAME TO numbers_unpartitioned`);
    await q.query(`
      CREATE TABLE numbers (
        event_id uuid NOT NULL,
        queue_number int NOT NULL CHECK (queue_number >= 1),
        user_id text COLLATE "C" NOT NULL
      ) PARTITION BY LIST (event_id)`);
    // Every event that has numbers or could get some (closed: late joiners) gets its partition.
    await q.query(`
      DO $$
      DECLARE e uuid; part text;
      BEGIN
        FOR e IN SELECT event_id FROM buffer_events WHERE state = 'closed'
                 UNION SELECT DISTINCT event_id FROM numbers_unpartitioned LOOP
          part := 'numbers_' || replace(e::text, '-', '');
          EXECUTE format('CREATE TABLE %I (LIKE numbers INCLUDING ALL)', part);
          EXECUTE format('INSERT INTO %I (event_id, queue_number, user_id)
                          SELECT event_id, queue_number, user_id FROM numbers_unpartitioned
                          WHERE event_id = %L ORDER BY queue_number', part, e);
          EXECUTE format('ALTER TABLE %I ADD PRIMARY KEY (queue_number), ADD UNIQUE (user_id)', part);
          EXECUTE format('ALTER TABLE numbers ATTACH PARTITION %I FOR VALUES IN (%L)', part, e);
        END LOOP;
      END $$`);
    await q.query(`DROP TABLE numbers_unpartitioned`);
    await q.query(`CREATE INDEX IF NOT EXISTS entries_late ON entries (event_id) WHERE late`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS entries_late`);
    await q.query(`ALTER TABLE numbers RENAME TO numbers_partitioned`);
    await q.query(`
      CREATE TABLE numbers (
        event_id uuid NOT NULL,
        queue_number int NOT NULL CHECK (queue_number >= 1),
        user_id text NOT NULL,
        PRIMARY KEY (event_id, queue_number),
        UNIQUE (event_id, user_id)
      )`);
    await q.query(`INSERT INTO numbers SELECT event_id, queue_number, user_id FROM numbers_partitioned`);
    await q.query(`DROP TABLE numbers_partitioned`); // and every partition with it
  }
}
