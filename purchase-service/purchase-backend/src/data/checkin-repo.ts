import { queryOne, queryRows, type Queryable } from '@ticketslave/common';
import { memberRoleSql } from './organisations-repo';
import type {
  AdmitAttempt,
  CheckinStore,
  DoorTicket,
  FirstScan,
  ScanRecord,
  TicketConflict,
} from '../domain/ports';

interface DoorTicketRow {
  ticket_id: string;
  event_id: string;
  unit_id: string;
  category_id: string;
  section: string | null;
  row_label: string | null;
  seat: number | null;
  holder: string;
  status: 'valid' | 'void';
  checked_in_at: Date | null;
}

const doorTicket = (r: DoorTicketRow): DoorTicket => ({
  ticketId: r.ticket_id,
  eventId: r.event_id,
  unitId: r.unit_id,
  categoryId: r.category_id,
  section: r.section,
  row: r.row_label,
  seat: r.seat,
  holder: r.holder,
  status: r.status,
  checkedInAt: r.checked_in_at ? new Date(r.checked_in_at) : null,
});

const DOOR_COLUMNS = `t.ticket_id, t.event_id, t.unit_id, i.category_id, i.section, i.row_label, i.seat,
  coalesce(o.buyer_name, o.email) AS holder, t.status, t.checked_in_at`;
const DOOR_JOINS = `JOIN order_items i ON i.order_id = t.order_id AND i.unit_id = t.unit_id
  JOIN orders o ON o.order_id = t.order_id`;

/** The door's view of tickets, and every scan that admitted one (checkin_scans). */
export class PgCheckinStore implements CheckinStore {
  constructor(private readonly db: Queryable) {}

  async ofEvent(eventId: string): Promise<DoorTicket[]> {
    const rows = await queryRows<DoorTicketRow>(
      this.db,
      `SELECT ${DOOR_COLUMNS} FROM tickets t ${DOOR_JOINS} WHERE t.event_id = $1 ORDER BY t.unit_id, t.ticket_id`,
      [eventId],
    );
    return rows.map(doorTicket);
  }

  async lock(ticketId: string): Promise<DoorTicket | undefined> {
    const row = await queryOne<DoorTicketRow>(
      this.db,
      `SELECT ${DOOR_COLUMNS} FROM tickets t ${DOOR_JOINS} WHERE t.ticket_id = $1 FOR UPDATE OF t`,
      [ticketId],
    );
    return row && doorTicket(row);
  }

  async admit(a: AdmitAttempt): Promise<(DoorTicket & { category: string | undefined }) | undefined> {
    // One statement: the update admits the ticket only if it is this event's, valid, not yet
    // in, and the member may check in here; concurrent scans of a ticket serialise on its
    // row and re-check the condition, so one of them admits it.
    const row = await queryOne<DoorTicketRow & { category: string | null }>(
      this.db,
      `WITH adm AS (
         UPDATE tickets t SET checked_in_at = $3
         FROM events e
         WHERE t.ticket_id = $1 AND t.event_id = $2 AND e.event_id = t.event_id
           AND t.status = 'valid' AND t.checked_in_at IS NULL
           AND ($6 OR ${memberRoleSql('$5')} = ANY($7::text[]))
         RETURNING t.ticket_id, t.event_id, t.unit_id, t.order_id, t.status, t.checked_in_at, e.categories
       ), scan AS (
         INSERT INTO checkin_scans (scan_id, ticket_id, event_id, device_id, member_id, scanned_at, offline)
         SELECT $8, ticket_id, event_id, $4, $5, $3, false FROM adm
         ON CONFLICT (scan_id) DO NOTHING
       )
       SELECT ${DOOR_COLUMNS},
         (SELECT c->>'name' FROM jsonb_array_elements(t.categories) c WHERE c->>'id' = i.category_id) AS category
       FROM adm t ${DOOR_JOINS}`,
      [a.ticketId, a.eventId, a.at, a.deviceId, a.memberId, a.admin, a.roles, a.scanId],
    );
    return row && { ...doorTicket(row), category: row.category ?? undefined };
  }

  async record(scan: ScanRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO checkin_scans (scan_id, ticket_id, event_id, device_id, member_id, scanned_at, offline)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (scan_id) DO NOTHING`,
      [scan.scanId, scan.ticketId, scan.eventId, scan.deviceId, scan.memberId, scan.scannedAt, scan.offline],
    );
  }

  async firstScan(ticketId: string): Promise<FirstScan | undefined> {
    const row = await queryOne<{ scan_id: string; device_id: string; scanned_at: Date }>(
      this.db,
      `SELECT scan_id, device_id, scanned_at FROM checkin_scans WHERE ticket_id = $1
       ORDER BY scanned_at, scan_id LIMIT 1`,
      [ticketId],
    );
    return row && { scanId: row.scan_id, deviceId: row.device_id, scannedAt: new Date(row.scanned_at) };
  }

  async setCheckedIn(ticketId: string, at: Date): Promise<void> {
    await this.db.query(`UPDATE tickets SET checked_in_at = $2 WHERE ticket_id = $1`, [ticketId, at]);
  }

  async counts(eventId: string): Promise<{ valid: number; checkedIn: number }> {
    const row = await queryOne<{ valid: number; checked_in: number }>(
      this.db,
      `SELECT count(*) FILTER (WHERE status = 'valid')::int AS valid,
              count(*) FILTER (WHERE status = 'valid' AND checked_in_at IS NOT NULL)::int AS checked_in
       FROM tickets WHERE event_id = $1`,
      [eventId],
    );
    return { valid: row?.valid ?? 0, checkedIn: row?.checked_in ?? 0 };
  }

  async conflicts(eventId: string): Promise<TicketConflict[]> {
    const rows = await queryRows<
      DoorTicketRow & { scans: { scanId: string; deviceId: string; scannedAt: string; offline: boolean }[] }
    >(
      this.db,
      `WITH twice AS (
         SELECT ticket_id FROM checkin_scans WHERE event_id = $1 GROUP BY ticket_id HAVING count(*) > 1)
       SELECT ${DOOR_COLUMNS},
         (SELECT json_agg(json_build_object('scanId', s.scan_id, 'deviceId', s.device_id,
                 'scannedAt', s.scanned_at, 'offline', s.offline) ORDER BY s.scanned_at, s.scan_id)
          FROM checkin_scans s WHERE s.ticket_id = t.ticket_id) AS scans
       FROM twice JOIN tickets t USING (ticket_id) ${DOOR_JOINS} ORDER BY t.unit_id`,
      [eventId],
    );
    return rows.map((r) => ({
      ticket: doorTicket(r),
      scans: r.scans.map((s) => ({ ...s, scannedAt: new Date(s.scannedAt) })),
    }));
  }
}
