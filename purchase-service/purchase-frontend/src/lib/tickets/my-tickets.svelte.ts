import { clockOffsetMs, liveTicketCode, msLeftInWindow, parseSecret, type TicketSecret } from '@ticketslave/contracts';
import { answer, ApiError, purchaseApi, session, USER_STORAGE_PREFIX } from '@ticketslave/ui';
import type { Ticket } from '../types';

/**
 * This phone's copy of the fan's last answer (tickets with their secrets, the clock offset),
 * so the live codes keep working with no network: one signed-in person's data, removed at
 * sign-out (`forgetUserData`, libs/ui), at a 401, and when someone else is signed in here.
 */
const STORE = `${USER_STORAGE_PREFIX}my-tickets`;
/** Where copies were kept before they named their owner: removed on sight. */
const UNOWNED_STORE = 'ticketslave-my-tickets';
interface Saved {
  userId: string;
  /** When the server gave these tickets (ISO, the server's clock). */
  savedAt: string;
  tickets: Ticket[];
  offsetMs: number;
  walletPasses?: boolean;
}
/** A door's Wi-Fi that takes the request and never answers: the saved copy shows meanwhile. */
const SLOW_MS = 6000;

const unreachable = (err: unknown) => !(err instanceof ApiError) || err.status === 0 || err.status >= 502;

/**
 * The fan's tickets and their live codes (issue 20.6). Each valid ticket comes with its own
 * TOTP secret; the code shown is made here, every window, from the secret and the clock, so
 * it keeps rotating offline once the page was loaded (and after a reload from the copy kept
 * on the phone, the page itself then coming from the service worker, `src/sw.ts`). The clock
 * is the server's: the phone's offset is measured at each load, so a phone set a minute wrong
 * still shows the door's window.
 */
export class MyTickets {
  tickets = $state<Ticket[] | null>(null);
  state = $state<'loading' | 'ready' | 'error'>('loading');
  error = $state<unknown>(null);
  /** Showing the copy kept on this phone: the server could not be reached. */
  offline = $state(false);
  /** When the copy shown offline was saved (ISO), for the notice. */
  savedAt = $state<string | null>(null);
  /** Whether this platform signs Apple Wallet passes (the operator set up a certificate). */
  walletPasses = $state(false);
  /** The server's time now (ms), ticking four times a second. */
  now = $state(Date.now());
  #offsetMs = 0;
  #secrets = new Map<string, TicketSecret>();

  async load(): Promise<void> {
    const sent = Date.now();
    forget(UNOWNED_STORE);
    const slow = setTimeout(() => {
      if (this.state === 'loading') this.#showSaved();
    }, SLOW_MS);
    try {
      const r = await answer(purchaseApi.GET('/purchase/api/tickets'));
      // The server stamped its time somewhere within the round trip.
      this.#offsetMs = clockOffsetMs(Date.parse(r.serverTime), sent, Date.now());
      this.walletPasses = r.walletPasses;
      this.savedAt = null;
      this.#show(r.tickets, false);
      const kept: Omit<Saved, 'userId'> = {
        savedAt: r.serverTime,
        tickets: r.tickets,
        offsetMs: this.#offsetMs,
        walletPasses: r.walletPasses,
      };
      // Kept as the signed-in person's (feed says who; the header asks it anyway). Nobody
      // signed in: no copy; feed unreachable: the copy stays as it was.
      void session.load().then((user) => {
        if (user) keep({ userId: user.id, ...kept });
        else if (session.status === 'ready') forget(STORE);
      });
    } catch (err) {
      // Whose copy may be shown: feed's answer, when it has one (it fails fast offline).
      await session.load();
      if (err instanceof ApiError && err.status === 401) forget(STORE);
      if (!(unreachable(err) && this.#showSaved())) {
        this.offline = false;
        this.error = err;
        this.state = 'error';
      }
    } finally {
      clearTimeout(slow);
    }
    this.#tick();
  }

  /** Shows the copy kept on this phone, if there is one for whoever may be signed in; false if none. */
  #showSaved(): boolean {
    const saved = this.#saved();
    if (!saved) return false;
    this.#offsetMs = saved.offsetMs;
    this.walletPasses = saved.walletPasses ?? false;
    this.savedAt = saved.savedAt;
    this.#show(saved.tickets, true);
    this.#tick();
    return true;
  }

  #saved(): Saved | null {
    let saved: Saved | null = null;
    try {
      const raw = localStorage.getItem(STORE);
      saved = raw ? (JSON.parse(raw) as Saved) : null;
    } catch {
      return null;
    }
    if (!saved?.userId || !Array.isArray(saved.tickets)) return null;
    // Feed answered (online, or before the network went): the copy must be that person's.
    // Feed unreachable too (the door): the copy of whoever was signed in last on this phone.
    if (session.status === 'ready' && session.user?.id !== saved.userId) {
      forget(STORE);
      return null;
    }
    return saved;
  }

  #show(tickets: Ticket[], offline: boolean) {
    this.tickets = tickets;
    this.offline = offline;
    this.error = null;
    this.state = 'ready';
  }

  #tick() {
    this.now = Date.now() + this.#offsetMs;
  }

  /** Starts the clock; returns its stop. */
  start(): () => void {
    const timer = setInterval(() => this.#tick(), 250);
    return () => clearInterval(timer);
  }

  /** The live code a valid ticket shows now; null for a void ticket. */
  codeOf(t: Ticket): string | null {
    if (!t.secret) return null;
    let secret = this.#secrets.get(t.ticketId);
    if (!secret) this.#secrets.set(t.ticketId, (secret = parseSecret(t.secret)));
    return liveTicketCode(t.code, secret, this.now);
  }

  /** Milliseconds before every code changes. */
  readonly msLeft = $derived(msLeftInWindow(this.now));
}

function keep(saved: Saved): void {
  try {
    localStorage.setItem(STORE, JSON.stringify(saved));
  } catch {
    // A full or disabled storage only costs the offline copy.
  }
}

function forget(key: string): void {
  try {
    localStorage.removeItem(key);
  } catch {
    // no storage: nothing kept
  }
}
