import { lockKeySql, queryOne, queryRows, type EventSnapshot, type Queryable } from '@ticketslave/common';
import type { EventCodeSettings, EventStore, SaleEvent } from '../domain/ports';

interface EventRow {
  event_id: string;
  organiser_id: string;
  organisation_id: string | null;
  time_zone: string;
  doors_at: Date | null;
  status: string;
  title: string;
  venue: string;
  starts_at: Date;
  hold_seconds: number;
  per_user_limit: number;
  categories: SaleEvent['categories'];
}

const toEvent = (r: EventRow): SaleEvent => ({
  eventId: r.event_id,
  organiserId: r.organiser_id,
  organisationId: r.organisation_id,
  timeZone: r.time_zone,
  doorsAt: r.doors_at,
  status: r.status,
  title: r.title,
  venue: r.venue,
  startsAt: r.starts_at,
  holdSeconds: r.hold_seconds,
  perUserLimit: r.per_user_limit,
  categories: r.categories,
});

export class PgEventStore implements EventStore {
  constructor(private readonly db: Queryable) {}

  async upsert(snap: EventSnapshot): Promise<boolean> {
    const categories = snap.categories.map((c) => ({
      id: c.id,
      name: c.name,
      kind: c.kind,
      priceMinor: c.priceMinor,
      currency: c.currency,
    }));
    const row = await queryOne<{ event_id: string }>(
      this.db,
      `INSERT INTO events (event_id, version, organiser_id, status, title, venue, starts_at, hold_seconds, per_user_limit,
         categories, organisation_id, time_zone, doors_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (event_id) DO UPDATE SET
         version = excluded.version, organiser_id = excluded.organiser_id,
         organisation_id = excluded.organisation_id, time_zone = excluded.time_zone, doors_at = excluded.doors_at,
         status = CASE WHEN events.status = 'cancelled' THEN 'cancelled' ELSE excluded.status END,
         title = excluded.title, venue = excluded.venue, starts_at = excluded.starts_at,
         hold_seconds = excluded.hold_seconds, per_user_limit = excluded.per_user_limit,
         categories = excluded.categories, updated_at = now()
       WHERE events.version < excluded.version
       RETURNING event_id`,
      [
        snap.eventId,
        snap.version,
        snap.organiserId,
        snap.status,
        snap.title,
        snap.venue,
        snap.startsAt,
        snap.holdSeconds,
        snap.perUserLimit,
        JSON.stringify(categories),
        snap.organisationId ?? null,
        snap.timeZone ?? 'UTC',
        snap.doorsAt ?? null,
      ],
    );
    if (!row) return false;
    // What the inventory publisher last sent: a row of its own, so publishing never
    // contends with holds for the events row.
    await this.db.query(`INSERT INTO inventory_published (event_id) VALUES ($1) ON CONFLICT DO NOTHING`, [
      snap.eventId,
    ]);
    return true;
  }

  async get(eventId: string): Promise<SaleEvent | undefined> {
    const row = await queryOne<EventRow>(this.db, `SELECT * FROM events WHERE event_id = $1`, [eventId]);
    return row && toEvent(row);
  }

  async codeSettings(eventId: string): Promise<EventCodeSettings | undefined> {
    const row = await queryOne<{ code_key: string; static_codes: boolean }>(
      this.db,
      `SELECT code_key, static_codes FROM events WHERE event_id = $1`,
      [eventId],
    );
    return row && { codeKey: row.code_key, staticCodes: row.static_codes };
  }

  async setStaticCodes(eventId: string, allowed: boolean): Promise<void> {
    await this.db.query(`UPDATE events SET static_codes = $2, updated_at = now() WHERE event_id = $1`, [
      eventId,
      allowed,
    ]);
  }

  async cancel(eventId: string): Promise<void> {
    // Exclusive: every hold takes this lock shared (hold_units_batch).
    await queryRows(
      this.db,
      `SELECT pg_advisory_xact_lock(${lockKeySql('purchase.event', '$1::uuid::text')})::text`,
      [eventId],
    );
    await queryRows(
      this.db,
      `UPDATE events SET status = 'cancelled', updated_at = now() WHERE event_id = $1`,
      [eventId],
    );
  }
}
