import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tickets that can't be screenshotted (issue 20.6): each event gets a random code key from
 * which every ticket's TOTP secret is derived (`ticketSecret` in @ticketslave/contracts),
 * and the organiser's choice to accept a static, printable code at its door (off by
 * default). Postgres evaluates the volatile default per row, so every existing event gets
 * its own key.
 */
export class TicketCodeRotation1700000000025 implements MigrationInterface {
  name = 'TicketCodeRotation1700000000025';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE events
      ADD COLUMN IF NOT EXISTS code_key text NOT NULL
        DEFAULT replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''),
      ADD COLUMN IF NOT EXISTS static_codes boolean NOT NULL DEFAULT false`);
    await q.query(
      `ALTER TABLE events ADD CONSTRAINT events_code_key_hex CHECK (code_key ~ '^[0-9a-f]{64}$')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE events DROP CONSTRAINT IF EXISTS events_code_key_hex`);
    await q.query(`ALTER TABLE events DROP COLUMN IF EXISTS static_codes, DROP COLUMN IF EXISTS code_key`);
  }
}
