import { categoryCapacity, InputError, NotFoundError, type Clock } from '@ticketslave/common';
import { capacityOf, effectiveStatus, priceRange, type EventRecord, type EventStock } from './event-rules';

export interface EventStats extends EventStock {
  stockAt: string | null;
  bufferTotal: number | null;
  commitment: string | null;
  bufferClosedAt: string | null;
}

export interface FeedQuery {
  q?: string;
  from?: string;
  to?: string;
  cursor?: { startsAt: string; id: string };
  limit: number;
  now: Date;
}

export interface PublicEventStore {
  list(query: FeedQuery): Promise<{ event: EventRecord; stats: EventStats | null }[]>;
  get(id: string): Promise<{ event: EventRecord; stats: EventStats | null } | undefined>;
}

export const encodeCursor = (e: { startsAt: string; id: string }) =>
  Buffer.from(`${e.startsAt}|${e.id}`).toString('base64url');

export function decodeCursor(cursor: string): { startsAt: string; id: string } {
  const [startsAt, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  if (!startsAt || !id || Number.isNaN(Date.parse(startsAt)) || !/^[0-9a-f-]{36}$/.test(id))
    throw new InputError('cursor: is not a cursor this API gave out', [
      { path: 'cursor', message: 'invalid' },
    ]);
  return { startsAt, id };
}

/** What anyone may read about published events. */
export class PublicEvents {
  constructor(
    private readonly store: PublicEventStore,
    private readonly clock: Clock,
  ) {}

  async list(q: { q?: string; from?: string; to?: string; cursor?: string; limit: number }) {
    const now = this.clock.now();
    const rows = await this.store.list({
      q: q.q?.trim() || undefined,
      from: q.from,
      to: q.to,
      cursor: q.cursor ? decodeCursor(q.cursor) : undefined,
      limit: q.limit + 1,
      now,
    });
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return {
      items: page.map(({ event, stats }) => this.summary(event, stats, now)),
      nextCursor:
        rows.length > q.limit && last
          ? encodeCursor({ startsAt: last.event.startsAt!, id: last.event.id })
          : null,
    };
  }

  async get(id: string) {
    const found = await this.store.get(id);
    if (!found || found.event.status === 'draft')
      throw new NotFoundError('No such event.', 'event_not_found');
    const { event: e, stats } = found;
    const now = this.clock.now();
    return {
      ...this.summary(e, stats, now),
      description: e.description,
      bufferGraceSeconds: e.bufferGraceSeconds,
      holdSeconds: e.holdSeconds,
      perUserLimit: e.perUserLimit,
      queue: e.queue,
      version: e.version,
      cancelReason: e.cancelReason,
      capacity: capacityOf(e.categories),
      categories: e.categories.map((c) => ({ ...c, capacity: categoryCapacity(c) })),
      stock:
        stats?.available != null
          ? { available: stats.available, held: stats.held, sold: stats.sold, updatedAt: stats.stockAt }
          : null,
      buffer:
        stats?.commitment != null
          ? { total: stats.bufferTotal, commitment: stats.commitment, closedAt: stats.bufferClosedAt }
          : null,
    };
  }

  private summary(e: EventRecord, stats: EventStats | null, now: Date) {
    return {
      id: e.id,
      title: e.title,
      artist: e.artist,
      venue: e.venue,
      city: e.city,
      startsAt: e.startsAt,
      saleStartsAt: e.saleStartsAt,
      posterUrl: e.posterUrl,
      status: effectiveStatus(e, now, stats ?? undefined),
      priceRange: priceRange(e.categories),
    };
  }
}
