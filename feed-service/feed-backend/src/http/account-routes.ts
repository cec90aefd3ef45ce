import type { Request, RequestHandler } from 'express';
import { z } from 'zod';
import {
  AltchaChallenge,
  AltchaPayloadField,
  AuthError,
  noContent,
  clientIp,
  rateLimit,
  sameSitePath,
  Role,
  sessionGuard,
  sessionOf,
  TooManyRequestsError,
  type ApiRouter,
  type Clock,
  type ProofOfWork,
  type TokenVerifier,
} from '@ticketslave/common';
import type { Accounts } from '../domain/accounts';
import { MAX_PASSWORD_LENGTH } from '../domain/passwords';
import { passwordLogin, type AuthPipeline } from './auth';
import {
  clearSessionCookies,
  deviceCookieOf,
  refreshCookieOf,
  setDeviceCookie,
  setSessionCookies,
} from './session-cookies';

const Email = z.email('a valid e-mail address').max(254);
const Password = z.string().min(1, 'is required').max(MAX_PASSWORD_LENGTH);
const Credentials = z.object({ email: Email, password: Password });
/** Where to bring the fan back to after following an e-mailed link: a path on this site only. */
const NextPath = z
  .string()
  .max(500)
  .refine((v) => sameSitePath(v) === v, 'a path on this site')
  .optional();
const Registration = Credentials.extend({ next: NextPath, altcha: AltchaPayloadField });
/** What a registration's proof of work is issued for (the salt carries it, signed). */
const REGISTER_SCOPE = { for: 'register' };
const Token = z.object({ token: z.string().min(10).max(200) });
const Me = z
  .object({ id: z.string(), email: z.string(), role: Role, emailVerified: z.boolean() })
  .meta({ id: 'Me' });
const Accepted = z.object({ status: z.literal('accepted'), message: z.string() });

export interface AccountRouteDeps {
  accounts: Accounts;
  /** Passport with the `local` strategy: e-mail/password login goes through it (auth.ts). */
  auth: AuthPipeline;
  sessions: TokenVerifier;
  clock: Clock;
  secureCookies: boolean;
  /** Registration's proof of work and its difficulty (ALTCHA maxnumber). */
  pow: ProofOfWork;
  registerPowMaxNumber: number;
}

const perClient = (name: string, capacity: number, refillPerSecond: number): RequestHandler =>
  rateLimit({ name, capacity, refillPerSecond, key: (req: Request) => clientIp(req) });

/** Sets Retry-After on a lockout, which the kit's error mapper leaves to the route. */
const retryAfter = async <T>(res: { setHeader(n: string, v: string): unknown }, fn: () => Promise<T>) => {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof TooManyRequestsError) res.setHeader('Retry-After', String(err.retryAfterSeconds));
    throw err;
  }
};

