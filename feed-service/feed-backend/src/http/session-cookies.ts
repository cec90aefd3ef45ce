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

/**
 * A random id this browser keeps for a year, so the account recognises a device it logged
 * in from before (a storm of wrong passwords from elsewhere does not slow it down). Sent
 * only to the session routes; it proves nothing by itself and opens nothing.
 */
const DEVICE_COOKIE = 'ts_device';
const DEVICE_TTL_MS = 365 * 24 * 3600_000;

export function setDeviceCookie(res: Response, device: string, secure: boolean): void {
  res.cookie(
    DEVICE_COOKIE,
    device,
    cookieOptions({ secure, path: REFRESH_COOKIE_PATH, maxAgeMs: DEVICE_TTL_MS }),
  );
}

/** The device cookie, when it looks like one we set (43 base64url characters). */
export const deviceCookieOf = (cookies: unknown): string | undefined => {
  const v = (cookies as Record<string, string> | undefined)?.[DEVICE_COOKIE];
  return typeof v === 'string' && /^[A-Za-z0-9_-]{43}$/.test(v) ? v : undefined;
};

export const refreshCookieOf = (cookies: unknown): string | undefined =>
  (cookies as Record<string, string> | undefined)?.[REFRESH_COOKIE];
