import { queryOne, queryRows, type Queryable } from '@ticketslave/common';
import type { FeedQuery, FeedRow, EventStats, PublicEventStore } from '../domain/public-events';
import type { EventRecord } from '../domain/event-rules';
import { EVENT_COLUMNS, toEventRecord, type EventRow } from './events-repo';

interface StatsRow {
  available: number | null;
  held: number | null;
  sold: number | null;
  stock_at: Date | null;
  buffer_total: number | null;
  commitment: string | null;
  buffer_closed_at: Date | null;
}

const STATS_COLUMNS =
  's.available, s.held, s.sold, s.stock_at, s.buffer_total, s.commitment, s.buffer_closed_at';
const prefixed = EVENT_COLUMNS.split(',')
  .map((c) => `e.${c.trim()}`)
  .join(', ');

const toPair = (r: EventRow & StatsRow): { event: EventRecord; stats: EventStats | null } => ({
  event: toEventRecord(r),
  stats: {
    available: r.available,
    held: r.held,
    sold: r.sold,
    stockAt: r.stock_at?.toISOString() ?? null,
    bufferTotal: r.buffer_total,
    commitment: r.commitment,
    bufferClosedAt: r.buffer_closed_at?.toISOString() ?? null,
  },
});

interface FeedDbRow {
  id: string;
  status: FeedRow['status'];
  title: string;
  artist: string;
  venue: string;
  city: string;
  starts_at: string;
  sale_starts_at: string | null;
  time_zone: string;
  poster_url: string | null;
  /** Generated columns (migration 0003): priceRange() of the categories, kept by PostgreSQL. */
  price_min_minor: number | null;
  price_max_minor: number | null;
  price_currency: string | null;
  available: number | null;
  held: number | null;
  sold: number | null;
}

/** A timestamptz as Date#toISOString() writes it (UTC, milliseconds), without parsing a Date per row. */
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export class PgPublicEventStore implements PublicEventStore {
  constructor(private readonly db: Queryable) {}

  async list(q: FeedQuery): Promise<FeedRow[]> {
    // Keyset pagination on (starts_at, id) walks the partial index events_public_feed.
    const rows = await queryRows<FeedDbRow>(
      this.db,
      `SELECT e.id, e.status, e.title, e.artist, e.venue, e.city, ${iso('e.starts_at')} AS starts_at,
         ${iso('e.sale_starts_at')} AS sale_starts_at, e.time_zone, e.poster_url,
         e.price_min_minor, e.price_max_minor, e.price_currency, s.available, s.held, s.sold
       FROM events e LEFT JOIN event_stats s ON s.event_id = e.id
       WHERE e.status IN ('published', 'on_sale', 'sold_out') AND e.starts_at > $1
         AND ($2::text IS NULL OR (e.title || ' ' || e.artist || ' ' || e.venue || ' ' || e.city) ILIKE $2)
         AND ($3::timestamptz IS NULL OR e.starts_at >= $3)
         AND ($4::timestamptz IS NULL OR e.starts_at < $4)
         AND ($5::timestamptz IS NULL OR (e.starts_at, e.id) > ($5, $6::uuid))
       ORDER BY e.starts_at, e.id LIMIT $7`,
      [
        q.now,
        q.q ? likePattern(q.q) : null,
        q.from ?? null,
        q.to ?? null,
        q.cursor?.startsAt ?? null,
        q.cursor?.id ?? null,
        q.limit,
      ],
    );
    return rows.map((r): FeedRow => ({
      id: r.id,
      status: r.status,
      title: r.title,
      artist: r.artist,
      venue: r.venue,
      city: r.city,
      startsAt: r.starts_at,
      saleStartsAt: r.sale_starts_at,
      timeZone: r.time_zone,
      posterUrl: r.poster_url,
      priceRange:
        r.price_min_minor === null || r.price_max_minor === null || r.price_currency === null
          ? null
          : { minMinor: r.price_min_minor, maxMinor: r.price_max_minor, currency: r.price_currency },
      stock: r.available === null ? null : { available: r.available, held: r.held, sold: r.sold },
    }));
  }

  async get(id: string) {
    const row = await queryOne<EventRow & StatsRow>(
      this.db,
      `SELECT ${prefixed}, ${STATS_COLUMNS} FROM events e LEFT JOIN event_stats s ON s.event_id = e.id WHERE e.id = $1`,
      [id],
    );
    return row && toPair(row);
  }
}
