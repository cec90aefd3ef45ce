import type { Request, RequestHandler } from 'express';
import type { RateLimitStore, RateRule } from '../db/rate-limit-store';
import { TooManyRequestsError } from '../errors';
import { RATE_LIMITED } from './api-router';

export type { RateRule } from '../db/rate-limit-store';

/** The key under which `createHttpApp` keeps the service's `RateLimitStore` in `app.locals`. */
export const RATE_LIMITS_LOCAL = 'rateLimits';

/** The service's shared rate-limit store (the kit puts it on the app). */
export function rateLimitsOf(req: Request): RateLimitStore {
  const store = (req.app?.locals as Record<string, unknown> | undefined)?.[RATE_LIMITS_LOCAL];
  if (!store) throw new Error('rateLimit needs the kit: createHttpApp({ rateLimits })');
  return store as RateLimitStore;
}

/** A limit of a route: its rule, and the key of the request's bucket (`undefined`: not limited). */
export type RouteLimit = RateRule & { key: (req: Request) => string | undefined };

/**
 * Express middleware: one token bucket per key, shared by every instance of the service
 * (the kit's `RateLimitStore` in PostgreSQL); 429 problem+json with Retry-After when empty.
 * A key of `undefined` is not limited.
 */
export function rateLimit(opts: RouteLimit): RequestHandler {
  return rateLimits([opts]);
}

/**
 * Several limits checked as one: a single take from all their buckets (one round trip,
 * batched with other requests' takes), granted only if every bucket has a token. When any
 * is empty the request is refused with the longest wait, and no bucket loses a token.
 * Limits whose key is `undefined` for this request are left out.
 */
export function rateLimits(limits: RouteLimit[]): RequestHandler {
  const rules = limits.map((l): RateRule => ({
    name: l.name,
    capacity: l.capacity,
    refillPerSecond: l.refillPerSecond,
  }));
  const limit: RequestHandler = (req, res, next) => {
    const checks = [];
    for (let i = 0; i < limits.length; i++) {
      const key = limits[i]!.key(req);
      if (key !== undefined) checks.push({ rule: rules[i]!, key });
    }
    if (checks.length === 0) return next();
    rateLimitsOf(req)
      .takeAll(checks)
      .then((wait) => {
        if (wait > 0) {
          res.setHeader('Retry-After', String(wait));
          return next(new TooManyRequestsError(wait));
        }
        next();
      }, next);
  };
  RATE_LIMITED.add(limit);
  return limit;
}
