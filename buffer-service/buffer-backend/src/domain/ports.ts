import type { EventSnapshot } from '@ticketslave/common';
import type { DrandChainInfo, DrawVersion } from '@ticketslave/draw';

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
  /** draw-v2 for every event buffered since draw-v2; draw-v1 for the events closed before it. */
  drawVersion: DrawVersion;
  closedAt: Date | null;
  /** The beacon randomness (hex) the draw used, once fetched and verified. */
  beacon: string | null;
  beaconRound: number | null;
  /** draw-v2: the round's BLS signature and the chain that signed it. */
  beaconSignature: string | null;
  beaconPreviousSignature: string | null;
  beaconChain: DrandChainInfo | null;
  entrantsDigest: string | null;
  total: number | null;
  lastNumber: number;
  /** The stored fairness document's strong ETag, once it is built (it never changes after). */
  fairnessEtag: string | null;
  /** Difficulty of the join's proof of work (ALTCHA maxnumber), from the event's queue settings. */
  joinPowMaxNumber: number;
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

/**
 * The buffered entrants as the draw takes them: the entrant list in its byte form
 * (docs/fairness.md §3: `count` hashes of 64 lowercase hex, ascending, joined by '\n'),
 * not a million strings.
 */
export interface SortedEntrants {
  count: number;
  list: Uint8Array;
}

export interface DrawnNumbers {
  entrantsDigest: string;
  /** Element k is the index (in hash order) of the entrant with queue number k+1. */
  order: Uint32Array;
}

export interface CloseOutcome {
  total: number;
  /** Milliseconds this closer waited for the beacon round (fetching and verifying it included). */
  beaconWaitMs?: number;
  /** Milliseconds to build and store the fairness document after the draw. */
  fairnessMs?: number;
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
  /** The fan's entries in events not cancelled whose show is still ahead, soonest sale first (at most 50). */
  entriesOf(userId: string, now: Date): Promise<Entry[]>;
  /**
   * Claims the event's place of `person` (a canonical address) for `userId`; answers the account
   * that holds it, `userId` itself unless another account of the same person claimed it first.
   */
  claimPerson(eventId: string, person: string, userId: string): Promise<string>;
  /** open → closing under the exclusive lock; true for the one caller that won. */
  beginClose(eventId: string, now: Date): Promise<boolean>;
  /** Events whose buffer is due to close or whose close was interrupted. */
  pendingCloses(now: Date): Promise<{ eventId: string; state: BufferState }[]>;
  /** Stores the (verified) beacon round once; every closer then uses the stored one. */
  storeBeacon(eventId: string, round: BeaconRound): Promise<void>;
  /** True while this instance still publishes the numbers its own close wrote (for at most a minute). */
  numbersPending?(eventId: string): boolean;
  /** Starts reading a closing event's on-time entrants for its completeClose (e.g. while the beacon is awaited). */
  prefetchEntrants?(eventId: string): void;
  /**
   * closing → closed in one transaction: numbers from `draw`, late joiners after
   * them, messages in the outbox. False when another closer finished it first.
   */
  completeClose(
    eventId: string,
    draw: (event: BufferEvent, entrants: SortedEntrants) => Promise<DrawnNumbers>,
  ): Promise<CloseOutcome | null>;
  /** The closed event's entrant list (from the close's own read while this instance still holds it). */
  sortedEntrants(eventId: string): Promise<SortedEntrants>;
  /** Records that the event's fairness document is stored, with its ETag. */
  storeFairnessEtag(eventId: string, etag: string): Promise<void>;
}

/** A drand round the beacon served, with the chain it belongs to. */
export interface BeaconRound {
  chain: DrandChainInfo;
  round: number;
  signature: string;
  previous_signature?: string;
  randomness: string;
}

/** A drand beacon that answers only authenticated rounds. */
export interface Beacon {
  /**
   * The first round at or after `closedAt`, once it is published, verified with
   * @ticketslave/draw's beacon checks (the ones `verify-draw` runs). Waits for the round and
   * retries while the beacon is unreachable; throws when it gives up or a round fails a
   * check, so the close is retried and never draws on an unauthenticated value.
   */
  roundFor(closedAt: Date): Promise<BeaconRound>;
}

/**
 * Where fairness documents live once built (S3; the S3 stand-in locally). A document is
 * immutable after the close, so it is built once and served from here ever after.
 */
export interface FairnessDocumentStore {
  /** Stores the document's JSON bytes (idempotent: the same event always gets the same bytes). */
  put(eventId: string, json: Uint8Array, etag: string): Promise<void>;
  /** Where the stored document is publicly readable (a CDN or the bucket), when it is. */
  publicUrl(eventId: string): string | null;
  /** The stored document, gzip-compressed, as a stream of bytes; null when there is none. */
  getGzip(eventId: string): Promise<AsyncIterable<Buffer> | null>;
}
