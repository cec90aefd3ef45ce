import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every scan at the door, online or recorded by a device offline and synced later. The
 * scan id is the device's, so a sync sent twice records nothing twice. A ticket's
 * checked_in_at is its first scan: the earliest scanned_at wins, however late it synced.
 */
export class CheckinScans1700000000009 implements MigrationInterface {
  name = 'CheckinScans1700000000009';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE checkin_scans (
        scan_id uuid PRIMARY KEY,
        ticket_id uuid NOT NULL REFERENCES tickets(ticket_id),
        event_id uuid NOT NULL,
        device_id text NOT NULL,
        member_id text NOT NULL,
        scanned_at timestamptz NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        offline boolean NOT NULL
      );
      CREATE INDEX checkin_scans_by_ticket ON checkin_scans (ticket_id, scanned_at, scan_id);
      CREATE INDEX checkin_scans_by_event ON checkin_scans (event_id);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE checkin_scans`);
  }
}
