import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The difficulty of each event's join proof of work (ALTCHA maxnumber), from the queue
 * settings of feed's snapshots; events known before the setting get the default.
 */
export class JoinPow1700000000017 implements MigrationInterface {
  name = 'JoinPow1700000000017';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE buffer_events ADD COLUMN IF NOT EXISTS join_pow_max_number int NOT NULL DEFAULT 50000
         CHECK (join_pow_max_number > 0)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE buffer_events DROP COLUMN IF EXISTS join_pow_max_number`);
  }
}
