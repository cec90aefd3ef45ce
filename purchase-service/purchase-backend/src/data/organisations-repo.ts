import { queryOne, queryRows, type MemberRole, type Payload, type Queryable } from '@ticketslave/common';
import type { OrganisationStore } from '../domain/ports';

/**
 * SQL for the role of user `userParam` on the event aliased `e`: its organisation's member
 * role, or 'owner' for the organiser of an event without an organisation; NULL for anyone else.
 */
export const memberRoleSql = (userParam: string): string =>
  `CASE WHEN e.organisation_id IS NULL
     THEN CASE WHEN e.organiser_id = ${userParam} THEN 'owner' END
     ELSE (SELECT m.role FROM organisation_members m
           WHERE m.organisation_id = e.organisation_id AND m.user_id = ${userParam}) END`;

/** Organisations and members as feed last announced them; who may act on which event. */
export class PgOrganisationStore implements OrganisationStore {
  constructor(private readonly db: Queryable) {}

  async apply(p: Payload<'organisation.updated'>): Promise<boolean> {
    const row = await queryOne<{ organisation_id: string }>(
      this.db,
      `INSERT INTO organisations (organisation_id, version, name, release_seats_on_external_refund)
       VALUES ($1, $2, $3, $4)
       ON CONFLICT (organisation_id) DO UPDATE SET version = excluded.version, name = excluded.name,
         release_seats_on_external_refund = excluded.release_seats_on_external_refund
       WHERE organisations.version < excluded.version
       RETURNING organisation_id`,
      [p.organisationId, p.version, p.name, p.settings.releaseSeatsOnExternalRefund],
    );
    if (!row) return false;
    await this.db.query(`DELETE FROM organisation_members WHERE organisation_id = $1`, [p.organisationId]);
    await this.db.query(
      `INSERT INTO organisation_members (organisation_id, user_id, role)
       SELECT $1, m.user_id, m.role FROM unnest($2::text[], $3::text[]) AS m(user_id, role)`,
      [p.organisationId, p.members.map((m) => m.userId), p.members.map((m) => m.role)],
    );
    return true;
  }

  async roleOnEvent(eventId: string, userId: string): Promise<MemberRole | undefined> {
    const row = await queryOne<{ role: MemberRole | null }>(
      this.db,
      `SELECT ${memberRoleSql('$2')} AS role FROM events e WHERE e.event_id = $1`,
      [eventId, userId],
    );
    return row?.role ?? undefined;
  }

  async releaseSeatsOnExternalRefund(eventId: string): Promise<boolean> {
    const rows = await queryRows<{ release: boolean }>(
      this.db,
      `SELECT o.release_seats_on_external_refund AS release FROM events e
       JOIN organisations o ON o.organisation_id = e.organisation_id WHERE e.event_id = $1`,
      [eventId],
    );
    return rows[0]?.release ?? true;
  }
}
