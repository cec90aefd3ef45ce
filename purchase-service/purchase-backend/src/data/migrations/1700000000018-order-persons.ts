import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One person, one place (issue 17.8): which account buys for each person in an event, a person
 * being the canonical form of the account's address (libs/common `canonicalEmail`: `a+1@` and
 * `a+2@` are one inbox). The primary key is the rule: the per-fan limit, counted per account,
 * is thereby a limit per person — a second account of the same inbox cannot hold seats too.
 */
export class OrderPersons1700000000018 implements MigrationInterface {
  name = 'OrderPersons1700000000018';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE IF NOT EXISTS order_persons (
      event_id uuid NOT NULL,
      person   text NOT NULL,
      user_id  text NOT NULL,
      PRIMARY KEY (event_id, person)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS order_persons`);
  }
}
