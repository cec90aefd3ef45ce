import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The per-event limit by payment card (issue 17.8): each order remembers the fingerprint of
 * the card that authorized it, and `event_cards` holds one row per (event, card) that an
 * authorization locks (FOR UPDATE) before counting the card's tickets, so two authorizations
 * with one card are decided one after the other and cannot both pass.
 */
export class CardLimits1700000000019 implements MigrationInterface {
  name = 'CardLimits1700000000019';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE orders ADD COLUMN IF NOT EXISTS card_fingerprint text`);
    await q.query(`CREATE INDEX IF NOT EXISTS orders_event_card ON orders (event_id, card_fingerprint)
      WHERE card_fingerprint IS NOT NULL`);
    await q.query(`CREATE TABLE IF NOT EXISTS event_cards (
      event_id    uuid NOT NULL,
      fingerprint text NOT NULL,
      PRIMARY KEY (event_id, fingerprint)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS event_cards`);
    await q.query(`DROP INDEX IF EXISTS orders_event_card`);
    await q.query(`ALTER TABLE orders DROP COLUMN IF EXISTS card_fingerprint`);
  }
}
