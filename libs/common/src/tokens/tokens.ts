import { createPublicKey, KeyObject, type JsonWebKey } from 'node:crypto';
import type { CookieOptions, Request, RequestHandler, Response } from 'express';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors as joseErrors,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { z } from 'zod';
import { AuthError, ForbiddenError, UnavailableError } from '../errors';
import { ed25519Verify } from './ed25519';
import type { PublicJwkSet } from './keys';

export const Role = z.enum(['fan', 'organiser', 'admin']);
export type Role = z.infer<typeof Role>;

export const SessionClaims = z.object({ sub: z.string(), email: z.string(), role: Role, emv: z.boolean() });
export type SessionClaims = z.infer<typeof SessionClaims>;
export const JoinReceiptClaims = z.object({
  sub: z.string(),
  evt: z.string(),
  jat: z.number(),
  eh: z.string(),
  /** draw-v2: the commitment of the draw, fixed before the close (libs/draw, docs/fairness.md). */
  cmt: z.string().optional(),
  /** draw-v2: the draw version the commitment belongs to. */
  dv: z.string().optional(),
  /** Joined after the buffer closed: numbered after every drawn fan. */
  late: z.boolean().optional(),
});
export type JoinReceiptClaims = z.infer<typeof JoinReceiptClaims>;
export const QueueTicketClaims = z.object({ sub: z.string(), evt: z.string(), qn: z.number().int().min(1) });
export type QueueTicketClaims = z.infer<typeof QueueTicketClaims>;
export const AdmissionClaims = z.object({ sub: z.string(), evt: z.string(), aid: z.string() });
export type AdmissionClaims = z.infer<typeof AdmissionClaims>;

/** Every kind of token: its issuer, audience and lifetime, declared once for signers and verifiers. */
export const TOKENS = {
  session: {
    issuer: 'ticketslave-feed',
    audience: 'ticketslave',
    cookie: 'ts_session',
    ttlSeconds: 15 * 60,
    claims: SessionClaims,
  },
  joinReceipt: { issuer: 'ticketslave-buffer', audience: 'ticketslave', claims: JoinReceiptClaims },
  queueTicket: {
    issuer: 'ticketslave-buffer',
    audience: 'ticketslave-queue',
    cookiePath: '/queue',
    claims: QueueTicketClaims,
  },
  admission: {
    issuer: 'ticketslave-queue',
    audience: 'ticketslave-purchase',
    cookiePath: '/purchase',
    claims: AdmissionClaims,
  },
} as const;
export const REFRESH_COOKIE = 'ts_refresh';
export const REFRESH_COOKIE_PATH = '/feed/api/session';
export const queueTicketCookie = (eventId: string) => `ts_qt_${eventId}`;
export const admissionCookie = (eventId: string) => `ts_adm_${eventId}`;

export type TokenKind = keyof typeof TOKENS;
type ClaimsOf<K extends TokenKind> = z.infer<(typeof TOKENS)[K]['claims']>;

/** How many verified tokens a verifier remembers, and for how long at most (below their own expiry). */
const VERIFIED_CACHE_SIZE = 20_000;
const VERIFIED_CACHE_MS = 60_000;

/** Verifies our EdDSA tokens against a JWK set: a remote one (cached, kid-aware) or the service's own. */
export class TokenVerifier {
  private readonly getKey: JWTVerifyGetKey;
  private readonly remote?: ReturnType<typeof createRemoteJWKSet>;
  /**
   * Tokens whose signature and claims already verified, by token string, in insertion order
   * (the oldest is dropped when full). A token's signature result cannot change, so a fan
   * polling with the same session costs one Ed25519 verification a minute, not one per
   * request. An entry lasts until the token's `exp` and at most a minute, so a retired
   * signing key stops being honoured within about a minute of the keys being refetched.
   */
  private readonly verified = new Map<string, { kind: TokenKind; claims: object; until: number }>();

  /** `cacheMaxAgeMs`: how long fetched keys count as fresh (default 10 minutes). */
  constructor(source: string | PublicJwkSet, opts: { cacheMaxAgeMs?: number } = {}) {
    if (typeof source !== 'string') {
      this.getKey = createLocalJWKSet(source);
      return;
    }
    const remote = createRemoteJWKSet(new URL(source), {
      cacheMaxAge: opts.cacheMaxAgeMs ?? 10 * 60_000,
      cooldownDuration: 5_000,
      timeoutDuration: 3_000,
    });
    this.remote = remote;
    // While the issuer is down or restarting, the keys fetched last still verify its tokens
    // (a stale cache is refetched first; signing keys rotate far slower than services restart).
    this.getKey = async (header, token) => {
      try {
        return await remote(header, token);
      } catch (err) {
        const cached = remote.jwks();
        if (cached && keysUnreachable(err)) return createLocalJWKSet(cached)(header, token);
        throw err;
      }
    };
  }

