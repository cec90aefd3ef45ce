import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { gzipBody, negotiateGzip } from '@ticketslave/common';

interface Encoded {
  body: Buffer;
  etag: string;
}

/** A public answer ready to send: its JSON bytes and their strong ETag (and, once asked for, gzipped). */
export interface RenderedPage extends Encoded {
  gzipped?: Promise<Encoded>;
}

/** What a page is made of, and the instant (ms) at which time alone changes it (a sale opens, an event starts). */
export interface PageSource {
  value: unknown;
  changesAt: number | null;
}

export interface PageCacheOptions {
  /** How long a page may be served without being read again; 0 turns caching off. */
  maxAgeMs: number;
  /** Bound on the number of distinct query keys kept (the oldest goes first). */
  maxEntries?: number;
  /** The service's clock, in ms (the same clock the pages are computed with). */
  now: () => number;
}

/** Same format as Express's strong ETags: length and SHA-1 of the bytes. */
export function strongEtag(body: Buffer): string {
  const hash = createHash('sha1').update(body).digest('base64').slice(0, 27);
  return `"${body.length.toString(16)}-${hash}"`;
}

const renderPage = (value: unknown): RenderedPage => {
  const body = Buffer.from(JSON.stringify(value));
  return { body, etag: strongEtag(body) };
};

/**
 * Rendered public pages per query key. An entry lives until the first of: `invalidate()`
 * (called after every committed change to events or their stats in this process), the
 * instant its content changes with time (`changesAt`), or `maxAgeMs` (the bound on how stale
 * a change made through another instance can look here). Concurrent misses on one key share
 * one read; a read that started before an invalidation is answered but never stored.
 */
export class PageCache {
  private generation = 0;
  private readonly entries = new Map<string, { page: RenderedPage; expiresAt: number }>();
  private readonly pending = new Map<string, Promise<RenderedPage>>();
  private readonly maxEntries: number;

  constructor(private readonly opts: PageCacheOptions) {
    this.maxEntries = opts.maxEntries ?? 1000;
  }

  get enabled(): boolean {
    return this.opts.maxAgeMs > 0;
  }

  /** Drops every page; pages being read right now will not be stored. */
  invalidate(): void {
    this.generation++;
    this.entries.clear();
    this.pending.clear();
  }

  async get(key: string, source: () => Promise<PageSource>): Promise<RenderedPage> {
    if (!this.enabled) return renderPage((await source()).value);
    const hit = this.entries.get(key);
    if (hit) {
      if (hit.expiresAt > this.opts.now()) return hit.page;
      this.entries.delete(key);
    }
    const inFlight = this.pending.get(key);
    if (inFlight) return inFlight;
    const generation = this.generation;
    const readAt = this.opts.now();
    const read = source().then(
      ({ value, changesAt }) => {
        const page = renderPage(value);
        if (this.generation === generation) {
          this.pending.delete(key);
          const expiresAt = Math.min(readAt + this.opts.maxAgeMs, changesAt ?? Infinity);
          if (this.entries.size >= this.maxEntries) {
            const oldest = this.entries.keys().next();
            if (!oldest.done) this.entries.delete(oldest.value);
          }
          this.entries.set(key, { page, expiresAt });
        }
        return page;
      },
      (err: unknown) => {
        if (this.pending.get(key) === read) this.pending.delete(key);
        throw err;
      },
    );
    this.pending.set(key, read);
    return read;
  }
}

/**
 * Sends a rendered page like the kit's `sendJson` does (large pages gzipped for clients that
 * accept it, an ETag per encoding), compressing a cached page once rather than per request.
 * Express answers 304 itself when If-None-Match has the ETag.
 */
export async function sendPage(req: Request, res: Response, page: RenderedPage): Promise<void> {
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  let sent: Encoded = page;
  if (negotiateGzip(req, res, page.body.length)) {
    page.gzipped ??= gzipBody(page.body).then((body) => ({ body, etag: strongEtag(body) }));
    sent = await page.gzipped;
    res.setHeader('Content-Encoding', 'gzip');
  }
  res.setHeader('ETag', sent.etag);
  res.send(sent.body);
}
