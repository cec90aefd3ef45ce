import { Client } from 'pg';
import { runAdminCommand } from '../../feed-service/feed-backend/src/admin';
import { provisionServiceRoles } from './database-roles';
import { LOCAL } from './paths';
import { ensureDatabase, ensurePostgres } from './postgres';

async function reachable(url: string): Promise<boolean> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

/**
 * `npm run admin -- <command>`: the feed's operator commands against the local platform's
 * database (DATABASE_URL when set, like `npm start`; else the server `npm start` uses).
 * Production runs the same function from the feed image (`node dist/main.js admin <command>`,
 * see docs/operations.md).
 */
async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (process.env.DATABASE_URL) return runAdminCommand(args, { databaseUrl: process.env.DATABASE_URL });
  // A private cluster that `npm start` is running is used as it is, not started (or stopped) again.
  const running = 'postgres://postgres@127.0.0.1:55432/postgres';
  const pg = (await reachable(running))
    ? { adminUrl: running, stop: () => undefined }
    : await ensurePostgres(LOCAL, (m) => console.error(`[admin] ${m}`));
  try {
    const databaseUrl = await ensureDatabase(pg.adminUrl, 'ticketslave');
    // As feed's own role, like the feed service and the AWS task: tables its migrations make are feed's.
    const { feed } = await provisionServiceRoles(pg.adminUrl, databaseUrl);
    return await runAdminCommand(args, { databaseUrl: feed });
  } finally {
    pg.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
