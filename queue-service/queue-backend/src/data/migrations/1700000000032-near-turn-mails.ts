import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Fans who asked to be e-mailed when their turn is near (issue 20.8), one row per place. The
 * admitter marks a row sent in the tick that finds the fan within the threshold, and writes
 * `queue.turn_near` in the same transaction; a sent row stays, so a place is mailed once.
 * The partial index is what each tick reads: the rows not yet sent, by queue number.
 */
export class NearTurnMails1700000000032 implements MigrationInterface {
  name = 'NearTurnMails1700000000032';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE near_turn_mails (
        event_id uuid NOT NULL,
        user_id text NOT NULL,
        queue_number int NOT NULL,
        email text NOT NULL,
        opted_in_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz,
        PRIMARY KEY (event_id, user_id),
        FOREIGN KEY (event_id, user_id) REFERENCES fans (event_id, user_id)
      );
      CREATE INDEX near_turn_mails_due ON near_turn_mails (event_id, queue_number) WHERE sent_at IS NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE near_turn_mails`);
  }
}
