/**
 * "My queues": the fan's places across events, from the two services that own them — the
 * buffer's entries (every place, numbered or waiting for the draw) and the queue's places
 * (what has become of each number). Pure, so the merge is tested without a browser.
 */
import type { components as BufferSchemas } from '@ticketslave/contracts/api/buffer';
import type { components as QueueSchemas } from '@ticketslave/contracts/api/queue';

export type BufferEntry = BufferSchemas['schemas']['Entry'];
export type QueuePlace = QueueSchemas['schemas']['MyPlace'];

export type MyPlace =
  /** In the buffer; the number comes with the draw. */
  | { eventId: string; state: 'draw'; joinedAt: string }
  /** Numbered; `ahead` is null until the queue knows the number (seconds after the draw). */
  | {
      eventId: string;
      state: 'waiting';
      queueNumber: number;
      ahead: number | null;
      paused: boolean;
      saleStartsAt: string | null;
    }
  /** The turn has come: claimable until `claimBy`. */
  | { eventId: string; state: 'turn'; queueNumber: number; claimBy: string | null }
  /** Claimed: shopping until `until`. */
  | { eventId: string; state: 'shopping'; queueNumber: number; until: string };

/** Most urgent first: a turn, then shopping, then the fewest fans ahead, then the draw. */
const RANK: Record<MyPlace['state'], number> = { turn: 0, shopping: 1, waiting: 2, draw: 3 };

/**
 * The fan's current places: the buffer's entries (cancelled events and past shows are not
 * among them), each with what the queue says of its number. A lapsed turn, an ended
 * admission or a sold-out queue is no longer a place.
 */
export function mergePlaces(
  entries: readonly BufferEntry[],
  places: readonly QueuePlace[],
  now = Date.now(),
): MyPlace[] {
  const byEvent = new Map(places.map((p) => [p.eventId, p]));
  const out: MyPlace[] = [];
  for (const e of entries) {
    if (e.queueNumber === null) {
      out.push({ eventId: e.eventId, state: 'draw', joinedAt: e.joinedAt });
      continue;
    }
    const p = byEvent.get(e.eventId);
    if (!p) {
      out.push({
        eventId: e.eventId,
        state: 'waiting',
        queueNumber: e.queueNumber,
        ahead: null,
        paused: false,
        saleStartsAt: null,
      });
      continue;
    }
    switch (p.status) {
      case 'waiting':
        if (p.soldOut) break;
        out.push({
          eventId: e.eventId,
          state: 'waiting',
          queueNumber: p.queueNumber,
          ahead: Math.max(0, p.queueNumber - p.servingNumber - 1),
          paused: p.paused,
          saleStartsAt: p.saleStartsAt,
        });
        break;
      case 'turn':
      case 'parked':
        if (p.claimBy && Date.parse(p.claimBy) <= now) break;
        out.push({ eventId: e.eventId, state: 'turn', queueNumber: p.queueNumber, claimBy: p.claimBy });
        break;
      case 'admitted':
        if (!p.admissionExpiresAt || Date.parse(p.admissionExpiresAt) <= now) break;
        out.push({
          eventId: e.eventId,
          state: 'shopping',
          queueNumber: p.queueNumber,
          until: p.admissionExpiresAt,
        });
        break;
      case 'lapsed':
        break;
    }
  }
  return out.sort((a, b) => RANK[a.state] - RANK[b.state] || aheadOf(a) - aheadOf(b));
}

const aheadOf = (p: MyPlace) => (p.state === 'waiting' ? (p.ahead ?? p.queueNumber) : 0);

/** Where the fan goes for this place: the waiting room before the draw, the queue after (it claims a turn by itself). */
export function placeHref(p: MyPlace): string {
  const event = encodeURIComponent(p.eventId);
  if (p.state === 'draw') return `/buffer/?event=${event}`;
  if (p.state === 'shopping') return `/purchase/?event=${event}`;
  return `/queue/?event=${event}`;
}
