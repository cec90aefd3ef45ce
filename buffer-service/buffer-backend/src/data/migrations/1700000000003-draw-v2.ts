import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * draw-v2 (docs/fairness.md): events record their draw version and the authenticated beacon
 * round (signature and the chain that signed it) besides its randomness (`beacon`).
 *
 * Events whose close has begun keep draw-v1: their fans' receipts carry no commitment and
 * their documents verify as v1. Open events become draw-v2; the receipts handed out before
 * this migration simply carry no commitment (the verifier skips that check for them).
 */
export class DrawV21700000000003 implements MigrationInterface {
  name = 'DrawV21700000000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE buffer_events
        ADD COLUMN draw_version text NOT NULL DEFAULT 'draw-v2' CHECK (draw_version IN ('draw-v1', 'draw-v2')),
        ADD COLUMN beacon_signature text,
        ADD COLUMN beacon_previous_signature text,
        ADD COLUMN beacon_chain jsonb`);
    await q.query(`UPDATE buffer_events SET draw_version = 'draw-v1' WHERE state <> 'open'`);
    await q.query(`
      ALTER TABLE buffer_events ADD CONSTRAINT buffer_events_draw_v2_beacon CHECK (
        draw_version <> 'draw-v2' OR beacon IS NULL
        OR (beacon ~ '^[0-9a-f]{64}$' AND beacon_round IS NOT NULL
            AND beacon_signature IS NOT NULL AND beacon_chain IS NOT NULL))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE buffer_events DROP CONSTRAINT buffer_events_draw_v2_beacon,
        DROP COLUMN draw_version, DROP COLUMN beacon_signature,
        DROP COLUMN beacon_previous_signature, DROP COLUMN beacon_chain`);
  }
}