  /** Fetches a remote key set ahead of the first token (at start-up); a failure is left to the first verify. */
  async warm(): Promise<void> {
    await this.remote?.reload().catch(() => undefined);
  }

  async verify<K extends TokenKind>(
    kind: K,
    token: string | undefined,
    now?: Date,
  ): Promise<ClaimsOf<K> & { exp: number; iat: number }> {
    if (!token)
      throw new AuthError(
        kind === 'session' ? 'You need to log in.' : `Missing ${kind} token.`,
        kind === 'session' ? 'unauthenticated' : `missing_${kind}`,
      );
    if (!now) {
      const hit = this.verified.get(token);
      if (hit && hit.kind === kind && Date.now() < hit.until)
        return { ...hit.claims } as ClaimsOf<K> & { exp: number; iat: number };
    }
    const spec = TOKENS[kind];
    try {
      const payload = await verifyEdDsaJwt(token, this.getKey, {
        issuer: spec.issuer,
        audience: spec.audience,
        now: now ?? new Date(),
      });
      const claims = spec.claims.safeParse(payload);
      if (!claims.success) throw new AuthError(`Malformed ${kind} token.`, 'invalid_token');
      const exp = payload.exp!; // verifyEdDsaJwt refuses a token without one
      const result = { ...(claims.data as ClaimsOf<K>), exp, iat: payload.iat ?? 0 };
      if (!now) this.remember(token, kind, result, exp * 1000);
      return result;
    } catch (err) {
      if (err instanceof AuthError) throw err;
      if (err instanceof joseErrors.JWTExpired) {
        throw new AuthError(
          kind === 'session' ? 'Your session expired; refresh it.' : `The ${kind} token expired.`,
          kind === 'session' ? 'session_expired' : 'token_expired',
        );
      }
      // The issuer's key set could not be fetched (issuer down or restarting): the token may
      // well be good, so the caller is told to try again rather than that it is invalid.
      if (keysUnreachable(err))
        throw new UnavailableError(
          `The ${kind} token's signing keys cannot be fetched right now; try again shortly.`,
          'keys_unavailable',
        );
      throw new AuthError(`Invalid ${kind} token.`, 'invalid_token');
    }
  }

  private remember(token: string, kind: TokenKind, claims: object, expMs: number): void {
    this.verified.delete(token);
    if (this.verified.size >= VERIFIED_CACHE_SIZE) {
      const oldest = this.verified.keys().next();
      if (!oldest.done) this.verified.delete(oldest.value);
    }
    this.verified.set(token, {
      kind,
      claims: { ...claims },
      until: Math.min(expMs, Date.now() + VERIFIED_CACHE_MS),
    });
  }
}

