-- Best available together (issue 20.4): N adjacent seats of one reserved category, the best
-- block by the scoring of docs/architecture.md ("Best available"), locked for hold_one.
-- Called only by hold_one (sql/holds.sql), with hold_units_batch's locks held.
--
-- The layout gives no stage coordinates, only the order of rows and seats (feed's sections:
-- rows listed from the stage back, seats numbered 1..n across the row). So, per block of
-- seats start..start+N−1 in one row:
--   depth  = how many rows of its section are nearer the stage (0 for the front row);
--   offset = |block centre − row centre| / (row width / 2), 0 (centred) … <1 (at the edge),
--            where the row centre is (width + 1) / 2 and width the row's highest seat number;
--   score  = depth + offset: lower is better. The edge of a row is worth about the centre of
--            the row behind it.
-- Ties: the section listed first, then the lower seat numbers. Seats are adjacent when their
-- numbers are consecutive in one row: a seat missing from the layout breaks a block.
--
-- Candidates are the best block of each run of free seats (the score is lowest there, so the
-- best block overall is among them) and the blocks tiling that run from it; they are tried
-- best first. Each is locked FOR UPDATE SKIP LOCKED and taken only if all N rows are locked
-- and still 'available' (so a block another transaction holds or is holding is passed over,
-- never waited for, and never half-taken); a failed candidate's seats are remembered so no
-- later candidate containing them is tried. Returns the block's tuple ids,
-- or NULL when no block of N is free. A failed candidate's rows stay locked until the commit:
-- at worst a concurrent best-available hold passes them over too.
CREATE OR REPLACE FUNCTION best_block(p_event uuid, p_category text, p_quantity int)
RETURNS tid[] LANGUAGE plpgsql AS $fn$
DECLARE
  c record;
  v_ids text[];
  v_ctids tid[];
  v_bad text[] := '{}';
BEGIN
  FOR c IN
    WITH row_info AS (
      -- Every row of the category, whatever its seats' states: its width and its depth.
      -- (Grouped and compared byte-wise, COLLATE "C": the labels' order does not matter here,
      -- and the locale's collation made this statement twice as slow.)
      SELECT section, row_label, max(seat) AS width,
             rank() OVER (PARTITION BY section ORDER BY min(ordinal)) - 1 AS depth,
             min(min(ordinal)) OVER (PARTITION BY section) AS section_first
      FROM (SELECT section COLLATE "C" AS section, row_label COLLATE "C" AS row_label, seat, ordinal
            FROM units WHERE event_id = p_event AND category_id = p_category AND seat IS NOT NULL) u
      GROUP BY section, row_label
    ), runs AS (
      -- Runs of free seats with consecutive numbers, read in layout order (the partial index of
      -- available units, no sort): a run is where both the ordinal and the seat number climb by
      -- one from seat to seat.
      SELECT section, row_label, min(seat) AS lo, max(seat) AS hi
      FROM (SELECT section COLLATE "C" AS section, row_label COLLATE "C" AS row_label, seat,
                   ordinal - row_number() OVER w AS run_o, seat - row_number() OVER w AS run_s
            FROM units
            WHERE event_id = p_event AND category_id = p_category AND status = 'available'
              AND seat IS NOT NULL
            WINDOW w AS (ORDER BY ordinal)) a
      GROUP BY run_o, run_s, section, row_label
      HAVING count(*) >= p_quantity
    )
    SELECT r.section, r.row_label, s AS start
    FROM runs r JOIN row_info w USING (section, row_label),
         -- The run's best start (its block nearest the row centre), and the blocks that tile
         -- the run from it leftwards and rightwards: disjoint alternatives for when a
         -- concurrent hold has the best one locked. (Every start of every run: 1.9 million
         -- candidates sorted per hold of 4 in a 20,000-seat category, 86 ms a hold.)
         LATERAL (SELECT greatest(r.lo, least(r.hi - p_quantity + 1,
                                              (w.width - p_quantity) / 2 + 1)) AS best) b,
         generate_series(r.lo + (b.best - r.lo) % p_quantity, r.hi - p_quantity + 1, p_quantity) s
    ORDER BY w.depth + abs(2 * s + p_quantity - 1 - (w.width + 1))::numeric / w.width,
             w.section_first, s
  LOOP
    v_ids := ARRAY(SELECT format('%s/%s/%s/%s', p_category, c.section, c.row_label, n)
                   FROM generate_series(c.start, c.start + p_quantity - 1) n);
    CONTINUE WHEN v_ids && v_bad;
    v_ctids := ARRAY(SELECT ctid FROM units
                     WHERE event_id = p_event AND unit_id = ANY (v_ids) AND status = 'available'
                     ORDER BY unit_id FOR UPDATE SKIP LOCKED);
    IF cardinality(v_ctids) = p_quantity THEN
      RETURN v_ctids;
    END IF;
    v_bad := v_bad || ARRAY(SELECT u FROM unnest(v_ids) u WHERE NOT u = ANY (ARRAY(
      SELECT unit_id FROM units WHERE ctid = ANY (v_ctids))));
  END LOOP;
  RETURN NULL;
END
$fn$;

-- Why best_block found nothing, for the fan: {reason: 'no_adjacent', category (its name),
-- quantity, available (places of the category left), largest (the longest run of adjacent
-- available seats)}. The fan can then ask for fewer together, or pick seats on the map.
CREATE OR REPLACE FUNCTION no_adjacent(p_event uuid, p_category text, p_quantity int)
RETURNS json LANGUAGE sql STABLE AS $fn$
  SELECT json_build_object(
    'reason', 'no_adjacent',
    'category', coalesce((SELECT c ->> 'name' FROM events, jsonb_array_elements(categories) c
                          WHERE event_id = p_event AND c ->> 'id' = p_category), p_category),
    'quantity', p_quantity,
    'available', (SELECT count(*)::int FROM units
                  WHERE event_id = p_event AND category_id = p_category AND status = 'available'),
    'largest', coalesce((SELECT max(n)::int FROM (
        SELECT count(*) AS n FROM (
          SELECT section, row_label,
                 seat - row_number() OVER (PARTITION BY section, row_label ORDER BY seat) AS island
          FROM units WHERE event_id = p_event AND category_id = p_category
            AND status = 'available' AND seat IS NOT NULL) a
        GROUP BY section, row_label, island) r), 0))
$fn$;
