import type { paths } from '@ticketslave/contracts/api/purchase';
import { answer, ApiError, errorMessage, purchaseApi, type ApiAnswer } from '@ticketslave/ui';
import { load, save } from './door-db';
import { clockOffsetMs, CODE_EXPIRED } from '@ticketslave/contracts';
import { verifyTicketCode } from './ticket-code';

type Answer<P extends keyof paths, M extends keyof paths[P]> = ApiAnswer<paths, P, M>;

/** What a door device keeps to scan offline (GET …/checkin/bundle). */
export type Bundle = Answer<'/purchase/api/organiser/events/{id}/checkin/bundle', 'get'>;
export type DoorTicket = Bundle['tickets'][number];
type ServerVerdict = Answer<'/purchase/api/organiser/events/{id}/checkin/scans', 'post'>;
export type Conflict = Answer<'/purchase/api/organiser/events/{id}/checkin/conflicts', 'get'>['items'][number];

export type VerdictKind = ServerVerdict['verdict'];

export interface Verdict {
  kind: VerdictKind;
  ticket: DoorTicket | null;
  /** When the ticket was first used (already used), or why the code is refused. */
  detail: string | null;
  offline: boolean;
}

/** A scan admitted offline, kept until the server has it (one of the scans `…/checkin/sync` takes). */
type PendingScan = NonNullable<
  paths['/purchase/api/organiser/events/{id}/checkin/sync']['post']['requestBody']
>['content']['application/json']['scans'][number];

function deviceId(): string {
  let id = localStorage.getItem('ticketslave-door-device');
  if (!id) {
    id = `door-${crypto.randomUUID().slice(0, 8)}`;
    localStorage.setItem('ticketslave-door-device', id);
  }
  return id;
}

/** A network failure (offline, server unreachable), as opposed to an answer from the server. */
const unreachable = (err: unknown) => !(err instanceof ApiError) || err.status === 0 || err.status >= 502;

/**
 * One door device for one event. Online, every scan asks purchase (the truth across
 * doors); offline, it checks the code's signature with the downloaded key and the ticket
 * against the downloaded list, admits it locally and keeps the scan to sync later. After
 * a sync, scans another device made first come back as conflicts.
 */
export class DoorDevice {
  readonly deviceId = deviceId();
  bundle = $state<Bundle | null>(null);
  online = $state(typeof navigator === 'undefined' ? true : navigator.onLine);
  pending = $state<PendingScan[]>([]);
  conflicts = $state<Conflict[]>([]);
  loadError = $state<string | null>(null);
  syncing = $state(false);
  lastSync = $state<Date | null>(null);
  /** Local check-ins not yet in the bundle (made offline, or answered online since it was fetched). */
  #local = $state<Record<string, string>>({});
  /**
   * The server's clock minus this device's, measured at each bundle download: live codes
   * are checked offline, and offline scans stamped, on the server's clock.
   */
  #offsetMs = 0;
  #now = () => Date.now() + this.#offsetMs;

  constructor(readonly eventId: string) {}

