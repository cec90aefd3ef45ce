import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A fan may try again within their admission (issue 20.5): after a declined, released or
 * lapsed order they may hold again until the admission expires. The shopping slot follows
 * the admission's current order: its order.created takes the slot again, and only the end
 * of that same order (completed, expired, cancelled) frees it — an older order's end,
 * arriving late from another partition, does not.
 */
export class CurrentOrder1700000000003 implements MigrationInterface {
  name = 'CurrentOrder1700000000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE fans ADD COLUMN current_order_id uuid`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE fans DROP COLUMN current_order_id`);
  }
}
