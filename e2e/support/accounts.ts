import { randomBytes } from 'node:crypto';
import type { APIRequestContext } from 'playwright-core';
import { waitForMail } from '../../dev/standins';
import { solveAltcha, type AltchaChallengeJson } from '../../dev/test-support';
import type { Platform } from '../../dev/platform/platform';
import { runAdminCommand } from '../../feed-service/feed-backend/src/admin';

/** A throw-away address per run, so reruns on a kept database never collide. */
export const uniqueEmail = (who: string) => `${who}-${randomBytes(4).toString('hex')}@e2e.ticketslave.test`;

export const E2E_PASSWORD = 'correct horse battery staple 42';

export interface Me {
  id: string;
  email: string;
  role: 'fan' | 'organiser' | 'admin';
  emailVerified: boolean;
}

/** JSON API call on the platform origin, through a browser context's cookie jar. */
export async function apiCall<T = unknown>(
  request: APIRequestContext,
  platform: Platform,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await request.fetch(`${platform.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json', origin: platform.url },
    data: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON; keep the text for the assertion message
  }
  return { status: res.status(), body: parsed as T };
}

/** Expects `status`, failing with the body (problem+json says why). */
export async function expectStatus<T>(
  call: Promise<{ status: number; body: T }>,
  status: number,
  what: string,
): Promise<T> {
  const res = await call;
  if (res.status !== status)
    throw new Error(`${what}: expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** The newest "Confirm your e-mail address" link mailed to `email`, and its token. */
export async function verificationLinkFromInbox(
  platform: Platform,
  email: string,
): Promise<{ link: string; token: string }> {
  const mail = await waitForMail(platform.inboxUrl, {
    to: email,
    subjectIncludes: 'Confirm your e-mail',
    timeoutMs: 20_000,
  });
  const m = /(\S*\/feed\/verify-email\?token=([A-Za-z0-9_-]+))/.exec(mail.text);
  if (!m) throw new Error(`no verification link in the mail to ${email}:\n${mail.text}`);
  return { link: m[1]!, token: m[2]! };
}

export const verificationTokenFromInbox = async (platform: Platform, email: string): Promise<string> =>
  (await verificationLinkFromInbox(platform, email)).token;

/** Registers, confirms the address from the SMTP inbox, and logs in: the context holds the session. */
export async function registerVerifiedFan(
  request: APIRequestContext,
  platform: Platform,
  email: string,
  password = E2E_PASSWORD,
): Promise<Me> {
  // Solved for real, as the form's widget does (Node's SHA-256 instead of the browser's).
  const challenge = await expectStatus(
    apiCall<AltchaChallengeJson>(request, platform, 'GET', '/feed/api/account/register/challenge'),
    200,
    'registration challenge',
  );
  await expectStatus(
    apiCall(request, platform, 'POST', '/feed/api/account/register', {
      email,
      password,
      altcha: solveAltcha(challenge),
    }),
    202,
    'register',
  );
  const token = await verificationTokenFromInbox(platform, email);
  await apiCall(request, platform, 'POST', '/feed/api/account/verify-email', { token }).then((r) => {
    if (r.status >= 300) throw new Error(`verify-email: ${r.status} ${JSON.stringify(r.body)}`);
  });
  return login(request, platform, email, password);
}

export async function login(
  request: APIRequestContext,
  platform: Platform,
  email: string,
  password = E2E_PASSWORD,
): Promise<Me> {
  return expectStatus(
    apiCall<Me>(request, platform, 'POST', '/feed/api/session/login', { email, password }),
    200,
    'login',
  );
}

/**
 * Makes an account an organiser (the owner of a new organisation) or an admin the way an
 * operator does: with the admin command (`npm run admin -- make-organiser|grant-admin`).
 */
export async function promoteInDatabase(
  platform: Platform,
  email: string,
  role: 'organiser' | 'admin',
): Promise<void> {
  const lines: string[] = [];
  const code = await runAdminCommand([role === 'organiser' ? 'make-organiser' : 'grant-admin', email], {
    databaseUrl: platform.databaseUrl,
    out: (l) => lines.push(l),
  });
  if (code !== 0) throw new Error(`admin command failed for ${email}: ${lines.join(' ')}`);
}
