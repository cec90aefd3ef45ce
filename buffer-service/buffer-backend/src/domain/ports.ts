import type { EventSnapshot } from '@ticketslave/common';

export type BufferState = 'open' | 'closing' | 'closed';

/** Event statuses whose buffer takes joins. */
export const JOINABLE_STATUSES: readonly EventSnapshot['status'][] = ['published', 'on_sale', 'sold_out'];

export interface BufferEvent {
  eventId: string;
  organiserId: string;
  status: EventSnapshot['status'];
  startsAt: Date;
  closesAt: Date;
  state: BufferState;
  seed: string;
  salt: string;
  commitment: string;
  closedAt: Date | null;
  beacon: string | null;
  beaconRound: number | null;
  entrantsDigest: string | null;
  total: number | null;
  lastNumber: number;
}

export interface Entry {
  eventId: string;
  userId: string;
  entrantHash: string;
  joinedAt: Date;
  late: boolean;
  queueNumber: number | null;
}

export interface JoinOutcome {
  entry: Entry;
  /** False when the fan had joined before: the first entry is returned unchanged. */
  created: boolean;
  /** The event as the join saw it under the lock. */
  event: BufferEvent;
}

export interface DrawnNumbers {
  entrantsDigest: string;
  /** User ids in queue order: element k has queue number k+1. */
  order: string[];
}

export interface CloseOutcome {
  total: number;
  lateNumbered: number;
  /** Milliseconds from taking the lock to the end of each phase (read, draw, numbers, outbox). */
  ms?: Record<string, number>;
}

/** Persistence of the buffer, with the concurrency rules of the fair queue built into its SQL. */
export interface BufferStore {
  upsertEvent(snapshot: EventSnapshot, secrets: () => { seed: string; salt: string }): Promise<void>;
  cancelEvent(eventId: string): Promise<void>;
  getEvent(eventId: string): Promise<BufferEvent | undefined>;
  countEntries(eventId: string): Promise<number>;
  /**
   * Joins under the event's shared lock. `check` sees the event inside the lock and
   * throws to refuse; a join while open is buffered, later ones are late. `check`'s
   * statuses must be `JOINABLE_STATUSES` (the store applies them in SQL too).
   */
  join(
    eventId: string,
    userId: string,
    check: (event: BufferEvent | undefined) => BufferEvent,
    entrantHashOf: (salt: string) => string,
  ): Promise<JoinOutcome>;
  entryOf(eventId: string, userId: string): Promise<Entry | undefined>;
  /** open → closing under the exclusive lock; true for the one caller that won. */
  beginClose(eventId: string, now: Date): Promise<boolean>;
  /** Events whose buffer is due to close or whose close was interrupted. */
  pendingCloses(now: Date): Promise<{ eventId: string; state: BufferState }[]>;
  /** Stores the beacon once; every closer then uses the stored one. */
  storeBeacon(eventId: string, beacon: string, round: number | null): Promise<void>;
  /**
   * closing → closed in one transaction: numbers from `draw`, late joiners after
   * them, messages in the outbox. False when another closer finished it first.
   */
  completeClose(
    eventId: string,
    draw: (event: BufferEvent, entrants: { userId: string; entrantHash: string }[]) => DrawnNumbers,
  ): Promise<CloseOutcome | null>;
  sortedEntrantHashes(eventId: string): Promise<string[]>;
}

/** A public randomness beacon; `null` round and empty value when none is configured. */
export interface Beacon {
  /** The first value published after this call: unknown to anyone when the buffer closed. */
  nextValue(): Promise<{ randomness: string; round: number | null }>;
}