  get #key() {
    return `event:${this.eventId}`;
  }
  get #event() {
    return { params: { path: { id: this.eventId } } };
  }

  readonly counts = $derived.by(() => {
    const b = this.bundle;
    if (!b) return null;
    let checkedIn = 0;
    let valid = 0;
    for (const t of b.tickets) {
      if (t.status !== 'valid') continue;
      valid++;
      if (t.checkedInAt || this.#local[t.ticketId]) checkedIn++;
    }
    return { valid, checkedIn };
  });

  /** Starts: the saved bundle and scans first (works offline), then a fresh bundle when online. */
  async start(): Promise<() => void> {
    const saved = await load<{ bundle: Bundle; pending: PendingScan[]; local: Record<string, string>; offsetMs?: number }>(this.#key).catch(() => undefined);
    if (saved) {
      this.bundle = saved.bundle;
      this.pending = saved.pending;
      this.#local = saved.local;
      this.#offsetMs = saved.offsetMs ?? 0;
    }
    const up = () => {
      this.online = true;
      void this.sync();
    };
    const down = () => (this.online = false);
    addEventListener('online', up);
    addEventListener('offline', down);
    if (this.online) await this.sync();
    return () => {
      removeEventListener('online', up);
      removeEventListener('offline', down);
    };
  }

  async #persist() {
    if (!this.bundle) return;
    await save(this.#key, {
      bundle: $state.snapshot(this.bundle),
      pending: $state.snapshot(this.pending),
      local: $state.snapshot(this.#local),
      offsetMs: this.#offsetMs,
    });
  }

  /** Sends the scans made offline, then downloads the bundle and the conflicts again. */
  async sync(): Promise<void> {
    if (this.syncing) return;
    this.syncing = true;
    try {
      if (this.pending.length) {
        const sent = this.pending.slice(0, 500);
        await answer(purchaseApi.POST('/purchase/api/organiser/events/{id}/checkin/sync', { ...this.#event, body: { deviceId: this.deviceId, scans: sent } }));
        const done = new Set(sent.map((s) => s.scanId));
        this.pending = this.pending.filter((s) => !done.has(s.scanId));
      }
      const asked = Date.now();
      const [bundle, conflicts] = await Promise.all([
        answer(purchaseApi.GET('/purchase/api/organiser/events/{id}/checkin/bundle', this.#event)),
        answer(purchaseApi.GET('/purchase/api/organiser/events/{id}/checkin/conflicts', this.#event)),
      ]);
      this.#offsetMs = clockOffsetMs(Date.parse(bundle.generatedAt), asked, Date.now());
      this.bundle = bundle;
      this.conflicts = conflicts.items;
      // What the server now knows needs no local mark; what is still pending keeps it.
      const still = new Set(this.pending.map((p) => p.ticketId));
      this.#local = Object.fromEntries(Object.entries(this.#local).filter(([id]) => still.has(id)));
      this.loadError = null;
      this.online = true;
      this.lastSync = new Date();
      await this.#persist();
    } catch (err) {
      if (unreachable(err)) this.online = false;
      if (!this.bundle) this.loadError = errorMessage(err);
    } finally {
      this.syncing = false;
    }
  }

  #ticket(id: string): DoorTicket | null {
    return this.bundle?.tickets.find((t) => t.ticketId === id) ?? null;
  }

  /** Scans a code from the camera or typed, or a ticket found by name. */
  async scan(input: { code: string } | { ticketId: string }): Promise<Verdict> {
    const scanId = crypto.randomUUID();
    if (this.online) {
      try {
        const r = await answer(purchaseApi.POST('/purchase/api/organiser/events/{id}/checkin/scans', { ...this.#event, body: { deviceId: this.deviceId, scanId, ...input } }));
        if (r.verdict === 'admitted' && r.ticket) {
          this.#local = { ...this.#local, [r.ticket.ticketId]: r.ticket.checkedInAt ?? new Date().toISOString() };
          void this.#persist();
        }
        const detail = r.verdict === 'expired' ? CODE_EXPIRED : (r.firstScan?.scannedAt ?? null);
        return { kind: r.verdict, ticket: r.ticket, detail, offline: false };
      } catch (err) {
        if (!unreachable(err)) throw err;
        this.online = false;
      }
    }
    return this.#scanOffline(scanId, input);
  }

  async #scanOffline(scanId: string, input: { code: string } | { ticketId: string }): Promise<Verdict> {
    const b = this.bundle;
    if (!b) return { kind: 'invalid', ticket: null, detail: 'No ticket list on this device yet: connect once to download it.', offline: true };
    let ticketId: string;
    if ('code' in input) {
      const claims = verifyTicketCode(input.code, b.verification, this.#now());
      if ('error' in claims) {
        // An old code of a ticket already in: refused as used, as the server says it.
        const old = claims.claims && claims.claims.eventId === this.eventId ? this.#ticket(claims.claims.ticketId) : undefined;
        const used = old && old.status === 'valid' ? (old.checkedInAt ?? this.#local[old.ticketId]) : undefined;
        if (old && used) return { kind: 'already_used', ticket: old, detail: used, offline: true };
        if (old?.status === 'void') return { kind: 'void', ticket: old, detail: null, offline: true };
        return { kind: claims.expired ? 'expired' : 'invalid', ticket: null, detail: claims.error, offline: true };
      }
      if (claims.eventId !== this.eventId) return { kind: 'wrong_event', ticket: null, detail: null, offline: true };
      ticketId = claims.ticketId;
    } else ticketId = input.ticketId;
    const t = this.#ticket(ticketId);
    // Signed for this event but not in the list: bought after the download.
    if (!t) return { kind: 'not_found', ticket: null, detail: 'Not in the ticket list downloaded on this device.', offline: true };
    if (t.status === 'void') return { kind: 'void', ticket: t, detail: null, offline: true };
    const used = t.checkedInAt ?? this.#local[t.ticketId];
    if (used) return { kind: 'already_used', ticket: t, detail: used, offline: true };
    const now = new Date(this.#now()).toISOString();
    this.pending = [...this.pending, { scanId, ticketId, ...('code' in input ? { code: input.code } : {}), scannedAt: now }];
    this.#local = { ...this.#local, [ticketId]: now };
    await this.#persist();
    return { kind: 'admitted', ticket: t, detail: null, offline: true };
  }

  /** Tickets whose holder, seat or id matches what the door typed (from the downloaded list). */
  search(text: string, limit = 20): (DoorTicket & { used: string | null })[] {
    const q = text.trim().toLowerCase();
    if (q.length < 2 || !this.bundle) return [];
    const out: (DoorTicket & { used: string | null })[] = [];
    for (const t of this.bundle.tickets) {
      if (t.holder.toLowerCase().includes(q) || t.ticketId.startsWith(q) || t.unitId.toLowerCase().includes(q))
        out.push({ ...t, used: t.checkedInAt ?? this.#local[t.ticketId] ?? null });
      if (out.length >= limit) break;
    }
    return out;
  }

  /** The conflicts one of this device's scans is part of. */
  readonly myConflicts = $derived(this.conflicts.filter((c) => c.scans.some((s) => s.deviceId === this.deviceId)));
}
