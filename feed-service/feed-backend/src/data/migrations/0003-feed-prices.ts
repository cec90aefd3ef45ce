import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The public list shows each event's price range. Computed once per write instead of per
 * read: the list no longer ships and parses every event's seat layout (most of a list
 * request's CPU was reading rows). Same rule as `priceRange()` in event-rules: the lowest and
 * highest category price, in the first category's currency; NULL without categories.
 */
export class FeedPrices1700000000003 implements MigrationInterface {
  name = 'FeedPrices1700000000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION category_price_min(categories jsonb) RETURNS integer
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$ SELECT min((c ->> 'priceMinor')::integer) FROM jsonb_array_elements(categories) c $$;
      CREATE FUNCTION category_price_max(categories jsonb) RETURNS integer
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$ SELECT max((c ->> 'priceMinor')::integer) FROM jsonb_array_elements(categories) c $$;
      ALTER TABLE events
        ADD COLUMN price_min_minor integer GENERATED ALWAYS AS (category_price_min(categories)) STORED,
        ADD COLUMN price_max_minor integer GENERATED ALWAYS AS (category_price_max(categories)) STORED,
        ADD COLUMN price_currency text GENERATED ALWAYS AS (categories -> 0 ->> 'currency') STORED;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE events DROP COLUMN price_min_minor, DROP COLUMN price_max_minor, DROP COLUMN price_currency;
      DROP FUNCTION category_price_min(jsonb), category_price_max(jsonb);
    `);
  }
}
