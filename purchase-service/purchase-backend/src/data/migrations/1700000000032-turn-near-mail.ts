import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * "Your turn is near" (issue 20.8): a fourth kind in the mail outbox, about a place in the
 * queue rather than an order. Such a row names the event, the fan, the address they opted in
 * with and how many fans were ahead; at most one per (event, fan), so a place is mailed once
 * however often `queue.turn_near` arrives.
 */
export class TurnNearMail1700000000032 implements MigrationInterface {
  name = 'TurnNearMail1700000000032';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE mail_outbox ALTER COLUMN order_id DROP NOT NULL;
      ALTER TABLE mail_outbox
        ADD COLUMN event_id uuid,
        ADD COLUMN user_id text,
        ADD COLUMN email text,
        ADD COLUMN ahead int;
      ALTER TABLE mail_outbox DROP CONSTRAINT mail_outbox_kind_check;
      ALTER TABLE mail_outbox ADD CONSTRAINT mail_outbox_kind_check
        CHECK (kind IN ('confirmation', 'refund', 'cancellation', 'turn_near'));
      ALTER TABLE mail_outbox ADD CONSTRAINT mail_outbox_turn_near_named CHECK (
        CASE WHEN kind = 'turn_near'
          THEN order_id IS NULL AND event_id IS NOT NULL AND user_id IS NOT NULL AND email IS NOT NULL AND ahead IS NOT NULL
          ELSE order_id IS NOT NULL END);
      CREATE UNIQUE INDEX mail_outbox_one_turn_near ON mail_outbox (event_id, user_id) WHERE kind = 'turn_near';
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DELETE FROM mail_outbox WHERE kind = 'turn_near';
      DROP INDEX mail_outbox_one_turn_near;
      ALTER TABLE mail_outbox DROP CONSTRAINT mail_outbox_turn_near_named;
      ALTER TABLE mail_outbox DROP CONSTRAINT mail_outbox_kind_check;
      ALTER TABLE mail_outbox ADD CONSTRAINT mail_outbox_kind_check
        CHECK (kind IN ('confirmation', 'refund', 'cancellation'));
      ALTER TABLE mail_outbox DROP COLUMN event_id, DROP COLUMN user_id, DROP COLUMN email, DROP COLUMN ahead;
      ALTER TABLE mail_outbox ALTER COLUMN order_id SET NOT NULL;
    `);
  }
}
