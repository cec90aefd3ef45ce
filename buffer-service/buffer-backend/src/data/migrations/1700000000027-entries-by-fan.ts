import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A fan's places across events ("My queues", `GET /buffer/api/entries/me`): without it the
 * list is a scan of every event's entries (a million per big on-sale).
 */
export class EntriesByFan1700000000027 implements MigrationInterface {
  name = 'EntriesByFan1700000000027';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX IF NOT EXISTS entries_by_fan ON entries (user_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS entries_by_fan`);
  }
}