export function registerAccountRoutes(api: ApiRouter, d: AccountRouteDeps): void {
  const { accounts } = d;
  const session = sessionGuard(d.sessions);
  // Per client address, shared by every instance. A venue's Wi-Fi or a carrier NAT is one
  // client to us, so the buckets let a few hundred fans through within minutes; what stops
  // a script signing up en masse is the proof of work each registration costs.
  const registerLimit = perClient('register', 200, 1);
  // Challenges cost us a hash and an HMAC; this only stops hammering.
  const challengeLimit = perClient('pow-challenge', 600, 5);
  // Links carry 256-bit tokens, so these only stop hammering.
  const linkLimit = perClient('email-link', 300, 2);
  const mailLimit = perClient('mail', 100, 0.5);
  // Requests, right or wrong; failures have their own throttles (see Accounts.login).
  const loginLimit = perClient('login', 300, 2);
  const refreshLimit = perClient('refresh', 600, 5);
  const accepted = (message: string) => ({ status: 'accepted' as const, message });

  api.route(
    {
      method: 'get',
      path: '/account/register/challenge',
      summary: 'A proof-of-work challenge for one registration (ALTCHA; the widget fetches and solves it)',
      response: AltchaChallenge,
      auth: 'none',
      before: [challengeLimit],
    },
    ({ res }) => {
      res.setHeader('Cache-Control', 'no-store');
      return d.pow.challenge(REGISTER_SCOPE, d.registerPowMaxNumber);
    },
  );
  api.route(
    {
      method: 'post',
      path: '/account/register',
      summary: 'Create an account (always answers the same); `altcha` = the solved challenge',
      body: Registration,
      response: Accepted,
      status: 202,
      before: [registerLimit],
    },
    async ({ body }) => {
      await d.pow.redeem(body.altcha, REGISTER_SCOPE, d.registerPowMaxNumber);
      await accounts.register(body.email, body.password, body.next);
      return accepted('Check your inbox to confirm your address.');
    },
  );
  api.route(
    {
      method: 'post',
      path: '/account/verify-email',
      summary: 'Confirm an e-mail address with the link token',
      body: Token,
      response: noContent,
      before: [linkLimit],
    },
    async ({ body }) => accounts.verifyEmail(body.token),
  );
  api.route(
    {
      method: 'post',
      path: '/account/disown',
      summary: '"This wasn\'t me": delete the unconfirmed account the verification link belongs to',
      body: Token,
      response: noContent,
      before: [linkLimit],
    },
    async ({ body }) => accounts.disown(body.token),
  );
  api.route(
    {
      method: 'post',
      path: '/account/verify-email/resend',
      summary: 'Send the confirmation link again',
      auth: 'session',
      status: 202,
      response: Accepted,
      before: [session, mailLimit],
    },
    async ({ res }) => (
      await accounts.resendVerification(sessionOf(res).sub),
      accepted('A new link is on its way.')
    ),
  );
  api.route(
    {
      method: 'post',
      path: '/account/password-reset',
      summary: 'Mail a reset link (always answers the same)',
      body: z.object({ email: Email, next: NextPath }),
      status: 202,
      response: Accepted,
      before: [mailLimit],
    },
    async ({ body }) => (
      await accounts.requestPasswordReset(body.email, body.next),
      accepted('If the address has an account, a link is on its way.')
    ),
  );
  api.route(
    {
      method: 'post',
      path: '/account/password-reset/confirm',
      summary: 'Set a new password with the link token',
      body: Token.extend({ password: Password }),
      response: noContent,
      before: [linkLimit],
    },
    async ({ body }) => accounts.resetPassword(body.token, body.password),
  );
  api.route(
    {
      method: 'post',
      path: '/session/login',
      summary: 'Log in with e-mail and password',
      body: Credentials,
      response: Me,
      before: [loginLimit],
    },
    async ({ req, res }) => {
      const device = deviceCookieOf(req.cookies);
      // passport-local reads the body (validated above) and verifies through Accounts.login.
      const issued = await retryAfter(res, () => passwordLogin(d.auth, req, res));
      setSessionCookies(res, issued, d.secureCookies, d.clock.now());
      if (issued.device !== device) setDeviceCookie(res, issued.device, d.secureCookies);
      return issued.user;
    },
  );
  api.route(
    {
      method: 'post',
      path: '/session/refresh',
      summary: 'Rotate the refresh token and renew the session',
      response: Me,
      before: [refreshLimit],
    },
    async ({ req, res }) => {
      try {
        const issued = await accounts.refresh(refreshCookieOf(req.cookies));
        setSessionCookies(res, issued, d.secureCookies, d.clock.now());
        return issued.user;
      } catch (err) {
        // A lost race leaves the winner's fresh cookies (shared by every tab) alone.
        if (!(err instanceof AuthError && err.code === 'refresh_raced'))
          clearSessionCookies(res, d.secureCookies);
        throw err;
      }
    },
  );
  api.route(
    {
      method: 'post',
      path: '/session/logout',
      summary: 'End this login (its refresh family)',
      response: noContent,
    },
    async ({ req, res }) => {
      await accounts.logout(refreshCookieOf(req.cookies));
      clearSessionCookies(res, d.secureCookies);
    },
  );
  api.route(
    {
      method: 'get',
      path: '/session/me',
      summary: 'Who is logged in',
      auth: 'session',
      response: Me,
      before: [session],
    },
    ({ res }) => {
      const s = sessionOf(res);
      return { id: s.sub, email: s.email, role: s.role, emailVerified: s.emv };
    },
  );
  api.route(
    {
      method: 'post',
      path: '/admin/users/:id/role',
      summary: 'Change a user role (admin)',
      auth: 'session',
      params: z.object({ id: z.uuid() }),
      body: z.object({ role: Role }),
      response: Me,
      before: [sessionGuard(d.sessions, { roles: ['admin'], verifiedEmail: true })],
    },
    async ({ params, body }) => accounts.setRole(params.id, body.role),
  );
}
