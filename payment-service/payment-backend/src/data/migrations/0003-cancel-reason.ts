import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Why purchase cancelled an order (`order.cancelled`'s reason: seats_gone, card_limit_exceeded,
 * released, …), kept on the order: an authorization voided because the order is off says
 * the same reason whichever path voids it first (the cancellation's consumer, or a webhook of
 * the authorization arriving after it).
 */
export class CancelReason1764172800003 implements MigrationInterface {
  name = 'CancelReason1764172800003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE orders ADD COLUMN cancel_reason text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE orders DROP COLUMN cancel_reason`);
  }
}
