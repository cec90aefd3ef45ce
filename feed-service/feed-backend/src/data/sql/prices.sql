-- An event's price range, for the generated columns events.price_min_minor and
-- price_max_minor (migration 0003): computed once per write instead of per read, so the
-- public list does not ship and parse every event's seat layout. The same rule as
-- priceRange() in domain/event-rules.ts: the lowest and highest category price; NULL
-- without categories.
--
-- The columns depend on these functions, so a start replaces them in place (same
-- signature) and never drops them. Stored values are not recomputed when a body changes:
-- a changed rule needs a migration that rewrites the rows.

CREATE OR REPLACE FUNCTION category_price_min(categories jsonb) RETURNS integer
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT min((c ->> 'priceMinor')::integer) FROM jsonb_array_elements(categories) c $$;

CREATE OR REPLACE FUNCTION category_price_max(categories jsonb) RETURNS integer
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT max((c ->> 'priceMinor')::integer) FROM jsonb_array_elements(categories) c $$;
