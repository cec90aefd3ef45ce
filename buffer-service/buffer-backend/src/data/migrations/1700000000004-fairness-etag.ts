import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Fairness documents are built once, stored in S3 and served from there (issue 17.11): the
 * event row records the stored document's strong ETag. Closed events without one (closed
 * before this migration, or a publish a crash interrupted) are found by the closer.
 */
export class FairnessEtag1700000000004 implements MigrationInterface {
  name = 'FairnessEtag1700000000004';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE buffer_events ADD COLUMN fairness_etag text');
    await q.query(
      `CREATE INDEX buffer_events_unpublished_fairness ON buffer_events (event_id)
       WHERE state = 'closed' AND fairness_etag IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX buffer_events_unpublished_fairness');
    await q.query('ALTER TABLE buffer_events DROP COLUMN fairness_etag');
  }
}
