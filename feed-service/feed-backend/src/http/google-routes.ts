import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Express, Request, Response, NextFunction } from 'express';
import type { Profile } from 'passport-google-oauth20';
import {
  AuthError,
  cookieOptions,
  InputError,
  NotFoundError,
  safeNextPath,
  type Clock,
} from '@ticketslave/common';
import type { FeedConfig } from '../config';
import type { Accounts } from '../domain/accounts';
import type { AuthPipeline } from './auth';
import { setSessionCookies } from './session-cookies';

const STATE_COOKIE = 'ts_oauth';
const STATE_PATH = '/feed/api/auth/google';

/** Only our own paths: an open redirect after login would hand sessions to phishing pages. */
const safeNext = (next: unknown): string => safeNextPath(next);

const same = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * Google login through the pipeline's `google` strategy (passport-google-oauth20, auth.ts).
 * `state` lives in a short HttpOnly cookie (there is no server session to keep it in) and
 * is compared before passport runs.
 */
export function mountGoogleLogin(
  app: Express,
  d: { config: FeedConfig; accounts: Accounts; auth: AuthPipeline; clock: Clock; secureCookies: boolean },
): void {
  const { passport } = d.auth;
  if (!d.auth.google) {
    app.get(`${STATE_PATH}{/callback}`, (_req, _res, next) =>
      next(new NotFoundError('Google login is not configured here.', 'google_disabled')),
    );
    return;
  }
  const stateCookie = cookieOptions({ secure: d.secureCookies, path: STATE_PATH, maxAgeMs: 10 * 60_000 });

  app.get(STATE_PATH, (req: Request, res: Response, next: NextFunction) => {
    const state = randomBytes(24).toString('base64url');
    res.cookie(STATE_COOKIE, JSON.stringify({ state, next: safeNext(req.query.next) }), stateCookie);
    const loginHint = typeof req.query.login_hint === 'string' ? req.query.login_hint : undefined;
    passport.authenticate('google', {
      session: false,
      scope: ['openid', 'email', 'profile'],
      state,
      loginHint,
    })(req, res, next);
  });

  app.get(`${STATE_PATH}/callback`, (req: Request, res: Response, next: NextFunction) => {
    let saved: { state?: unknown; next?: unknown } = {};
    try {
      saved = JSON.parse((req.cookies as Record<string, string>)[STATE_COOKIE] ?? '{}') as typeof saved;
    } catch {
      /* treated as missing below */
    }
    res.clearCookie(STATE_COOKIE, { ...stateCookie, maxAge: undefined });
    const returned = typeof req.query.state === 'string' ? req.query.state : '';
    if (typeof saved.state !== 'string' || !same(saved.state, returned))
      return next(
        new InputError(
          'This sign-in attempt expired or did not start here; try again.',
          [],
          'oauth_state_mismatch',
        ),
      );
    const nextPath = safeNext(saved.next);
    const failed = (code: string) =>
      res.redirect(302, `/feed/login?error=${code}&next=${encodeURIComponent(nextPath)}`);
    passport.authenticate('google', { session: false }, (err: unknown, profile: Profile | false) => {
      if (err || !profile) return failed('google_failed');
      const email = profile.emails?.[0];
      d.accounts
        .googleLogin({
          sub: profile.id,
          email: email?.value,
          emailVerified: String(email?.verified) === 'true',
        })
        .then((issued) => {
          setSessionCookies(res, issued, d.secureCookies, d.clock.now());
          res.redirect(302, nextPath);
        })
        .catch((e: unknown) => (e instanceof AuthError ? failed(e.code) : next(e)));
    })(req, res, next);
  });
}
