import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One person, one place (issue 17.8): which account holds each person's place in an event's
 * buffer, a person being the canonical form of the account's address (libs/common
 * `canonicalEmail`: `a+1@` and `a+2@` are one inbox, one person). The primary key is the rule:
 * a second account of the same inbox cannot join the same event.
 */
export class EntryPersons1700000000018 implements MigrationInterface {
  name = 'EntryPersons1700000000018';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE IF NOT EXISTS entry_persons (
      event_id uuid NOT NULL,
      person   text NOT NULL,
      user_id  text NOT NULL,
      PRIMARY KEY (event_id, person)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS entry_persons`);
  }
}
