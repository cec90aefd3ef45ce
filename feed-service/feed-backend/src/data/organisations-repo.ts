import {
  enqueueMessages,
  queryOne,
  queryRows,
  type MemberRole,
  type OrganisationSettings,
  type OutgoingMessage,
  type Queryable,
} from '@ticketslave/common';
import type { DataSource } from 'typeorm';
import type {
  Application,
  ApplicationInput,
  Invitation,
  Member,
  Membership,
  OrganisationAuditEntry,
  OrganisationState,
  OrganisationStore,
  OrganisationTx,
} from '../domain/organisation-ports';

interface InvitationRow {
  id: string;
  organisation_id: string;
  organisation_name: string;
  email: string;
  role: MemberRole;
  invited_by_email: string;
  created_at: Date;
  expires_at: Date;
  accepted_at: Date | null;
  revoked_at: Date | null;
}

const INVITATION_SELECT = `SELECT i.id, i.organisation_id, o.name AS organisation_name, i.email, i.role,
    u.email AS invited_by_email, i.created_at, i.expires_at, i.accepted_at, i.revoked_at
  FROM organisation_invitations i JOIN organisations o ON o.id = i.organisation_id
  JOIN users u ON u.id = i.invited_by`;

const toInvitation = (r: InvitationRow): Invitation => ({
  id: r.id,
  organisationId: r.organisation_id,
  organisationName: r.organisation_name,
  email: r.email,
  role: r.role,
  invitedByEmail: r.invited_by_email,
  createdAt: r.created_at.toISOString(),
  expiresAt: r.expires_at.toISOString(),
  acceptedAt: r.accepted_at?.toISOString() ?? null,
  revokedAt: r.revoked_at?.toISOString() ?? null,
});

interface ApplicationRow {
  id: string;
  user_id: string;
  email: string;
  organisation_name: string;
  contact_name: string;
  phone: string;
  website: string;
  expected_audience: Application['expectedAudience'];
  message: string;
  status: Application['status'];
  decision_reason: string | null;
  decided_at: Date | null;
  organisation_id: string | null;
  created_at: Date;
}

const APPLICATION_SELECT = `SELECT a.id, a.user_id, u.email, a.organisation_name, a.contact_name, a.phone,
    a.website, a.expected_audience, a.message, a.status, a.decision_reason, a.decided_at, a.organisation_id,
    a.created_at
  FROM organiser_applications a JOIN users u ON u.id = a.user_id`;

const toApplication = (r: ApplicationRow): Application => ({
  id: r.id,
  userId: r.user_id,
  email: r.email,
  organisationName: r.organisation_name,
  contactName: r.contact_name,
  phone: r.phone,
  website: r.website,
  expectedAudience: r.expected_audience,
  message: r.message,
  status: r.status,
  decisionReason: r.decision_reason,
  decidedAt: r.decided_at?.toISOString() ?? null,
  organisationId: r.organisation_id,
  createdAt: r.created_at.toISOString(),
});

async function stateOf(db: Queryable, id: string, lock: boolean): Promise<OrganisationState | undefined> {
  const org = await queryOne<{
    id: string;
    name: string;
    release_seats_on_external_refund: boolean;
    version: number;
  }>(
    db,
    `SELECT id, name, release_seats_on_external_refund, version FROM organisations WHERE id = $1
     ${lock ? 'FOR UPDATE' : ''}`,
    [id],
  );
  if (!org) return undefined;
  const members = await queryRows<{ user_id: string; role: MemberRole }>(
    db,
    `SELECT user_id, role FROM organisation_members WHERE organisation_id = $1 ORDER BY user_id`,
    [id],
  );
  return {
    id: org.id,
    name: org.name,
    settings: { releaseSeatsOnExternalRefund: org.release_seats_on_external_refund },
    version: org.version,
    members: members.map((m) => ({ userId: m.user_id, role: m.role })),
  };
}

async function roleIn(
  db: Queryable,
  organisationId: string,
  userId: string,
): Promise<MemberRole | undefined> {
  const row = await queryOne<{ role: MemberRole }>(
    db,
    `SELECT role FROM organisation_members WHERE organisation_id = $1 AND user_id = $2`,
    [organisationId, userId],
  );
  return row?.role;
}

