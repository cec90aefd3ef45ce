import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Devices and addresses a user logged in from, so a storm of wrong passwords against the
 * address cannot lock its owner out (see `Accounts.login`). Hashed: device cookies are
 * secrets, and addresses need only be recognised. Failed logins are counted in the kit's
 * shared `rate_limits` now, so the per-address lock table goes.
 */
export class KnownClients1700000000006 implements MigrationInterface {
  name = 'KnownClients1700000000006';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE known_clients (
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('device', 'ip')),
        value_hash text NOT NULL,
        last_seen timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, kind, value_hash)
      );
      DROP TABLE login_throttle;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE known_clients;
      CREATE TABLE login_throttle (
        email text PRIMARY KEY,
        failures integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
        locked_until timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
    `);
  }
}
