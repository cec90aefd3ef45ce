import { provisionServiceRoles as layOut, serviceRole } from '@ticketslave/common';
import { Client } from 'pg';
import { SERVICE_NAMES, type ServiceName } from './service-names';

export { serviceRole };

/**
 * The role's password on a developer's machine. Not a secret: the local server trusts
 * 127.0.0.1 and the roles exist so that privileges, not passwords, are tested. AWS generates
 * each role's password in Secrets Manager (deployment/modules/rds).
 */
export const devRolePassword = (svc: ServiceName): string => `ts-${svc}-dev-only`;

/** `url` (a database on the server) as `svc`'s role sees it. */
export function serviceDatabaseUrl(url: string, svc: ServiceName): string {
  const u = new URL(url);
  u.username = serviceRole(svc);
  u.password = devRolePassword(svc);
  return u.toString();
}

const DEV_PASSWORDS = Object.fromEntries(SERVICE_NAMES.map((s) => [s, devRolePassword(s)])) as Record<
  ServiceName,
  string
>;

/**
 * Least privilege for data (issue 17.13), locally: makes the five service roles on the server
 * when missing and lays out `databaseUrl`'s database for them (libs/common `provisionServiceRoles`,
 * the statements the production bootstrap runs), connecting as `adminUrl`'s user (the local
 * superuser). Idempotent; `npm start` and every test database run it. Returns each service's URL.
 */
export async function provisionServiceRoles(
  adminUrl: string,
  databaseUrl: string,
): Promise<Record<ServiceName, string>> {
  const asAdmin = new URL(adminUrl);
  asAdmin.pathname = new URL(databaseUrl).pathname;
  const c = new Client({ connectionString: asAdmin.toString() });
  await c.connect();
  try {
    await layOut(c, DEV_PASSWORDS);
  } finally {
    await c.end();
  }
  return Object.fromEntries(SERVICE_NAMES.map((s) => [s, serviceDatabaseUrl(databaseUrl, s)])) as Record<
    ServiceName,
    string
  >;
}
