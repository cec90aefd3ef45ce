import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A fan's places across events ("My queues", `GET /queue/api/places/me`): without it the
 * list is a scan of every event's fans.
 */
export class FansByUser1700000000028 implements MigrationInterface {
  name = 'FansByUser1700000000028';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX IF NOT EXISTS fans_by_user ON fans (user_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS fans_by_user`);
  }
}
