import { createHash } from 'node:crypto';
import { queryOne, queryRows, type Queryable, type Role } from '@ticketslave/common';
import type { DataSource } from 'typeorm';
import type { AccountStore, EmailTokenPurpose, LoginClient, RefreshUse, User } from '../domain/account-ports';

interface UserRow {
  id: string;
  email: string;
  password_hash: string | null;
  role: Role;
  email_verified: boolean;
  google_sub: string | null;
}

const toUser = (r: UserRow): User => ({
  id: r.id,
  email: r.email,
  passwordHash: r.password_hash,
  role: r.role,
  emailVerified: r.email_verified,
  googleSub: r.google_sub,
});

const USER_COLUMNS = 'id, email, password_hash, role, email_verified, google_sub';
/** Devices and addresses remembered per user and kind; older ones are forgotten. */
const KNOWN_CLIENTS_KEPT = 20;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const REFRESH_RACE_GRACE_MS = 10_000;

export class PgAccountStore implements AccountStore {
  constructor(private readonly ds: DataSource) {}

  private async user(where: string, value: string): Promise<User | undefined> {
    const row = await queryOne<UserRow>(this.ds, `SELECT ${USER_COLUMNS} FROM users WHERE ${where} = $1`, [
      value,
    ]);
    return row && toUser(row);
  }

  userByEmail = (email: string) => this.user('email', email);
  userById = (id: string) => this.user('id', id);
  userByGoogleSub = (sub: string) => this.user('google_sub', sub);

  async createUser(u: {
    email: string;
    passwordHash: string | null;
    emailVerified: boolean;
    googleSub?: string;
    role?: Role;
  }): Promise<User | undefined> {
    const row = await queryOne<UserRow>(
      this.ds,
      `INSERT INTO users (email, password_hash, email_verified, google_sub, role)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (email) DO NOTHING RETURNING ${USER_COLUMNS}`,
      [u.email, u.passwordHash, u.emailVerified, u.googleSub ?? null, u.role ?? 'fan'],
    );
    return row && toUser(row);
  }

  async linkGoogle(userId: string, sub: string): Promise<{ droppedPassword: boolean }> {
    return this.ds.transaction(async (em: Queryable) => {
      const before = await queryOne<{ had_password: boolean }>(
        em,
        `SELECT password_hash IS NOT NULL AS had_password FROM users WHERE id = $1 FOR UPDATE`,
        [userId],
      );
      await em.query(
        `UPDATE users SET google_sub = $2, email_verified = true, password_hash = NULL WHERE id = $1`,
        [userId, sub],
      );
      await em.query(
        `UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`,
        [userId],
      );
      await em.query(`UPDATE email_tokens SET used_at = now() WHERE user_id = $1 AND used_at IS NULL`, [
        userId,
      ]);
      return { droppedPassword: before?.had_password ?? false };
    });
  }

  async deleteUnverifiedUser(userId: string): Promise<boolean> {
    try {
      const rows = await queryRows(
        this.ds,
        `DELETE FROM users WHERE id = $1 AND NOT email_verified RETURNING id`,
        [userId],
      );
      return rows.length === 1;
    } catch (err) {
      // Still referenced (e.g. an admin made it an organisation's creator): not an unused
      // registration any more, so it stays.
      if ((err as { code?: string }).code === '23503') return false;
      throw err;
    }
  }

  async setRole(userId: string, role: Role): Promise<boolean> {
    const rows = await queryRows(this.ds, `UPDATE users SET role = $2 WHERE id = $1 RETURNING id`, [
      userId,
      role,
    ]);
    return rows.length === 1;
  }

  async setPassword(userId: string, passwordHash: string): Promise<void> {
    await this.ds.transaction(async (em) => {
      await em.query(`UPDATE users SET password_hash = $2 WHERE id = $1`, [userId, passwordHash]);
      await em.query(
        `UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`,
        [userId],
      );
    });
  }

  async markEmailVerified(userId: string): Promise<void> {
    await this.ds.query(`UPDATE users SET email_verified = true WHERE id = $1`, [userId]);
  }

