import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The public list shows each event's price range, stored with the event: the lowest and
 * highest category price (category_price_min/max in ../sql/prices.sql, which the kit puts
 * in place before pending migrations run), in the first category's currency; NULL
 * without categories.
 */
export class FeedPrices1700000000003 implements MigrationInterface {
  name = 'FeedPrices1700000000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE events
        ADD COLUMN price_min_minor integer GENERATED ALWAYS AS (category_price_min(categories)) STORED,
        ADD COLUMN price_max_minor integer GENERATED ALWAYS AS (category_price_max(categories)) STORED,
        ADD COLUMN price_currency text GENERATED ALWAYS AS (categories -> 0 ->> 'currency') STORED;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE events DROP COLUMN price_min_minor, DROP COLUMN price_max_minor, DROP COLUMN price_currency`,
    );
  }
}
