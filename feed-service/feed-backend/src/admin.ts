import { createDataSource, lockKeySql, migrate, queryOne, queryRows, systemClock } from '@ticketslave/common';
import { PgOrganisationStore } from './data/organisations-repo';
import { migrations, sqlFunctions } from './data/schema';
import { normaliseEmail } from './domain/accounts';
import { createOrganisation } from './domain/organisations';

export const ADMIN_USAGE = `usage: admin <command>
  grant-admin <email>                  make a registered account an admin (the first admin, or another)
  revoke-admin <email>                 make an admin an ordinary account again (not the last admin)
  list-admins                          list the admin accounts
  make-organiser <email> [--organisation <name>]
                                       create an organisation owned by a registered account
                                       (what approving an application does, without the application)`;

/**
 * Operator commands against the feed database, the same code in every environment: locally
 * `npm run admin -- grant-admin <email>`, in AWS a one-off ECS task of the feed image running
 * `node dist/main.js admin grant-admin <email>` (docs/operations.md). The schema is migrated
 * first, so it works before the service ever started. A role change reaches the person's
 * session at their next refresh (at most 15 minutes) or login.
 * Returns the process exit code.
 */
export async function runAdminCommand(
  args: string[],
  opts: { databaseUrl: string; out?: (line: string) => void },
): Promise<number> {
  const out = opts.out ?? ((line: string) => console.log(line));
  const [command, ...rest] = args;
  const known = ['grant-admin', 'revoke-admin', 'list-admins', 'make-organiser'];
  if (!command || !known.includes(command)) {
    out(ADMIN_USAGE);
    return 2;
  }
  const ds = createDataSource({
    url: opts.databaseUrl,
    schema: 'feed',
    migrations,
    poolSize: 2,
    applicationName: 'feed-admin',
  });
  try {
    await migrate(ds, 'feed', { sqlFunctions: sqlFunctions() });
    const user = async (email: string | undefined) => {
      if (!email) return undefined;
      return queryOne<{ id: string; email: string; role: string; email_verified: boolean }>(
        ds,
        `SELECT id, email, role, email_verified FROM users WHERE email = $1`,
        [normaliseEmail(email)],
      );
    };
    const noAccount = (email: string | undefined) => {
      out(
        email
          ? `No account uses ${normaliseEmail(email)}. Register it first (/feed/register), then run this again.`
          : ADMIN_USAGE,
      );
      return 1;
    };

    if (command === 'list-admins') {
      const rows = await queryRows<{ email: string }>(
        ds,
        `SELECT email FROM users WHERE role = 'admin' ORDER BY email`,
      );
      out(
        rows.length ? rows.map((r) => r.email).join('\n') : 'No admins yet: grant-admin <email> makes one.',
      );
      return 0;
    }
    const u = await user(rest[0]);
    if (!u) return noAccount(rest[0]);

    if (command === 'grant-admin') {
      if (u.role === 'admin') {
        out(`${u.email} is already an admin.`);
        return 0;
      }
      await ds.query(`UPDATE users SET role = 'admin' WHERE id = $1`, [u.id]);
      out(
        `${u.email} is now an admin (was ${u.role}). It applies at their next login, or within 15 minutes.` +
          (u.email_verified
            ? ''
            : '\nNote: the address is not verified yet; admin pages need a verified address.'),
      );
      return 0;
    }
    if (command === 'revoke-admin') {
      if (u.role !== 'admin') {
        out(`${u.email} is not an admin.`);
        return 1;
      }
      // Taking turns with another revoke: two admins revoking each other must leave one.
      const done = await ds.transaction(async (em) => {
        await em.query(`SELECT pg_advisory_xact_lock(${lockKeySql('feed.admins')})`);
        const others = await queryOne<{ n: number }>(
          em,
          `SELECT count(*)::int AS n FROM users WHERE role = 'admin' AND id <> $1`,
          [u.id],
        );
        if (!others?.n) return false;
        await em.query(
          `UPDATE users SET role = CASE WHEN EXISTS (SELECT 1 FROM organisation_members WHERE user_id = $1)
             THEN 'organiser' ELSE 'fan' END WHERE id = $1`,
          [u.id],
        );
        return true;
      });
      out(done ? `${u.email} is no longer an admin.` : `${u.email} is the last admin; grant another first.`);
      return done ? 0 : 1;
    }
    // make-organiser
    const flag = rest.indexOf('--organisation');
    const name = (flag >= 0 ? rest[flag + 1] : undefined)?.trim() || u.email;
    if (name.length > 120) {
      out('The organisation name is at most 120 characters.');
      return 2;
    }
    const store = new PgOrganisationStore(ds);
    const id = await store.transaction((tx) =>
      createOrganisation(tx, {
        name,
        ownerId: u.id,
        actorId: null,
        now: systemClock.now(),
        details: { by: 'admin command' },
      }),
    );
    out(`Created the organisation "${name}" (${id}) owned by ${u.email}.`);
    return 0;
  } finally {
    await ds.destroy().catch(() => undefined);
  }
}