/** A JWS segment decoded as a JSON object, or `JWTInvalid` naming the part (`what`). */
function decodeObject(segment: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw new joseErrors.JWTInvalid(`the ${what} is not base64url JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new joseErrors.JWTInvalid(`the ${what} must be an object`);
  return value as Record<string, unknown>;
}

/**
 * What jose's `jwtVerify` checks for our tokens (compact JWS, `alg` EdDSA only, no `crit`,
 * the key chosen by `kid` through jose's key set, `iss`, `aud`, `exp`, `nbf`, numeric
 * `iat`; stricter than jose, `exp` must be present), but with the Ed25519 check made
 * synchronously (`ed25519Verify`). jose runs it as a
 * promisified thread-pool job, which doubles its CPU cost (0.22 vs 0.11 ms measured), and
 * every request of every service verifies a session. Errors are jose's, so the caller maps
 * them as before; a malformed token is `JWTInvalid`, never a bare SyntaxError.
 */
export async function verifyEdDsaJwt(
  token: string,
  getKey: JWTVerifyGetKey,
  opts: { issuer: string; audience: string; now: Date },
): Promise<JWTPayload> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new joseErrors.JWTInvalid('JWTs must have three parts');
  const [h, p, s] = parts as [string, string, string];
  const header = decodeObject(h, 'protected header');
  if (header.alg !== 'EdDSA') throw new joseErrors.JOSEAlgNotAllowed('"alg" (Algorithm) value not allowed');
  if (header.crit !== undefined) throw new joseErrors.JWTInvalid('no "crit" header parameter is supported');
  const key = await getKey(header as Parameters<JWTVerifyGetKey>[0], {
    payload: p,
    signature: s,
    protected: h,
  });
  const verifyKey =
    key instanceof KeyObject || key instanceof CryptoKey
      ? key
      : key instanceof Uint8Array
        ? undefined
        : createPublicKey({ key: key as JsonWebKey, format: 'jwk' });
  if (!verifyKey || !ed25519Verify(Buffer.from(`${h}.${p}`), Buffer.from(s, 'base64url'), verifyKey))
    throw new joseErrors.JWSSignatureVerificationFailed();
  const claims = decodeObject(p, 'JWT claims set') as JWTPayload;
  const nowSec = Math.floor(opts.now.getTime() / 1000);
  const failed = (claim: string, why: string) =>
    new joseErrors.JWTClaimValidationFailed(`unexpected "${claim}" claim value (${why})`, claims, claim, why);
  if (claims.iss !== opts.issuer) throw failed('iss', 'check_failed');
  const aud = claims.aud;
  if (!(aud === opts.audience || (Array.isArray(aud) && aud.includes(opts.audience))))
    throw failed('aud', 'check_failed');
  for (const c of ['iat', 'nbf', 'exp'] as const)
    if (claims[c] !== undefined && typeof claims[c] !== 'number') throw failed(c, 'invalid');
  // Every token we issue expires; one without `exp` (a leaked signing key, a bug in a
  // signer) would be valid forever, so it is refused whatever its kind.
  if (claims.exp === undefined) throw failed('exp', 'missing');
  if (claims.nbf !== undefined && claims.nbf > nowSec) throw failed('nbf', 'check_failed');
  if (claims.exp !== undefined && claims.exp <= nowSec)
    throw new joseErrors.JWTExpired('"exp" claim timestamp check failed', claims, 'exp', 'check_failed');
  return claims;
}

/** A remote JWK set that did not load: a timeout, a network error, or a non-200 answer. */
function keysUnreachable(err: unknown): boolean {
  if (err instanceof joseErrors.JWKSTimeout) return true;
  if (!(err instanceof joseErrors.JOSEError)) return true;
  return err.code === 'ERR_JOSE_GENERIC' && /JSON Web Key Set HTTP response/.test(err.message);
}

export function cookieOptions(opts: {
  secure: boolean;
  path?: string;
  maxAgeMs?: number;
  expires?: Date;
}): CookieOptions {
  return {
    httpOnly: true,
    sameSite: 'lax',
    secure: opts.secure,
    path: opts.path ?? '/',
    ...(opts.maxAgeMs !== undefined ? { maxAge: opts.maxAgeMs } : {}),
    ...(opts.expires ? { expires: opts.expires } : {}),
  };
}

export interface SessionGuardOptions {
  /** Require a verified e-mail address. */
  verifiedEmail?: boolean;
  roles?: Role[];
  /** Do not fail without a session; handlers then read `optionalSessionOf(res)`. */
  optional?: boolean;
}

/** Express middleware: verifies `ts_session` and puts its claims on `res.locals.session`. */
export function sessionGuard(verifier: TokenVerifier, opts: SessionGuardOptions = {}): RequestHandler {
  return async (req: Request, res: Response, next) => {
    try {
      const token = (req.cookies as Record<string, string> | undefined)?.[TOKENS.session.cookie];
      if (!token && opts.optional) return next();
      const claims = await verifier.verify('session', token);
      if (opts.roles && !opts.roles.includes(claims.role))
        throw new ForbiddenError(`This needs one of the roles: ${opts.roles.join(', ')}.`, 'role_required');
      if (opts.verifiedEmail && !claims.emv)
        throw new ForbiddenError('Verify your e-mail address first.', 'email_not_verified');
      res.locals.session = claims;
      next();
    } catch (err) {
      if (opts.optional && err instanceof AuthError && err.code !== 'session_expired') return next();
      next(err);
    }
  };
}

export function sessionOf(res: Response): SessionClaims {
  const s = res.locals.session as SessionClaims | undefined;
  if (!s) throw new AuthError();
  return s;
}

export const optionalSessionOf = (res: Response): SessionClaims | undefined =>
  res.locals.session as SessionClaims | undefined;
