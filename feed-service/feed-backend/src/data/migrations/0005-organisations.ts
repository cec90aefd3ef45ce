import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Organisations and their teams. Events belong to an organisation; its members act on them
 * with a role (owner, manager, door). People apply to organise and an admin decides;
 * members are invited by e-mail. Every organiser who already had events or the organiser
 * role gets an organisation of their own, owning their events; it is announced to the
 * other services at the next start (`announced_version` < `version`).
 *
 * `events.organisation_id` stays nullable so that a feed of the previous release, still
 * running during a roll, can create events; such an event belongs to its creator alone
 * until the next start assigns it to the creator's organisation.
 */
export class Organisations1700000000005 implements MigrationInterface {
  name = 'Organisations1700000000005';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE organisations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
        release_seats_on_external_refund boolean NOT NULL DEFAULT true,
        version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
        announced_version integer NOT NULL DEFAULT 0 CHECK (announced_version <= version),
        created_by uuid REFERENCES users(id),
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE organisation_members (
        organisation_id uuid NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role text NOT NULL CHECK (role IN ('owner', 'manager', 'door')),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (organisation_id, user_id)
      );
      CREATE INDEX organisation_members_by_user ON organisation_members (user_id);
      CREATE TABLE organisation_invitations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organisation_id uuid NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
        email text NOT NULL CHECK (email = lower(email) AND position('@' in email) > 1),
        role text NOT NULL CHECK (role IN ('owner', 'manager', 'door')),
        token_hash text NOT NULL UNIQUE,
        invited_by uuid NOT NULL REFERENCES users(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        accepted_at timestamptz,
        accepted_by uuid REFERENCES users(id),
        revoked_at timestamptz,
        CHECK (accepted_at IS NULL OR revoked_at IS NULL)
      );
      -- One open invitation per address and organisation: inviting again replaces it.
      CREATE UNIQUE INDEX organisation_invitations_open ON organisation_invitations (organisation_id, email)
        WHERE accepted_at IS NULL AND revoked_at IS NULL;
      CREATE TABLE organisation_audit (
        id bigserial PRIMARY KEY,
        organisation_id uuid NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
        actor_id uuid,
        action text NOT NULL,
        details jsonb NOT NULL DEFAULT '{}',
        at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX organisation_audit_by_organisation ON organisation_audit (organisation_id, id);
      CREATE TABLE organiser_applications (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        organisation_name text NOT NULL CHECK (length(organisation_name) BETWEEN 1 AND 120),
        contact_name text NOT NULL,
        phone text NOT NULL DEFAULT '',
        website text NOT NULL DEFAULT '',
        expected_audience text NOT NULL
          CHECK (expected_audience IN ('up_to_500', 'up_to_5000', 'up_to_50000', 'more')),
        message text NOT NULL DEFAULT '',
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
        decision_reason text,
        decided_by uuid REFERENCES users(id),
        decided_at timestamptz,
        organisation_id uuid REFERENCES organisations(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((status = 'pending') = (decided_at IS NULL)),
        CHECK (status <> 'rejected' OR decision_reason IS NOT NULL),
        CHECK (status <> 'approved' OR organisation_id IS NOT NULL)
      );
      CREATE UNIQUE INDEX organiser_applications_one_pending ON organiser_applications (user_id)
        WHERE status = 'pending';
      CREATE INDEX organiser_applications_by_status ON organiser_applications (status, created_at);

      ALTER TABLE events ADD COLUMN organisation_id uuid REFERENCES organisations(id);
      CREATE INDEX events_by_organisation ON events (organisation_id, created_at DESC);
      -- The member's role when they acted ('admin' for the platform's admins).
      ALTER TABLE event_audit ADD COLUMN actor_role text;

      INSERT INTO organisations (name, created_by)
      SELECT left(u.email, 120), u.id FROM users u
      WHERE u.role = 'organiser' OR EXISTS (SELECT 1 FROM events e WHERE e.organiser_id = u.id);
      INSERT INTO organisation_members (organisation_id, user_id, role)
      SELECT id, created_by, 'owner' FROM organisations;
      UPDATE events e SET organisation_id = o.id FROM organisations o WHERE o.created_by = e.organiser_id;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE event_audit DROP COLUMN actor_role;
      ALTER TABLE events DROP COLUMN organisation_id;
      DROP TABLE organiser_applications, organisation_audit, organisation_invitations, organisation_members,
        organisations;
    `);
  }
}
