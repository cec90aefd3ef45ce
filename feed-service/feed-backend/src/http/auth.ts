import type { Request, Response } from 'express';
import { Passport } from 'passport';
import { Strategy as GoogleStrategy, type Profile } from 'passport-google-oauth20';
import { Strategy as LocalStrategy } from 'passport-local';
import { clientIp, InputError } from '@ticketslave/common';
import type { FeedConfig } from '../config';
import type { Accounts, PasswordLogin } from '../domain/accounts';
import { deviceCookieOf } from './session-cookies';

/**
 * The feed's one authentication pipeline: a Passport instance holding both ways in, and
 * no server session (`session: false` everywhere; a success issues our own session and
 * refresh cookies, see session-cookies.ts).
 *
 * - `local` (passport-local): e-mail and password, verified by `Accounts.login` — argon2
 *   against the stored hash (a dummy hash for an unknown address, so timing tells nothing),
 *   the failure throttles per address and per client, the device cookie that spares a known
 *   device the address's lockout. The route has validated the body (zod) before.
 * - `google` (passport-google-oauth20), when GOOGLE_CLIENT_ID/SECRET are set: the profile
 *   goes to `Accounts.googleLogin` in the callback route (google-routes.ts).
 */
export interface AuthPipeline {
  passport: InstanceType<typeof Passport>;
  /** Whether the Google strategy is configured. */
  google: boolean;
}

export function authPipeline(d: { config: FeedConfig; accounts: Accounts }): AuthPipeline {
  const { config, accounts } = d;
  const passport = new Passport();
  passport.use(
    new LocalStrategy(
      { usernameField: 'email', passwordField: 'password', passReqToCallback: true, session: false },
      (req, email, password, done) => {
        accounts
          .login(email, password, { ip: clientIp(req), device: deviceCookieOf(req.cookies) })
          .then((issued) => done(null, issued))
          // Wrong credentials (AuthError) and a lockout (TooManyRequestsError) keep their
          // problem+json answers: they travel as errors, not as a bare passport failure.
          .catch((err: unknown) => done(err));
      },
    ),
  );
  const google = Boolean(config.GOOGLE_CLIENT_ID && config.GOOGLE_CLIENT_SECRET);
  if (google)
    passport.use(
      new GoogleStrategy(
        {
          clientID: config.GOOGLE_CLIENT_ID!,
          clientSecret: config.GOOGLE_CLIENT_SECRET!,
          callbackURL: new URL('/feed/api/auth/google/callback', config.PUBLIC_BASE_URL).toString(),
          authorizationURL: config.GOOGLE_AUTH_URL,
          tokenURL: config.GOOGLE_TOKEN_URL,
          userProfileURL: config.GOOGLE_USERINFO_URL,
        },
        (_access: string, _refresh: string, profile: Profile, done: (err: unknown, user?: Profile) => void) =>
          done(null, profile),
      ),
    );
  return { passport, google };
}

const asError = (err: unknown): Error =>
  err instanceof Error ? err : new Error(`authentication failed: ${JSON.stringify(err)}`);

/** Runs the `local` strategy on a login request: the issued session, or the error to answer with. */
export function passwordLogin(auth: AuthPipeline, req: Request, res: Response): Promise<PasswordLogin> {
  return new Promise((resolve, reject) => {
    const authenticate = auth.passport.authenticate(
      'local',
      { session: false },
      (err: unknown, issued: PasswordLogin | false | undefined, info: { message?: string } | undefined) => {
        if (err) return reject(asError(err));
        if (!issued)
          return reject(
            new InputError(info?.message ?? 'E-mail and password are required.', [], 'invalid_request'),
          );
        resolve(issued);
      },
    ) as (req: Request, res: Response, next: (err?: unknown) => void) => void;
    authenticate(req, res, (err) => reject(asError(err)));
  });
}
