import type { Response } from 'express';
import { cookieOptions, REFRESH_COOKIE, REFRESH_COOKIE_PATH, TOKENS } from '@ticketslave/common';
import type { IssuedSession } from '../domain/accounts';

export function setSessionCookies(res: Response, issued: IssuedSession, secure: boolean, now: Date): void {
  res.cookie(
    TOKENS.session.cookie,
    issued.session,
    cookieOptions({ secure, path: '/', maxAgeMs: issued.sessionExpiresAt.getTime() - now.getTime() }),
  );
  res.cookie(
    REFRESH_COOKIE,
    issued.refresh,
    cookieOptions({
      secure,
      path: REFRESH_COOKIE_PATH,
      maxAgeMs: issued.refreshExpiresAt.getTime() - now.getTime(),
    }),
  );
}

export function clearSessionCookies(res: Response, secure: boolean): void {
  res.clearCookie(TOKENS.session.cookie, cookieOptions({ secure, path: '/' }));
  res.clearCookie(REFRESH_COOKIE, cookieOptions({ secure, path: REFRESH_COOKIE_PATH }));
}

export const refreshCookieOf = (cookies: unknown): string | undefined =>
  (cookies as Record<string, string> | undefined)?.[REFRESH_COOKIE];