  async createEmailToken(t: {
    userId: string;
    purpose: EmailTokenPurpose;
    tokenHash: string;
    expiresAt: Date;
  }): Promise<void> {
    await this.ds.query(
      `INSERT INTO email_tokens (token_hash, user_id, purpose, expires_at) VALUES ($1, $2, $3, $4)`,
      [t.tokenHash, t.userId, t.purpose, t.expiresAt],
    );
  }

  async consumeEmailToken(
    tokenHash: string,
    purpose: EmailTokenPurpose,
    now: Date,
  ): Promise<string | undefined> {
    const row = await queryOne<{ user_id: string }>(
      this.ds,
      `UPDATE email_tokens SET used_at = $3
       WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
       RETURNING user_id`,
      [tokenHash, purpose, now],
    );
    return row?.user_id;
  }

  async isKnownClient(userId: string, client: LoginClient): Promise<boolean> {
    const hashes = [sha256(`ip:${client.ip}`), ...(client.device ? [sha256(`device:${client.device}`)] : [])];
    const rows = await queryRows(
      this.ds,
      `SELECT 1 FROM known_clients WHERE user_id = $1 AND value_hash = ANY ($2) LIMIT 1`,
      [userId, hashes],
    );
    return rows.length > 0;
  }

  async rememberClient(userId: string, client: LoginClient): Promise<void> {
    const entries = [
      { kind: 'ip', hash: sha256(`ip:${client.ip}`) },
      ...(client.device ? [{ kind: 'device', hash: sha256(`device:${client.device}`) }] : []),
    ];
    await this.ds.query(
      `WITH seen AS (
         INSERT INTO known_clients (user_id, kind, value_hash) SELECT $1, k, h FROM unnest($2::text[], $3::text[]) AS x(k, h)
         ON CONFLICT (user_id, kind, value_hash) DO UPDATE SET last_seen = now() RETURNING 1
       )
       DELETE FROM known_clients WHERE user_id = $1 AND (kind, value_hash) IN (
         SELECT kind, value_hash FROM (
           SELECT kind, value_hash, row_number() OVER (PARTITION BY kind ORDER BY last_seen DESC) AS n
           FROM known_clients WHERE user_id = $1
         ) ranked WHERE n > $4
       )`,
      [userId, entries.map((e) => e.kind), entries.map((e) => e.hash), KNOWN_CLIENTS_KEPT],
    );
  }

  async insertRefreshToken(t: {
    userId: string;
    familyId: string;
    tokenHash: string;
    expiresAt: Date;
  }): Promise<void> {
    await this.ds.query(
      `INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at) VALUES ($1, $2, $3, $4)`,
      [t.userId, t.familyId, t.tokenHash, t.expiresAt],
    );
  }

  async useRefreshToken(tokenHash: string, now: Date): Promise<RefreshUse> {
    return this.ds.transaction(async (em: Queryable) => {
      const used = await queryOne<{ user_id: string; family_id: string }>(
        em,
        `UPDATE refresh_tokens SET used_at = $2
         WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2
         RETURNING user_id, family_id`,
        [tokenHash, now],
      );
      if (used) return { outcome: 'rotated', userId: used.user_id, familyId: used.family_id };
      const known = await queryOne<{ user_id: string; family_id: string; used_at: Date | null }>(
        em,
        `SELECT user_id, family_id, used_at FROM refresh_tokens WHERE token_hash = $1`,
        [tokenHash],
      );
      if (!known?.used_at) return { outcome: 'invalid' };
      // Two tabs refreshing the same expired session at once is not theft: the browser
      // already holds the winner's cookie, so the loser just fails without ending the login.
      if (now.getTime() - known.used_at.getTime() < REFRESH_RACE_GRACE_MS) return { outcome: 'raced' };
      // A token presented twice was copied: whoever holds the family now is not trusted.
      await em.query(
        `UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL`,
        [known.family_id, now],
      );
      return { outcome: 'reused', userId: known.user_id };
    });
  }

  async revokeFamilyOf(tokenHash: string, now: Date): Promise<void> {
    await this.ds.query(
      `UPDATE refresh_tokens SET revoked_at = $2
       WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1) AND revoked_at IS NULL`,
      [tokenHash, now],
    );
  }
}
