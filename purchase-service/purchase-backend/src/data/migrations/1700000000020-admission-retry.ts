import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Try again within the window (issue 20.5): an admission has one live order at a time, not
 * one order ever. An order that failed (card declined), was released or lapsed no longer
 * holds the admission, so the fan may hold again until the admission expires. Live is what
 * the hold's check and the order's status agree on: pending_payment, confirmed, paid,
 * refunded (the same list in sql/holds.sql's hold_one).
 */
export class AdmissionRetry1700000000020 implements MigrationInterface {
  name = 'AdmissionRetry1700000000020';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_admission_id_key`);
    await q.query(`CREATE UNIQUE INDEX IF NOT EXISTS orders_live_admission ON orders (admission_id)
      WHERE status IN ('pending_payment', 'confirmed', 'paid', 'refunded')`);
    await q.query(`CREATE INDEX IF NOT EXISTS orders_by_admission ON orders (admission_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS orders_by_admission`);
    await q.query(`DROP INDEX IF EXISTS orders_live_admission`);
    await q.query(`ALTER TABLE orders ADD CONSTRAINT orders_admission_id_key UNIQUE (admission_id)`);
  }
}
