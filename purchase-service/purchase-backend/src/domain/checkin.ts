import { randomUUID } from 'node:crypto';
import { can, InputError, MemberRole, type Clock, type PublicJwkSet } from '@ticketslave/common';
import { CODE_PERIOD_SECONDS } from '@ticketslave/contracts';
import { requireOnEvent, type Member } from './organiser-access';
import type { DoorTicket, PurchaseStore, SaleEvent, Transact } from './ports';

/** The organisation roles that may admit tickets. */
const CHECKIN_ROLES: string[] = MemberRole.options.filter((r) => can(r, 'checkin'));
import type { CodeRefusal, CodeSettingsSource, TicketCodes } from './ticket-codes';

/**
 * What the door app shows for a scan. `conflict`: a device admitted the ticket while
 * offline, but another scan of it came first (first scan wins); `already_used`: an online
 * scan of a ticket that was admitted before (also for an old code of it); `expired`: a live
 * code whose 30-s window is past (a screenshot), or a static code where the organiser allows
 * none, of a ticket nobody has used.
 */
export type Verdict =
  'admitted' | 'already_used' | 'conflict' | 'void' | 'wrong_event' | 'not_found' | 'invalid' | 'expired';

export interface DoorTicketView {
  ticketId: string;
  unitId: string;
  categoryId: string;
  category: string;
  section: string | null;
  row: string | null;
  seat: number | null;
  holder: string;
  status: 'valid' | 'void';
  checkedInAt: string | null;
}

export interface ScanVerdict {
  scanId: string;
  verdict: Verdict;
  ticket: DoorTicketView | null;
  /** The scan that admitted the ticket, when this one did not. */
  firstScan: { deviceId: string; scannedAt: string } | null;
}

const view = (t: DoorTicket, event: Pick<SaleEvent, 'categories'> | undefined): DoorTicketView => ({
  ticketId: t.ticketId,
  unitId: t.unitId,
  categoryId: t.categoryId,
  category: event?.categories.find((c) => c.id === t.categoryId)?.name ?? t.categoryId,
  section: t.section,
  row: t.row,
  seat: t.seat,
  holder: t.holder,
  status: t.status,
  checkedInAt: t.checkedInAt ? t.checkedInAt.toISOString() : null,
});

export interface CheckinBundle {
  event: { eventId: string; title: string; venue: string; timeZone: string; startsAt: string };
  /**
   * What a device needs to check a code without a network: the signature's public keys, and
   * the event's code key (each ticket's TOTP secret derives from it) with whether static
   * codes are accepted. Only members who may check in get it.
   */
  verification: {
    alg: 'EdDSA';
    issuer: string;
    audience: string;
    keys: PublicJwkSet;
    rotation: { periodSeconds: number; codeKey: string; staticCodes: boolean };
  };
  tickets: DoorTicketView[];
  counts: { valid: number; checkedIn: number };
  generatedAt: string;
}

/** Everything a door device keeps to work offline: the verification key and every ticket. */
export async function checkinBundle(
  s: PurchaseStore,
  codes: TicketCodes,
  clock: Clock,
  who: Member,
  eventId: string,
): Promise<CheckinBundle> {
  await requireOnEvent(s, who, eventId, 'checkin');
  const event = (await s.events.get(eventId))!;
  const { codeKey, staticCodes } = (await s.events.codeSettings(eventId))!;
  const tickets = await s.checkins.ofEvent(eventId);
  return {
    event: {
      eventId,
      title: event.title,
      venue: event.venue,
      timeZone: event.timeZone,
      startsAt: event.startsAt.toISOString(),
    },
    verification: {
      alg: 'EdDSA',
      ...codes.verification,
      rotation: { periodSeconds: CODE_PERIOD_SECONDS, codeKey, staticCodes },
    },
    tickets: tickets.map((t) => view(t, event)),
    counts: {
      valid: tickets.filter((t) => t.status === 'valid').length,
      checkedIn: tickets.filter((t) => t.status === 'valid' && t.checkedInAt).length,
    },
    generatedAt: clock.now().toISOString(),
  };
}

