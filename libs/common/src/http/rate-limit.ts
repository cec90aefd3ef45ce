import type { Request, RequestHandler } from 'express';
import { TooManyRequestsError } from '../errors';

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * Token buckets in process memory. Each instance limits on its own, which bounds a
 * client at (instances × rate): good enough to blunt scripted floods, and it costs
 * no network round trip on the hot path of a join storm.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep = Date.now();

  constructor(
    private readonly capacity: number,
    private readonly refillPerSecond: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token for `key`; returns seconds to wait when none is left, else 0. */
  take(key: string, cost = 1): number {
    const now = this.now();
    this.sweep(now);
    const bucket = this.buckets.get(key) ?? { tokens: this.capacity, updatedAt: now };
    bucket.tokens = Math.min(
      this.capacity,
      bucket.tokens + ((now - bucket.updatedAt) / 1000) * this.refillPerSecond,
    );
    bucket.updatedAt = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;
      return 0;
    }
    return Math.ceil((cost - bucket.tokens) / this.refillPerSecond);
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    const idleMs = (this.capacity / this.refillPerSecond) * 1000;
    for (const [key, bucket] of this.buckets) if (now - bucket.updatedAt > idleMs) this.buckets.delete(key);
  }
}

/** Express middleware: one bucket per key; 429 problem+json with Retry-After when empty. */
export function rateLimit(opts: {
  capacity: number;
  refillPerSecond: number;
  key: (req: Request) => string | undefined;
}): RequestHandler {
  const limiter = new RateLimiter(opts.capacity, opts.refillPerSecond);
  return (req, res, next) => {
    const key = opts.key(req);
    if (key === undefined) return next();
    const wait = limiter.take(key);
    if (wait > 0) {
      res.setHeader('Retry-After', String(wait));
      return next(new TooManyRequestsError(wait));
    }
    next();
  };
}
