import { z } from 'zod';
import { MemberRole, OrganisationSettings } from '../organisations';
import type { TopicName } from './topics';

/** ISO 4217 code. */
export const Currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 currency code like EUR');
export const MinorUnits = z.number().int().min(0).max(100_000_000);

/** Whether `name` is an IANA zone name this runtime knows ("Europe/Berlin", "UTC"); offsets like "+01:00" are not zones. */
export function isTimeZone(name: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
/** A venue's time zone: every time of an event is shown in it, labelled with it. */
export const TimeZone = z.string().max(64).refine(isTimeZone, 'an IANA time zone such as Europe/Berlin');

/**
 * Reserved seating, described compactly: a section is a list of row ranges, e.g.
 * `{ name: 'Floor', rows: [{ from: 'A', to: 'T', seats: 30 }] }` = rows A–T × 30 seats.
 */
export const RowRange = z.object({
  from: z.string().min(1).max(3),
  to: z.string().min(1).max(3).optional(),
  seats: z.number().int().min(1).max(500),
});
export const Section = z.object({ name: z.string().min(1).max(60), rows: z.array(RowRange).min(1).max(100) });

const CategoryBase = z.object({
  id: z
    .string()
    .min(1)
    .max(40)
    .regex(/^[a-z0-9-]+$/, 'lowercase letters, digits and dashes'),
  name: z.string().min(1).max(80),
  priceMinor: MinorUnits,
  currency: Currency,
});
export const ReservedCategory = CategoryBase.extend({
  kind: z.literal('reserved'),
  sections: z.array(Section).min(1).max(50),
});
export const GaCategory = CategoryBase.extend({
  kind: z.literal('ga'),
  capacity: z.number().int().min(1).max(200_000),
});
export const Category = z.discriminatedUnion('kind', [ReservedCategory, GaCategory]);
export type Category = z.infer<typeof Category>;

export const QueueSettings = z.object({
  admitRatePerMinute: z.number().int().min(1).max(100_000),
  maxActiveShoppers: z.number().int().min(1).max(100_000),
  awayGraceSeconds: z.number().int().min(0).max(3600),
  /**
   * Difficulty of the proof of work a fan solves to join the buffer (ALTCHA maxnumber: a
   * browser tries half of it on average); the organiser raises it for a hot on-sale. Absent
   * (events saved before the setting): DEFAULT_JOIN_POW_MAX_NUMBER.
   */
  joinPowMaxNumber: z
    .number()
    .int()
    .min(1000, 'at least 1,000')
    .max(5_000_000, 'at most 5,000,000 (a phone needs seconds already)')
    .optional(),
});
/** Join difficulty of an event that does not set one: ~0.1–0.3 s of a phone's time. */
export const DEFAULT_JOIN_POW_MAX_NUMBER = 50_000;
export type QueueSettings = z.infer<typeof QueueSettings>;

export const EventStatus = z.enum(['draft', 'published', 'on_sale', 'sold_out', 'completed', 'cancelled']);

/** Versioned full snapshot of an event, as feed publishes it. */
export const EventSnapshot = z.object({
  eventId: z.uuid(),
  version: z.number().int().min(1),
  organiserId: z.string().min(1),
  status: EventStatus,
  title: z.string(),
  artist: z.string(),
  description: z.string(),
  venue: z.string(),
  city: z.string(),
  startsAt: z.iso.datetime({ offset: true }),
  saleStartsAt: z.iso.datetime({ offset: true }),
  bufferGraceSeconds: z.number().int().min(0),
  queue: QueueSettings,
  holdSeconds: z.number().int().min(30),
  perUserLimit: z.number().int().min(1),
  posterUrl: z.string().nullable(),
  categories: z.array(Category).min(1),
  /** The organisation the event belongs to; its members' roles decide who may do what (absent in older messages). */
  organisationId: z.uuid().optional(),
  /** Optional only for messages of feeds older than the field (absent = UTC). */
  timeZone: TimeZone.optional(),
  /** When the venue's doors open; null when not announced (absent in older messages). */
  doorsAt: z.iso.datetime({ offset: true }).nullable().optional(),
});
export type EventSnapshot = z.infer<typeof EventSnapshot>;

const OrderRef = z.object({
  orderId: z.uuid(),
  eventId: z.uuid(),
  userId: z.string(),
  admissionId: z.string(),
  amountMinor: MinorUnits,
  currency: Currency,
});

/** The name given at checkout (the cardholder's), when the processor told it. */
const BuyerName = z.string().max(200).optional();
/** Who started a refund: an organiser (purchase), Stripe's dashboard, a cancelled event, payment itself. */
export const RefundSource = z.enum(['organiser', 'stripe', 'event_cancelled', 'payment']);
export type RefundSource = z.infer<typeof RefundSource>;

const PaymentRef = z.object({
  orderId: z.uuid(),
  eventId: z.uuid(),
  paymentIntentId: z.string(),
  amountMinor: MinorUnits,
  currency: Currency,
});

/** Payload schema of every topic. Producers and consumers both validate against these. */
export const PAYLOADS = {
  /** Full snapshot of an organisation after every change: services keep who may act on its events. */
  'organisation.updated': z.object({
    organisationId: z.uuid(),
    version: z.number().int().min(1),
    name: z.string(),
    settings: OrganisationSettings,
    members: z.array(z.object({ userId: z.string(), role: MemberRole })).max(10_000),
  }),
  'event.published': EventSnapshot,
  'event.updated': EventSnapshot,
  'event.cancelled': z.object({ eventId: z.uuid(), reason: z.string() }),
  'buffer.closed': z.object({
    eventId: z.uuid(),
    total: z.number().int().min(0),
    commitment: z.string().regex(/^[0-9a-f]{64}$/),
    seed: z.string().regex(/^[0-9a-f]{64}$/),
    beacon: z.string(),
    entrantsDigest: z.string().regex(/^[0-9a-f]{64}$/),
  }),
  // userIds[i] has queue number first + i: one string per fan, not one object (a million-fan close
  // is a million numbers: objects cost the producer, both zod checks and the JSON ~1.5× more).
  'queue.assigned': z.union([
    z.object({
      eventId: z.uuid(),
      late: z.boolean().default(false),
      first: z.number().int().min(1),
      userIds: z.array(z.string()).min(1),
    }),
    // The earlier form, still read (a topic may hold it during an upgrade), no longer written.
    z.object({
      eventId: z.uuid(),
      late: z.boolean().default(false),
      assignments: z.array(z.object({ userId: z.string(), queueNumber: z.number().int().min(1) })).min(1),
    }),
  ]),
  'queue.progress': z.object({
    eventId: z.uuid(),
    servingNumber: z.number().int().min(0),
    parked: z.number().int().min(0),
    waiting: z.number().int().min(0),
    admitRatePerMinute: z.number().int().min(0),
    paused: z.boolean(),
    soldOut: z.boolean(),
    measuredRatePerMinute: z.number().min(0).optional(),
    lastNumber: z.number().int().min(0).optional(),
  }),
  'queue.admitted': z.object({
    eventId: z.uuid(),
    userId: z.string(),
    admissionId: z.string(),
    queueNumber: z.number().int().min(1).optional(),
    expiresAt: z.iso.datetime({ offset: true }),
  }),
  /**
   * A fan who asked for it ("E-mail me when I'm nearly there") is now within the event's
   * near-turn threshold while still waiting: purchase mails them, once per place (issue 20.8).
   */
  'queue.turn_near': z.object({
    eventId: z.uuid(),
    userId: z.string(),
    /** The address the fan opted in with (their session's verified e-mail then). */
    email: z.string().min(1),
    queueNumber: z.number().int().min(1),
    /** Fans ahead of them when the queue decided it. */
    ahead: z.number().int().min(0),
  }),
  'inventory.changed': z.object({
    eventId: z.uuid(),
    available: z.number().int().min(0),
    held: z.number().int().min(0),
    sold: z.number().int().min(0),
    byCategory: z
      .array(
        z.object({
          categoryId: z.string(),
          available: z.number().int(),
          held: z.number().int(),
          sold: z.number().int(),
        }),
      )
      .optional(),
  }),
  'order.created': OrderRef.extend({ expiresAt: z.iso.datetime({ offset: true }) }),
  'order.completed': OrderRef,
  'order.expired': OrderRef,
  'order.cancelled': OrderRef.extend({ reason: z.string().optional() }),
  /**
   * `cardFingerprint`: the processor's name for the card (Stripe's `card.fingerprint`, one per
   * card number): purchase limits an event's tickets per card with it (issue 17.8).
   */
  'payment.authorized': PaymentRef.extend({
    buyerName: BuyerName,
    cardFingerprint: z.string().min(1).max(100).optional(),
  }),
  'payment.captured': PaymentRef.extend({ buyerName: BuyerName }),
  'payment.voided': PaymentRef.extend({ reason: z.string().optional() }),
  /**
   * Money went back to the fan. `amountMinor` is the payment's; `refundMinor` this refund's
   * (absent: everything left). `refundId` is purchase's refund request when purchase asked
   * (refund.requested); refunds made elsewhere (Stripe's dashboard) carry one payment made up.
   */
  'payment.refunded': PaymentRef.extend({
    reason: z.string().optional(),
    refundId: z.uuid().optional(),
    refundMinor: MinorUnits.optional(),
    source: RefundSource.optional(),
  }),
  'payment.failed': PaymentRef.extend({ reason: z.string().optional() }),
  /** A refund purchase asked for was refused by the processor; nothing moved. */
  'payment.refund_failed': z.object({
    orderId: z.uuid(),
    eventId: z.uuid(),
    refundId: z.uuid(),
    reason: z.string(),
  }),
  /** The fan's bank opened a dispute (chargeback): the money is being taken back. */
  'payment.disputed': PaymentRef.extend({
    disputeId: z.string(),
    disputedMinor: MinorUnits,
    reason: z.string(),
  }),
  /** An organiser refunds (part of) a paid order; payment refunds it at Stripe, once per refundId. */
  'refund.requested': z.object({
    refundId: z.uuid(),
    orderId: z.uuid(),
    eventId: z.uuid(),
    amountMinor: MinorUnits.min(1),
    currency: Currency,
    reason: z.string().max(500),
  }),
} as const satisfies Record<TopicName, z.ZodType>;

export type Payload<T extends TopicName> = z.infer<(typeof PAYLOADS)[T]>;

export const ENVELOPE_VERSION = 1;

/** The fans and their queue numbers of a `queue.assigned` message, in either of its forms. */
export function assignmentsOf(p: Payload<'queue.assigned'>): { userIds: string[]; queueNumbers: number[] } {
  if ('userIds' in p) return { userIds: p.userIds, queueNumbers: p.userIds.map((_, i) => p.first + i) };
  return {
    userIds: p.assignments.map((a) => a.userId),
    queueNumbers: p.assignments.map((a) => a.queueNumber),
  };
}

export interface Envelope<T extends TopicName = TopicName> {
  id: string;
  type: T;
  version: number;
  occurredAt: string;
  payload: Payload<T>;
}

export const EnvelopeSchema = z.object({
  id: z.uuid(),
  type: z.string(),
  version: z.number().int().min(1),
  occurredAt: z.iso.datetime({ offset: true }),
  payload: z.unknown(),
});
