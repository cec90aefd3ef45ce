import { provisionServiceRoles } from '@ticketslave/common';
import { Client } from 'pg';
import type { loadDbRolesConfig } from './config';

/**
 * The database bootstrap (issue 17.13): connected as the RDS master user, makes (or re-keys, after
 * a rotation) each service's login role with the password Secrets Manager generated for it, and
 * gives each its own schema (libs/common `provisionServiceRoles`, the statements `npm start` runs
 * locally). Run before services start on a new database and after `password_version` changes
 * (docs/operations.md, "Database roles"). Idempotent.
 */
export async function runDbRolesCommand(env: ReturnType<typeof loadDbRolesConfig>): Promise<void> {
  const admin = new Client({ connectionString: env.DATABASE_URL });
  await admin.connect();
  try {
    await provisionServiceRoles(
      admin,
      {
        feed: env.DB_ROLE_PASSWORD_FEED,
        buffer: env.DB_ROLE_PASSWORD_BUFFER,
        queue: env.DB_ROLE_PASSWORD_QUEUE,
        purchase: env.DB_ROLE_PASSWORD_PURCHASE,
        payment: env.DB_ROLE_PASSWORD_PAYMENT,
      },
      { setPassword: true },
    );
    console.log('database roles ts_feed, ts_buffer, ts_queue, ts_purchase, ts_payment provisioned');
  } finally {
    await admin.end();
  }
}
