import type { Payload } from '@ticketslave/common';
import type { PauseReason, ProgressFields, QueueServerMessage } from '@ticketslave/contracts';
import type { SocketHub } from './socket-hub';

export const progressFields = (
  p: Payload<'queue.progress'>,
  saleStartsAt: string | null,
): ProgressFields => ({
  servingNumber: p.servingNumber,
  waiting: p.waiting,
  parked: p.parked,
  admitRatePerMinute: p.admitRatePerMinute,
  measuredRatePerMinute: p.measuredRatePerMinute ?? 0,
  lastNumber: p.lastNumber ?? 0,
  paused: p.paused,
  soldOut: p.soldOut,
  saleStartsAt,
});

/** How long a looked-up sale time is reused: an organiser moving it shows within this. */
const SALE_TIME_TTL_MS = 2000;

/**
 * Turns the event-wide `queue.progress` stream into messages for this instance's
 * sockets: one small `progress` each, plus `sold_out`/`paused`/`resumed` when the
 * state flips. Positions are derived by the page, so nothing here is per fan.
 */
export class ProgressRelay {
  private readonly last = new Map<string, Payload<'queue.progress'>>();
  private readonly saleTimes = new Map<string, { value: string | null; at: number; refreshing?: boolean }>();

  constructor(
    private readonly hub: SocketHub,
    private readonly pauseReason: (eventId: string) => Promise<PauseReason>,
    /** The event's sale time from this service's own row (`queue.progress` does not carry it). */
    private readonly saleTime: (eventId: string) => Promise<string | null> = async () => null,
  ) {}

  /**
   * At most one read per event every SALE_TIME_TTL_MS, and only for events with sockets
   * here. Only the first waits: after that the broadcast goes out with the value known
   * and a stale one is refreshed behind it (progress must not queue for a pool
   * connection behind a reconnect storm's greetings).
   */
  private async saleStartsAt(eventId: string): Promise<string | null> {
    const cached = this.saleTimes.get(eventId);
    if (cached && Date.now() - cached.at >= SALE_TIME_TTL_MS && !cached.refreshing) {
      cached.refreshing = true;
      void this.saleTime(eventId)
        .then((value) => this.saleTimes.set(eventId, { value, at: Date.now() }))
        .catch(() => undefined)
        .finally(() => (cached.refreshing = false));
    }
    if (cached) return cached.value;
    const value = await this.saleTime(eventId).catch(() => null);
    this.saleTimes.set(eventId, { value, at: Date.now() });
    return value;
  }

  latest(eventId: string): Payload<'queue.progress'> | undefined {
    return this.last.get(eventId);
  }

  async onProgress(p: Payload<'queue.progress'>): Promise<void> {
    const prev = this.last.get(p.eventId);
    this.last.set(p.eventId, p);
    if (!this.hub.hasEvent(p.eventId)) {
      this.saleTimes.delete(p.eventId);
      return;
    }
    const flips: QueueServerMessage[] = [];
    if (prev && p.soldOut && !prev.soldOut) flips.push({ type: 'sold_out' });
    if (prev && p.paused && !prev.paused)
      flips.push({ type: 'paused', reason: await this.pauseReason(p.eventId) });
    // Sold out is not "resumed", even though it clears the in-carts pause.
    const halted = (x: Payload<'queue.progress'>) => x.paused || x.soldOut;
    if (prev && halted(prev) && !halted(p)) flips.push({ type: 'resumed' });
    const saleStartsAt = await this.saleStartsAt(p.eventId);
    for (const m of flips) this.hub.broadcast(p.eventId, m);
    this.hub.broadcast(p.eventId, { type: 'progress', ...progressFields(p, saleStartsAt) });
  }
}
