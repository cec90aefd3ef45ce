import { categoryCapacity, InputError, NotFoundError, type Clock } from '@ticketslave/common';
import { capacityOf, effectiveStatus, priceRange, type EventRecord, type EventStock } from './event-rules';

export interface EventStats extends EventStock {
  stockAt: string | null;
  bufferTotal: number | null;
  commitment: string | null;
  bufferClosedAt: string | null;
}

/**
 * One event as the public list shows it, read lean: no description, seat layout, queue
 * settings or bookkeeping, and times already as ISO strings (parsing dates and layouts
 * was most of a list request's CPU).
 */
export interface FeedRow {
  id: string;
  status: EventRecord['status'];
  title: string;
  artist: string;
  venue: string;
  city: string;
  startsAt: string;
  saleStartsAt: string | null;
  /** The venue's zone, in which fans see the times. */
  timeZone: string;
  posterUrl: string | null;
  /** As `priceRange(categories)` computes it. */
  priceRange: { minMinor: number; maxMinor: number; currency: string } | null;
  stock: EventStock | null;
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
  list(query: FeedQuery): Promise<FeedRow[]>;
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

export type ListQuery = { q?: string; from?: string; to?: string; cursor?: string; limit: number };

/**
 * The first instant after `now` at which time alone changes what these events look like in
 * the feed: a sale opens (status on_sale) or an event starts (it leaves the list, status
 * completed). Until then a page read at `now` stays right unless the data changes.
 */
export function nextChange(
  events: Pick<EventRecord, 'startsAt' | 'saleStartsAt'>[],
  now: Date,
): number | null {
  let at = Infinity;
  for (const e of events)
    for (const t of [e.startsAt, e.saleStartsAt]) {
      const ms = t ? Date.parse(t) : NaN;
      if (ms > now.getTime() && ms < at) at = ms;
    }
  return at === Infinity ? null : at;
}

/** What anyone may read about published events. */
export class PublicEvents {
  constructor(
    private readonly store: PublicEventStore,
    private readonly clock: Clock,
  ) {}

  async list(q: ListQuery) {
    return (await this.listTimed(q)).value;
  }

  /** The list page and the instant at which time alone changes it (see `nextChange`). */
  async listTimed(q: ListQuery) {
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
      value: {
        items: page.map((r) => ({
          id: r.id,
          title: r.title,
          artist: r.artist,
          venue: r.venue,
          city: r.city,
          startsAt: r.startsAt,
          saleStartsAt: r.saleStartsAt,
          timeZone: r.timeZone,
          posterUrl: r.posterUrl,
          status: effectiveStatus(r, now, r.stock ?? undefined),
          priceRange: r.priceRange,
        })),
        nextCursor:
          rows.length > q.limit && last ? encodeCursor({ startsAt: last.startsAt, id: last.id }) : null,
      },
      changesAt: nextChange(rows, now),
    };
  }

  async get(id: string) {
    return (await this.getTimed(id)).value;
  }

  /** The event page and the instant at which time alone changes it. */
  async getTimed(id: string) {
    const now = this.clock.now();
    const found = await this.store.get(id);
    if (!found || found.event.status === 'draft')
      throw new NotFoundError('No such event.', 'event_not_found');
    const { event: e, stats } = found;
    return { value: this.details(e, stats, now), changesAt: nextChange([e], now) };
  }

  private details(e: EventRecord, stats: EventStats | null, now: Date) {
    return {
      ...this.summary(e, stats, now),
      description: e.description,
      doorsAt: e.doorsAt,
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
      timeZone: e.timeZone,
      posterUrl: e.posterUrl,
      status: effectiveStatus(e, now, stats ?? undefined),
      priceRange: priceRange(e.categories),
    };
  }
}
