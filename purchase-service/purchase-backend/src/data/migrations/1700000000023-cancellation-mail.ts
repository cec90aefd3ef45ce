import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The mail telling a fan their paid order's event was cancelled (issue 20.8): a third kind in
 * the mail outbox, at most one per order.
 */
export class CancellationMail1700000000023 implements MigrationInterface {
  name = 'CancellationMail1700000000023';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE mail_outbox DROP CONSTRAINT mail_outbox_kind_check;
      ALTER TABLE mail_outbox ADD CONSTRAINT mail_outbox_kind_check
        CHECK (kind IN ('confirmation', 'refund', 'cancellation'));
      CREATE UNIQUE INDEX mail_outbox_one_cancellation ON mail_outbox (order_id) WHERE kind = 'cancellation';
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DELETE FROM mail_outbox WHERE kind = 'cancellation';
      DROP INDEX mail_outbox_one_cancellation;
      ALTER TABLE mail_outbox DROP CONSTRAINT mail_outbox_kind_check;
      ALTER TABLE mail_outbox ADD CONSTRAINT mail_outbox_kind_check CHECK (kind IN ('confirmation', 'refund'));
    `);
  }
}
