import { liveTicketCode, msLeftInWindow, parseSecret, type TicketSecret } from '@ticketslave/contracts';
import { answer, ApiError, purchaseApi } from '@ticketslave/ui';
import type { Ticket } from '../types';

/** This phone's copy of the fan's tickets, so the live codes keep working with no network. */
const STORE = 'ticketslave-my-tickets';
interface Saved {
  tickets: Ticket[];
  offsetMs: number;
}

const unreachable = (err: unknown) => !(err instanceof ApiError) || err.status === 0 || err.status >= 502;

/**
 * The fan's tickets and their live codes (issue 20.6). Each valid ticket comes with its own
 * TOTP secret; the code shown is made here, every window, from the secret and the clock, so
 * it keeps rotating offline once the page was loaded (and after a reload from the copy kept
 * on the phone). The clock is the server's: the phone's offset is measured at each load, so
 * a phone set a minute wrong still shows the door's window.
 */
export class MyTickets {
  tickets = $state<Ticket[] | null>(null);
  state = $state<'loading' | 'ready' | 'error'>('loading');
  error = $state<unknown>(null);
  /** Showing the copy kept on this phone: the server could not be reached. */
  offline = $state(false);
  /** The server's time now (ms), ticking four times a second. */
  now = $state(Date.now());
  #offsetMs = 0;
  #secrets = new Map<string, TicketSecret>();

  async load(): Promise<void> {
    const sent = Date.now();
    try {
      const r = await answer(purchaseApi.GET('/purchase/api/tickets'));
      // The server stamped its time about halfway through the round trip.
      this.#offsetMs = Date.parse(r.serverTime) - (sent + Date.now()) / 2;
      this.#show(r.tickets, false);
      try {
        localStorage.setItem(STORE, JSON.stringify({ tickets: r.tickets, offsetMs: this.#offsetMs } satisfies Saved));
      } catch {
        // A full or disabled storage only costs the offline copy.
      }
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) localStorage.removeItem(STORE);
      const saved = unreachable(err) ? this.#saved() : null;
      if (saved) {
        this.#offsetMs = saved.offsetMs;
        this.#show(saved.tickets, true);
      } else {
        this.error = err;
        this.state = 'error';
      }
    }
    this.#tick();
  }

  #saved(): Saved | null {
    try {
      const raw = localStorage.getItem(STORE);
      return raw ? (JSON.parse(raw) as Saved) : null;
    } catch {
      return null;
    }
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
