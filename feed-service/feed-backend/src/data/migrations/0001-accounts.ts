import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Accounts1700000000001 implements MigrationInterface {
  name = 'Accounts1700000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email text NOT NULL UNIQUE CHECK (email = lower(email) AND position('@' in email) > 1),
        password_hash text,
        role text NOT NULL DEFAULT 'fan' CHECK (role IN ('fan', 'organiser', 'admin')),
        email_verified boolean NOT NULL DEFAULT false,
        google_sub text UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      -- Rotating refresh tokens: a family is one login; presenting a used token revokes the family.
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        family_id uuid NOT NULL,
        token_hash text NOT NULL UNIQUE,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        revoked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
      CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
      CREATE TABLE email_tokens (
        token_hash text PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        purpose text NOT NULL CHECK (purpose IN ('verify', 'reset')),
        expires_at timestamptz NOT NULL,
        used_at timestamptz
      );
      -- Keyed by the address typed, not the user, so unknown addresses lock the same way
      -- and the lockout reveals nothing about which accounts exist.
      CREATE TABLE login_throttle (
        email text PRIMARY KEY,
        failures integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
        locked_until timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE login_throttle, email_tokens, refresh_tokens, users`);
  }
}