export interface ScanInput {
  /** The device's id for the scan; a sync sent twice is recorded once. */
  scanId?: string;
  deviceId: string;
  code?: string;
  ticketId?: string;
}

/**
 * Which ticket a code (live at `at`) or a typed ticket id names, or why the code admits
 * nobody. An authentic code past its window still names its ticket (`stale`): a used
 * ticket's old code is then refused as used, which tells the door more than "expired".
 */
async function ticketOf(
  codes: TicketCodes,
  events: CodeSettingsSource,
  input: { code?: string; ticketId?: string },
  at: Date,
): Promise<{ ticketId: string; eventId?: string; stale?: true } | CodeRefusal> {
  if (input.code) {
    const r = await codes.check(input.code, at, events);
    if (!('refusal' in r)) return r.claims;
    return r.refusal === 'expired' && r.claims ? { ...r.claims, stale: true } : r.refusal;
  }
  if (input.ticketId) return { ticketId: input.ticketId };
  throw new InputError('Send a ticket code or a ticket id.', [
    { path: 'code', message: 'a ticket code or a ticket id' },
  ]);
}

/**
 * A scan at the door with a network: admits a valid ticket of this event once. The
 * ticket's row lock orders it against every other scan and sync of the same ticket.
 */
export async function scanOnline(
  db: { tx: Transact; store: PurchaseStore },
  codes: TicketCodes,
  clock: Clock,
  who: Member,
  eventId: string,
  input: ScanInput,
): Promise<ScanVerdict> {
  const scanId = input.scanId ?? randomUUID();
  // The signature first, outside the transaction: junk costs no connection. No counts in
  // the answer: the door app counts from its own list, and counting 50,000 tickets per
  // scan would cost more than the scan.
  const claims = await ticketOf(codes, db.store.events, input, clock.now());
  if (typeof claims !== 'string' && !claims.stale && (!claims.eventId || claims.eventId === eventId)) {
    // The usual case, a valid ticket at its first scan, is one statement; anything else
    // (and every refusal) is decided below, under the ticket's lock, with its reason.
    const now = clock.now();
    const t = await db.store.checkins.admit({
      scanId,
      ticketId: claims.ticketId,
      eventId,
      deviceId: input.deviceId,
      memberId: who.sub,
      at: now,
      admin: who.role === 'admin',
      roles: CHECKIN_ROLES,
    });
    if (t)
      return {
        scanId,
        verdict: 'admitted',
        ticket: { ...view(t, undefined), category: t.category ?? t.categoryId },
        firstScan: null,
      };
  }
  return db.tx(async (s) => {
    await requireOnEvent(s, who, eventId, 'checkin');
    const event = await s.events.get(eventId);
    const answer = (verdict: Verdict, t?: DoorTicket, first?: { deviceId: string; scannedAt: Date }) => ({
      scanId,
      verdict,
      ticket: t ? view(t, event) : null,
      firstScan: first ? { deviceId: first.deviceId, scannedAt: first.scannedAt.toISOString() } : null,
    });
    if (typeof claims === 'string') return answer(claims);
    if (claims.eventId && claims.eventId !== eventId) return answer('wrong_event');
    const t = await s.checkins.lock(claims.ticketId);
    if (!t) return answer('not_found');
    if (t.eventId !== eventId) return answer('wrong_event');
    if (t.status === 'void') return answer('void', t);
    if (t.checkedInAt) {
      const first = await s.checkins.firstScan(t.ticketId);
      return answer('already_used', t, first ?? { deviceId: 'unknown', scannedAt: t.checkedInAt });
    }
    // An old screenshot of a ticket nobody has used yet: the fan opens their ticket.
    if (claims.stale) return answer('expired');
    const now = clock.now();
    await s.checkins.record({
      scanId,
      ticketId: t.ticketId,
      eventId,
      deviceId: input.deviceId,
      memberId: who.sub,
      scannedAt: now,
      offline: false,
    });
    await s.checkins.setCheckedIn(t.ticketId, now);
    return answer('admitted', { ...t, checkedInAt: now });
  });
}

