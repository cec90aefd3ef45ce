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

/**
 * Express middleware: one token bucket per key, shared by every instance of the service
 * (the kit's `RateLimitStore` in PostgreSQL); 429 problem+json with Retry-After when empty.
 * A key of `undefined` is not limited.
 */
export function rateLimit(opts: RateRule & { key: (req: Request) => string | undefined }): RequestHandler {
  const rule: RateRule = { name: opts.name, capacity: opts.capacity, refillPerSecond: opts.refillPerSecond };
  const limit: RequestHandler = (req, res, next) => {
    const key = opts.key(req);
    if (key === undefined) return next();
    rateLimitsOf(req)
      .take(rule, key)
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
