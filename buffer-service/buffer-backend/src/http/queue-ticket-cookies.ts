import type { Request, Response } from 'express';
import { cookieOptions, queueTicketCookie, TOKENS } from '@ticketslave/common';

/**
 * At most this many queue-ticket cookies per browser. Each is ~450 bytes and all of them
 * travel with every `/queue` request: 35 of them made Node answer 431 (headers over
 * 16 KB). Ten (~4.5 KB) leave room for the session and whatever else the browser sends.
 */
export const MAX_QUEUE_TICKETS = 10;

/**
 * Which queue tickets this browser holds: `<event id>.<expiry, unix s>` joined by `~`,
 * oldest first. The ticket cookies live under `/queue`, so the buffer never sees them;
 * this index lives under `/buffer`, where tickets are handed out. It only decides
 * which of the browser's own cookies to drop, so a forged one harms nobody else.
 */
export const QUEUE_TICKET_INDEX = 'ts_qt_index';
const INDEX_PATH = '/buffer';
const ENTRY = /^([0-9a-f-]{36})\.(\d{1,12})$/;

interface Held {
  eventId: string;
  expiresAt: number;
}

function heldTickets(req: Request): Held[] {
  const raw = (req.cookies as Record<string, string | undefined>)[QUEUE_TICKET_INDEX] ?? '';
  const held: Held[] = [];
  for (const part of raw.split('~').slice(-4 * MAX_QUEUE_TICKETS)) {
    const m = ENTRY.exec(part);
    if (m) held.push({ eventId: m[1]!, expiresAt: Number(m[2]) * 1000 });
  }
  return held;
}

/**
 * Sets the queue ticket of `eventId` and keeps the browser's ticket cookies bounded:
 * tickets whose event is over have expired by themselves (they expire with it); beyond
 * `MAX_QUEUE_TICKETS` the least recently handed out are deleted. A fan who opens that
 * queue again gets its ticket back from the waiting room (this same route).
 */
export function setQueueTicket(
  req: Request,
  res: Response,
  opts: { eventId: string; token: string; expires: Date; secure: boolean; now: Date },
): void {
  const now = opts.now.getTime();
  const others = heldTickets(req).filter((t) => t.eventId !== opts.eventId && t.expiresAt > now);
  const dropped = others.splice(0, Math.max(0, others.length - (MAX_QUEUE_TICKETS - 1)));
  const onQueuePath = cookieOptions({ secure: opts.secure, path: TOKENS.queueTicket.cookiePath });
  for (const t of dropped) res.clearCookie(queueTicketCookie(t.eventId), onQueuePath);
  res.cookie(queueTicketCookie(opts.eventId), opts.token, { ...onQueuePath, expires: opts.expires });
  const kept = [...others, { eventId: opts.eventId, expiresAt: opts.expires.getTime() }];
  res.cookie(
    QUEUE_TICKET_INDEX,
    kept.map((t) => `${t.eventId}.${Math.ceil(t.expiresAt / 1000)}`).join('~'),
    cookieOptions({
      secure: opts.secure,
      path: INDEX_PATH,
      expires: new Date(Math.max(...kept.map((t) => t.expiresAt))),
    }),
  );
}
