import { z } from 'zod';
import { Category, EventStatus, MemberRole, QueueSettings } from '@ticketslave/common';
import { EventInput } from '../domain/event-rules';

/** The answers of the event routes as they go on the wire; the frontends' types are generated from them. */

const PriceRange = z.object({ minMinor: z.number().int(), maxMinor: z.number().int(), currency: z.string() });

/** One event in the public list. */
export const EventSummary = z
  .object({
    id: z.string(),
    title: z.string(),
    artist: z.string(),
    venue: z.string(),
    city: z.string(),
    startsAt: z.string().nullable(),
    saleStartsAt: z.string().nullable(),
    /** The venue's IANA zone; times are shown on its clock. */
    timeZone: z.string(),
    posterUrl: z.string().nullable(),
    status: EventStatus,
    priceRange: PriceRange.nullable(),
  })
  .meta({ id: 'EventSummary' });

export const EventList = z.object({ items: z.array(EventSummary), nextCursor: z.string().nullable() });

/** The public event page. */
export const EventDetails = EventSummary.extend({
  description: z.string(),
  doorsAt: z.string().nullable(),
  bufferGraceSeconds: z.number().int(),
  holdSeconds: z.number().int(),
  perUserLimit: z.number().int(),
  queue: QueueSettings,
  version: z.number().int(),
  cancelReason: z.string().nullable(),
  capacity: z.number().int().nullable(),
  categories: z.array(z.intersection(Category, z.object({ capacity: z.number().int() }))),
  stock: z
    .object({
      available: z.number().int(),
      held: z.number().int().nullable(),
      sold: z.number().int().nullable(),
      updatedAt: z.string().nullable(),
    })
    .nullable(),
  buffer: z
    .object({ total: z.number().int().nullable(), commitment: z.string(), closedAt: z.string().nullable() })
    .nullable(),
}).meta({ id: 'EventDetails' });

/** An event as its organisers edit it. */
export const OrganiserEvent = EventInput.extend({
  id: z.string(),
  organiserId: z.string(),
  organisationId: z.string().nullable(),
  /** My role in the event's organisation (on reads). */
  myRole: z.union([MemberRole, z.literal('admin')]).optional(),
  status: z.enum(['draft', 'published', 'cancelled']),
  version: z.number().int(),
  posterUrl: z.string().nullable(),
  cancelReason: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
}).meta({ id: 'OrganiserEvent' });

export const EventAudit = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      actorId: z.string(),
      actorEmail: z.string().nullable(),
      actorRole: z.string().nullable(),
      action: z.string(),
      details: z.record(z.string(), z.unknown()),
      at: z.string(),
    }),
  ),
});
