import { z } from 'zod';
import {
  Category,
  DEFAULT_JOIN_POW_MAX_NUMBER,
  QueueSettings,
  TimeZone,
  expandCategory,
  categoryCapacity,
  type EventSnapshot,
  type FieldError,
} from '@ticketslave/common';

const text = (max: number) => z.string().trim().max(max);
const instant = z.iso.datetime({ offset: true, message: 'an ISO date-time with offset' });

/** What an organiser writes; drafts may be incomplete, publishing checks the rest. */
export const EventInput = z.object({
  title: text(200).min(1, 'is required'),
  artist: text(200).default(''),
  description: text(5000).default(''),
  venue: text(200).default(''),
  city: text(120).default(''),
  startsAt: instant.nullable().default(null),
  saleStartsAt: instant.nullable().default(null),
  /** When the doors open; shown to fans, never before the sale starts nor after the show. */
  doorsAt: instant.nullable().default(null),
  /** The venue's zone: the editor reads and shows every time in it. */
  timeZone: TimeZone.default('UTC'),
  bufferGraceSeconds: z.number().int().min(0).max(86_400).default(300),
  queue: QueueSettings.default({
    admitRatePerMinute: 100,
    maxActiveShoppers: 200,
    awayGraceSeconds: 120,
    joinPowMaxNumber: DEFAULT_JOIN_POW_MAX_NUMBER,
  }),
  holdSeconds: z.number().int().min(30).max(3600).default(600),
  perUserLimit: z.number().int().min(1).max(50).default(4),
  categories: z.array(Category).max(30).default([]),
});
export type EventInput = z.infer<typeof EventInput>;

export type StoredStatus = 'draft' | 'published' | 'cancelled';

