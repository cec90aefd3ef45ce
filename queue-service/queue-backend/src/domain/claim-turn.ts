import { ConflictError, ForbiddenError, GoneError } from '@ticketslave/common';
import type { FanStatus } from '@ticketslave/contracts';

export interface Admission {
  admissionId: string;
  expiresAt: Date;
}

export interface ClaimPorts {
  /** The status-checked update; undefined when the fan's row did not qualify. */
  admit(): Promise<Admission | undefined>;
  current(): Promise<{
    fan?: { status: FanStatus; admissionId: string | null; admissionExpiresAt: Date | null };
    event?: { cancelled: boolean; soldOut: boolean };
  }>;
  now(): Date;
}

/**
 * Claims the fan's turn. A repeated claim (double click, second tab) returns the
 * admission already made, so a fan never gets two and never loses theirs.
 */
export async function claimTurn(ports: ClaimPorts): Promise<Admission & { repeated: boolean }> {
  const fresh = await ports.admit();
  if (fresh) return { ...fresh, repeated: false };
  const { fan, event } = await ports.current();
  if (!fan) throw new ForbiddenError('You have no place in this queue.', 'not_in_queue');
  if (fan.status === 'admitted' && fan.admissionId && fan.admissionExpiresAt) {
    if (fan.admissionExpiresAt > ports.now())
      return { admissionId: fan.admissionId, expiresAt: fan.admissionExpiresAt, repeated: true };
    throw new GoneError('Your purchase window has ended.', 'admission_expired');
  }
  if (event?.cancelled) throw new GoneError('This event was cancelled.', 'event_cancelled');
  if (event?.soldOut) throw new GoneError('The event is sold out.', 'sold_out');
  if (fan.status === 'waiting') throw new ConflictError('It is not your turn yet.', 'not_your_turn');
  throw new GoneError('Your turn has lapsed.', 'turn_lapsed');
}
