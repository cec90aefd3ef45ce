import type { Payload } from '@ticketslave/common';
import type { PauseReason, ProgressFields, QueueServerMessage } from '../domain/ws-messages';
import type { SocketHub } from './socket-hub';

export const progressFields = (p: Payload<'queue.progress'>): ProgressFields => ({
  servingNumber: p.servingNumber,
  waiting: p.waiting,
  parked: p.parked,
  admitRatePerMinute: p.admitRatePerMinute,
  measuredRatePerMinute: p.measuredRatePerMinute ?? 0,
  lastNumber: p.lastNumber ?? 0,
  paused: p.paused,
  soldOut: p.soldOut,
});

/**
 * Turns the event-wide `queue.progress` stream into messages for this instance's
 * sockets: one small `progress` each, plus `sold_out`/`paused`/`resumed` when the
 * state flips. Positions are derived by the page, so nothing here is per fan.
 */
export class ProgressRelay {
  private readonly last = new Map<string, Payload<'queue.progress'>>();

  constructor(
    private readonly hub: SocketHub,
    private readonly pauseReason: (eventId: string) => Promise<PauseReason>,
  ) {}

  latest(eventId: string): Payload<'queue.progress'> | undefined {
    return this.last.get(eventId);
  }

  async onProgress(p: Payload<'queue.progress'>): Promise<void> {
    const prev = this.last.get(p.eventId);
    this.last.set(p.eventId, p);
    if (!this.hub.hasEvent(p.eventId)) return;
    const flips: QueueServerMessage[] = [];
    if (prev && p.soldOut && !prev.soldOut) flips.push({ type: 'sold_out' });
    if (prev && p.paused && !prev.paused)
      flips.push({ type: 'paused', reason: await this.pauseReason(p.eventId) });
    // Sold out is not "resumed", even though it clears the in-carts pause.
    const halted = (x: Payload<'queue.progress'>) => x.paused || x.soldOut;
    if (prev && halted(prev) && !halted(p)) flips.push({ type: 'resumed' });
    for (const m of flips) this.hub.broadcast(p.eventId, m);
    this.hub.broadcast(p.eventId, { type: 'progress', ...progressFields(p) });
  }
}
