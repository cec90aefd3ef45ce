import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The announced sale time, from the event snapshots. The admitter gives no turn
 * before it, even when the organiser closes the buffer early. Null (rows from
 * before this migration) means no known sale time: admission is not held back.
 */
export class SaleStartsAt1700000000002 implements MigrationInterface {
  name = 'SaleStartsAt1700000000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE queue_events ADD COLUMN sale_starts_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE queue_events DROP COLUMN sale_starts_at`);
  }
}
