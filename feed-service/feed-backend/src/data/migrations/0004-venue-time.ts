import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The venue's time zone (an IANA name; every time of the event is shown in it, labelled)
 * and when its doors open. Existing events get UTC, which is what they were shown in
 * on a server; organisers correct it in the editor.
 */
export class VenueTime1700000000004 implements MigrationInterface {
  name = 'VenueTime1700000000004';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE events
        ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC' CHECK (length(time_zone) BETWEEN 1 AND 64),
        ADD COLUMN doors_at timestamptz
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE events DROP COLUMN time_zone, DROP COLUMN doors_at`);
  }
}