export interface EventRecord extends EventInput {
  id: string;
  /** Who created it. */
  organiserId: string;
  /** The organisation it belongs to; null only for an event a feed of the previous release created. */
  organisationId: string | null;
  status: StoredStatus;
  version: number;
  posterUrl: string | null;
  cancelReason: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface EventStock {
  available: number | null;
  held: number | null;
  sold: number | null;
}

/** The status people see: stored lifecycle plus what time and stock say. */
export function effectiveStatus(
  e: Pick<EventRecord, 'status' | 'saleStartsAt' | 'startsAt'>,
  now: Date,
  stock?: EventStock,
): EventSnapshot['status'] {
  if (e.status !== 'published') return e.status;
  if (e.startsAt && new Date(e.startsAt) <= now) return 'completed';
  if (stock?.available === 0 && stock.held === 0 && (stock.sold ?? 0) > 0) return 'sold_out';
  if (e.saleStartsAt && new Date(e.saleStartsAt) <= now) return 'on_sale';
  return 'published';
}

/** Everything that must hold before fans can see an event; one entry per broken rule. */
export function publishProblems(e: EventInput, now: Date): FieldError[] {
  const problems: FieldError[] = [];
  const need = (path: keyof EventInput, ok: boolean, message: string) => {
    if (!ok) problems.push({ path, message });
  };
  need('artist', e.artist.length > 0, 'is required to publish');
  need('venue', e.venue.length > 0, 'is required to publish');
  need('city', e.city.length > 0, 'is required to publish');
  need('saleStartsAt', e.saleStartsAt !== null, 'is required to publish');
  need('startsAt', e.startsAt !== null, 'is required to publish');
  if (e.saleStartsAt) need('saleStartsAt', new Date(e.saleStartsAt) > now, 'must be in the future');
  if (e.saleStartsAt && e.startsAt)
    need('startsAt', new Date(e.startsAt) > new Date(e.saleStartsAt), 'must be after the sale starts');
  if (e.doorsAt && e.startsAt)
    need('doorsAt', new Date(e.doorsAt) <= new Date(e.startsAt), 'must not be after the show starts');
  if (e.doorsAt && e.saleStartsAt)
    need('doorsAt', new Date(e.doorsAt) > new Date(e.saleStartsAt), 'must be after the sale starts');
  need('categories', e.categories.length > 0, 'at least one category is required to publish');
  problems.push(...categoryProblems(e.categories));
  return problems;
}

/** Rules for categories that hold for drafts too: unique ids, valid row ranges, one currency. */
export function categoryProblems(categories: Category[]): FieldError[] {
  const problems: FieldError[] = [];
  const seen = new Set<string>();
  categories.forEach((c, i) => {
    if (seen.has(c.id)) problems.push({ path: `categories.${i}.id`, message: `duplicates "${c.id}"` });
    seen.add(c.id);
    if (c.kind === 'reserved') {
      const units = new Set<string>();
      try {
        for (const u of expandCategory(c)) {
          if (units.has(u.unitId)) throw new Error(`seat ${u.section} ${u.row}${u.seat} is listed twice`);
          units.add(u.unitId);
        }
        if (units.size > 200_000) throw new Error('more than 200,000 seats');
      } catch (err) {
        problems.push({ path: `categories.${i}.sections`, message: (err as Error).message });
      }
    }
  });
  const currencies = new Set(categories.map((c) => c.currency));
  if (currencies.size > 1)
    problems.push({ path: 'categories', message: 'all categories must use one currency' });
  return problems;
}

/** Once fans may hold seats, a seat or place that existed must keep existing. */
export function removedSeatProblems(before: Category[], after: Category[]): FieldError[] {
  const problems: FieldError[] = [];
  for (const old of before) {
    const i = after.findIndex((c) => c.id === old.id);
    const next = after[i];
    if (!next) {
      problems.push({ path: 'categories', message: `category "${old.id}" cannot be removed once published` });
      continue;
    }
    if (next.kind !== old.kind) {
      problems.push({ path: `categories.${i}.kind`, message: 'cannot change once published' });
      continue;
    }
    if (old.kind === 'ga' && next.kind === 'ga' && next.capacity < old.capacity)
      problems.push({
        path: `categories.${i}.capacity`,
        message: `cannot go below ${old.capacity} once published`,
      });
    if (old.kind === 'reserved' && next.kind === 'reserved') {
      let kept: Set<string>;
      try {
        kept = new Set(expandCategory(next).map((u) => u.unitId));
      } catch {
        continue; // categoryProblems reports the broken range
      }
      const gone = expandCategory(old).filter((u) => !kept.has(u.unitId));
      if (gone.length)
        problems.push({
          path: `categories.${i}.sections`,
          message: `would remove ${gone.length} seat(s) (e.g. ${gone[0]!.section} ${gone[0]!.row}${gone[0]!.seat}) once published`,
        });
    }
  }
  return problems;
}

export function snapshotOf(e: EventRecord): EventSnapshot {
  return {
    eventId: e.id,
    version: e.version,
    organiserId: e.organiserId,
    ...(e.organisationId ? { organisationId: e.organisationId } : {}),
    status: e.status,
    title: e.title,
    artist: e.artist,
    description: e.description,
    venue: e.venue,
    city: e.city,
    startsAt: e.startsAt!,
    saleStartsAt: e.saleStartsAt!,
    bufferGraceSeconds: e.bufferGraceSeconds,
    queue: e.queue,
    holdSeconds: e.holdSeconds,
    perUserLimit: e.perUserLimit,
    posterUrl: e.posterUrl,
    categories: e.categories,
    timeZone: e.timeZone,
    doorsAt: e.doorsAt,
  };
}

export function priceRange(
  categories: Category[],
): { minMinor: number; maxMinor: number; currency: string } | null {
  if (!categories.length) return null;
  const prices = categories.map((c) => c.priceMinor);
  return { minMinor: Math.min(...prices), maxMinor: Math.max(...prices), currency: categories[0]!.currency };
}

export const capacityOf = (categories: Category[]) => {
  try {
    return categories.reduce((n, c) => n + categoryCapacity(c), 0);
  } catch {
    return null;
  }
};