export interface OfflineScan {
  scanId: string;
  ticketId: string;
  code?: string;
  scannedAt: Date;
}

/**
 * Scans a device admitted while offline, sent when it is back. Each is recorded (once,
 * by its scan id) and decided under the ticket's lock: the earliest scan of a ticket
 * admitted it, whichever device synced first; every later one is a conflict, and a
 * ticket voided meanwhile is reported void. The ticket's check-in time is its first scan.
 */
export async function syncScans(
  tx: Transact,
  codes: TicketCodes,
  clock: Clock,
  who: Member,
  eventId: string,
  deviceId: string,
  scans: OfflineScan[],
): Promise<{ results: ScanVerdict[]; counts: { valid: number; checkedIn: number } }> {
  await tx((s) => requireOnEvent(s, who, eventId, 'checkin'));
  const now = clock.now();
  const future = scans.findIndex((x) => x.scannedAt.getTime() > now.getTime() + 5 * 60_000);
  if (future >= 0)
    throw new InputError('A scan cannot be from the future; check the device clock.', [
      { path: `scans.${future}.scannedAt`, message: 'is in the future' },
    ]);
  const results: ScanVerdict[] = [];
  for (const scan of [...scans].sort((a, b) => a.scannedAt.getTime() - b.scannedAt.getTime())) {
    results.push(
      await tx(async (s) => {
        const event = await s.events.get(eventId);
        const answer = (verdict: Verdict, t?: DoorTicket, first?: { deviceId: string; scannedAt: Date }) => ({
          scanId: scan.scanId,
          verdict,
          ticket: t ? view(t, event) : null,
          firstScan: first ? { deviceId: first.deviceId, scannedAt: first.scannedAt.toISOString() } : null,
        });
        if (scan.code) {
          // Checked at the moment of the scan: a code live then was live for the device.
          const claims = await ticketOf(codes, s.events, { code: scan.code }, scan.scannedAt);
          if (typeof claims === 'string') return answer(claims);
          if (claims.stale) return answer('expired');
          if (claims.ticketId !== scan.ticketId) return answer('invalid');
        }
        const t = await s.checkins.lock(scan.ticketId);
        if (!t) return answer('not_found');
        if (t.eventId !== eventId) return answer('wrong_event');
        await s.checkins.record({
          scanId: scan.scanId,
          ticketId: t.ticketId,
          eventId,
          deviceId,
          memberId: who.sub,
          scannedAt: scan.scannedAt,
          offline: true,
        });
        if (t.status === 'void') return answer('void', t);
        const first = (await s.checkins.firstScan(t.ticketId))!;
        if (first.scanId !== scan.scanId) return answer('conflict', t, first);
        if (!t.checkedInAt || t.checkedInAt.getTime() > scan.scannedAt.getTime())
          await s.checkins.setCheckedIn(t.ticketId, scan.scannedAt);
        return answer('admitted', { ...t, checkedInAt: scan.scannedAt });
      }),
    );
  }
  // Answer in the order the device sent them.
  const byId = new Map(results.map((r) => [r.scanId, r]));
  return {
    results: scans.map((x) => byId.get(x.scanId)!),
    counts: await tx((s) => s.checkins.counts(eventId)),
  };
}

/** Tickets admitted more than once (offline devices), with every scan; the first one won. */
export async function checkinConflicts(s: PurchaseStore, who: Member, eventId: string) {
  await requireOnEvent(s, who, eventId, 'checkin');
  const event = await s.events.get(eventId);
  return {
    items: (await s.checkins.conflicts(eventId)).map((c) => ({
      ticket: view(c.ticket, event),
      scans: c.scans.map((x) => ({ ...x, scannedAt: x.scannedAt.toISOString() })),
    })),
  };
}