function txOf(db: Queryable): OrganisationTx {
  return {
    lock: (id) => stateOf(db, id, true),
    async create(name, createdBy) {
      const row = await queryOne<{ id: string }>(
        db,
        `INSERT INTO organisations (name, created_by) VALUES ($1, $2) RETURNING id`,
        [name, createdBy],
      );
      return row!.id;
    },
    async rename(id, name, settings: OrganisationSettings) {
      await db.query(
        `UPDATE organisations SET name = $2, release_seats_on_external_refund = $3 WHERE id = $1`,
        [id, name, settings.releaseSeatsOnExternalRefund],
      );
    },
    roleIn: (organisationId, userId) => roleIn(db, organisationId, userId),
    async putMember(organisationId, userId, role) {
      await db.query(
        `INSERT INTO organisation_members (organisation_id, user_id, role) VALUES ($1, $2, $3)
         ON CONFLICT (organisation_id, user_id) DO UPDATE SET role = EXCLUDED.role`,
        [organisationId, userId, role],
      );
    },
    async removeMember(organisationId, userId) {
      const rows = await queryRows(
        db,
        `DELETE FROM organisation_members WHERE organisation_id = $1 AND user_id = $2 RETURNING 1`,
        [organisationId, userId],
      );
      return rows.length > 0;
    },
    async membershipCount(userId) {
      const row = await queryOne<{ n: number }>(
        db,
        `SELECT count(*)::int AS n FROM organisation_members WHERE user_id = $1`,
        [userId],
      );
      return row?.n ?? 0;
    },
    async promoteToOrganiser(userId) {
      await db.query(`UPDATE users SET role = 'organiser' WHERE id = $1 AND role = 'fan'`, [userId]);
    },
    async demoteIfNoMemberships(userId) {
      await db.query(
        `UPDATE users SET role = 'fan' WHERE id = $1 AND role = 'organiser'
           AND NOT EXISTS (SELECT 1 FROM organisation_members WHERE user_id = $1)`,
        [userId],
      );
    },
    async insertInvitation(i) {
      await db.query(
        `UPDATE organisation_invitations SET revoked_at = now()
         WHERE organisation_id = $1 AND email = $2 AND accepted_at IS NULL AND revoked_at IS NULL`,
        [i.organisationId, i.email],
      );
      const row = await queryOne<{ id: string }>(
        db,
        `INSERT INTO organisation_invitations (organisation_id, email, role, token_hash, invited_by, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
        [i.organisationId, i.email, i.role, i.tokenHash, i.invitedBy, i.expiresAt],
      );
      return row!.id;
    },
    async invitationByTokenHash(tokenHash, lock) {
      const row = await queryOne<InvitationRow>(
        db,
        `${INVITATION_SELECT} WHERE i.token_hash = $1 ${lock ? 'FOR UPDATE OF i' : ''}`,
        [tokenHash],
      );
      return row && toInvitation(row);
    },
    async markInvitationAccepted(id, userId, at) {
      await db.query(`UPDATE organisation_invitations SET accepted_at = $3, accepted_by = $2 WHERE id = $1`, [
        id,
        userId,
        at,
      ]);
    },
    async revokeInvitation(organisationId, id, at) {
      const rows = await queryRows(
        db,
        `UPDATE organisation_invitations SET revoked_at = $3
         WHERE id = $2 AND organisation_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL RETURNING 1`,
        [organisationId, id, at],
      );
      return rows.length > 0;
    },
    async insertApplication(userId, a: ApplicationInput) {
      const row = await queryOne<{ id: string }>(
        db,
        // Only for an account that exists: a session outlives an account deleted meanwhile.
        `INSERT INTO organiser_applications
           (user_id, organisation_name, contact_name, phone, website, expected_audience, message)
         SELECT id, $2, $3, $4, $5, $6, $7 FROM users WHERE id = $1
         ON CONFLICT (user_id) WHERE status = 'pending' DO NOTHING RETURNING id`,
        [userId, a.organisationName, a.contactName, a.phone, a.website, a.expectedAudience, a.message],
      );
      if (!row)
        return (await queryOne(db, `SELECT 1 FROM users WHERE id = $1 FOR SHARE`, [userId]))
          ? 'pending'
          : 'no_account';
      return toApplication(
        (await queryOne<ApplicationRow>(db, `${APPLICATION_SELECT} WHERE a.id = $1`, [row.id]))!,
      );
    },
    async lockApplication(id) {
      const row = await queryOne<ApplicationRow>(
        db,
        `${APPLICATION_SELECT} WHERE a.id = $1 FOR UPDATE OF a`,
        [id],
      );
      return row && toApplication(row);
    },
    async decideApplication(id, d) {
      await db.query(
        `UPDATE organiser_applications SET status = $2, decision_reason = $3, decided_by = $4, decided_at = now(),
           organisation_id = $5 WHERE id = $1`,
        [id, d.status, d.reason, d.decidedBy, d.organisationId],
      );
      return toApplication(
        (await queryOne<ApplicationRow>(db, `${APPLICATION_SELECT} WHERE a.id = $1`, [id]))!,
      );
    },
    async audit(organisationId, actorId, action, details) {
      await db.query(
        `INSERT INTO organisation_audit (organisation_id, actor_id, action, details) VALUES ($1, $2, $3, $4)`,
        [organisationId, actorId, action, JSON.stringify(details)],
      );
    },
    async nextVersion(id) {
      await db.query(
        `UPDATE organisations SET version = version + 1 WHERE id = $1 AND announced_version = version`,
        [id],
      );
      return (await stateOf(db, id, false))!;
    },
    enqueue: (messages: OutgoingMessage[]) => enqueueMessages(db, messages),
    async markAnnounced(id, version) {
      await db.query(`UPDATE organisations SET announced_version = $2 WHERE id = $1`, [id, version]);
    },
  };
}

/** Organisations, members, invitations and applications in the feed schema. */
export class PgOrganisationStore implements OrganisationStore {
  constructor(private readonly ds: DataSource) {}

  transaction<T>(fn: (tx: OrganisationTx) => Promise<T>): Promise<T> {
    return this.ds.transaction((em) => fn(txOf(em)));
  }

  async membershipsOf(userId: string): Promise<Membership[]> {
    const rows = await queryRows<{ organisation_id: string; name: string; role: MemberRole }>(
      this.ds,
      `SELECT m.organisation_id, o.name, m.role FROM organisation_members m
       JOIN organisations o ON o.id = m.organisation_id WHERE m.user_id = $1 ORDER BY o.name, o.id`,
      [userId],
    );
    return rows.map((r) => ({ organisationId: r.organisation_id, name: r.name, role: r.role }));
  }

  roleIn = (organisationId: string, userId: string) => roleIn(this.ds, organisationId, userId);

  async organisationExists(organisationId: string): Promise<boolean> {
    return !!(await queryOne(this.ds, `SELECT 1 FROM organisations WHERE id = $1`, [organisationId]));
  }

  state = (organisationId: string) => stateOf(this.ds, organisationId, false);

  async members(organisationId: string): Promise<Member[]> {
    const rows = await queryRows<{ user_id: string; email: string; role: MemberRole; created_at: Date }>(
      this.ds,
      `SELECT m.user_id, u.email, m.role, m.created_at FROM organisation_members m JOIN users u ON u.id = m.user_id
       WHERE m.organisation_id = $1
       ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'manager' THEN 1 ELSE 2 END, u.email`,
      [organisationId],
    );
    return rows.map((r) => ({
      userId: r.user_id,
      email: r.email,
      role: r.role,
      since: r.created_at.toISOString(),
    }));
  }

  async openInvitations(organisationId: string, now: Date): Promise<Invitation[]> {
    const rows = await queryRows<InvitationRow>(
      this.ds,
      `${INVITATION_SELECT} WHERE i.organisation_id = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL
         AND i.expires_at > $2 ORDER BY i.created_at DESC`,
      [organisationId, now],
    );
    return rows.map(toInvitation);
  }

  invitationByTokenHash(tokenHash: string) {
    return txOf(this.ds).invitationByTokenHash(tokenHash, false);
  }

  async audit(organisationId: string): Promise<OrganisationAuditEntry[]> {
    const rows = await queryRows<{
      id: string;
      actor_id: string | null;
      email: string | null;
      action: string;
      details: Record<string, unknown>;
      at: Date;
    }>(
      this.ds,
      `SELECT a.id, a.actor_id, u.email, a.action, a.details, a.at FROM organisation_audit a
       LEFT JOIN users u ON u.id = a.actor_id WHERE a.organisation_id = $1 ORDER BY a.id DESC LIMIT 200`,
      [organisationId],
    );
    return rows.map((r) => ({
      id: String(r.id),
      actorId: r.actor_id,
      actorEmail: r.email,
      action: r.action,
      details: r.details,
      at: r.at.toISOString(),
    }));
  }

  async applicationsOf(userId: string): Promise<Application[]> {
    const rows = await queryRows<ApplicationRow>(
      this.ds,
      `${APPLICATION_SELECT} WHERE a.user_id = $1 ORDER BY a.created_at DESC LIMIT 20`,
      [userId],
    );
    return rows.map(toApplication);
  }

  async applications(status: Application['status'] | undefined, limit: number): Promise<Application[]> {
    const rows = await queryRows<ApplicationRow>(
      this.ds,
      `${APPLICATION_SELECT} WHERE $1::text IS NULL OR a.status = $1
       ORDER BY (a.status = 'pending') DESC, a.created_at LIMIT $2`,
      [status ?? null, limit],
    );
    return rows.map(toApplication);
  }

  async unannounced(limit: number): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      this.ds,
      `SELECT id FROM organisations WHERE announced_version < version ORDER BY id LIMIT $1`,
      [limit],
    );
    return rows.map((r) => r.id);
  }

  userByEmail(email: string) {
    return queryOne<{ id: string; email: string; role: string }>(
      this.ds,
      `SELECT id, email, role FROM users WHERE email = $1`,
      [email],
    );
  }
}
