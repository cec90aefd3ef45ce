import { randomBytes } from 'node:crypto';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  TOKENS,
  canonicalEmail,
  type AltchaChallenge,
  type Clock,
  type ProofOfWork,
  type EventSnapshot,
  type SessionClaims,
  type TokenSigner,
} from '@ticketslave/common';
import {
  DRAW_V1,
  DRAW_V2,
  assertSortedEntrantList,
  entrantHash,
  entrantListDigest,
  finalSeedV1,
  finalSeedV2,
  sha256Large,
  shuffledIndices,
  serializeFairnessDocumentBytes,
  type FairnessDocumentV1,
  type FairnessDocumentV2,
  type FairnessReceiptKeys,
} from '@ticketslave/draw';
import { JOINABLE_STATUSES } from './ports';
import type {
  Beacon,
  BufferEvent,
  BufferState,
  BufferStore,
  CloseOutcome,
  FairnessDocumentStore,
  DrawnNumbers,
  Entry,
  SortedEntrants,
} from './ports';

/** The join's proof of work (libs/common `ProofOfWork`: ALTCHA challenges, spent ones in PostgreSQL). */
export type JoinProof = Pick<ProofOfWork, 'challenge' | 'redeem'>;

/** How long an event's join difficulty is read from memory: a raise applies within this. */
const DIFFICULTY_TTL_MS = 2000;

/** What the buffer signs with: join receipts and queue tickets. */
export type Signer = Pick<TokenSigner, 'sign'>;

export interface PublicBufferState {
  eventId: string;
  state: BufferState;
  /** When the buffer closes (while open) or closed. */
  closesAt: string;
  commitment: string;
  cancelled: boolean;
  entrants: number;
  /** Fans in the draw; known once closed. */
  total?: number;
}

export interface EntryView {
  eventId: string;
  joinedAt: string;
  late: boolean;
  queueNumber: number | null;
}

const JOINABLE: ReadonlySet<EventSnapshot['status']> = new Set(JOINABLE_STATUSES);
// Queue tickets outlive the event by a day: fans still in the queue at doors must not be logged out of it.
const TICKET_GRACE_MS = 24 * 3600_000;

export const newSecrets = () => ({
  seed: randomBytes(32).toString('hex'),
  salt: randomBytes(32).toString('hex'),
});

/**
 * The draw over the buffered entrants: exactly `runDraw` of @ticketslave/draw (same list,
 * digest, final seed and Fisher–Yates), over the entrant list in its byte form as the store
 * reads it (ascending, unique: checked here, never re-sorted), shuffling indices, so a
 * million entrants need neither strings nor maps. `beacon` is the round's randomness
 * (draw-v2) or draw-v1's beacon value.
 */
export async function drawNumbers(
  event: Pick<BufferEvent, 'seed' | 'beacon' | 'drawVersion'>,
  entrants: SortedEntrants,
): Promise<DrawnNumbers> {
  // Salted SHA-256 of distinct user ids; equal hashes would merge two fans into one place.
  assertSortedEntrantList(entrants.list, entrants.count);
  const digest = await entrantListDigest(entrants.list);
  const key =
    event.drawVersion === DRAW_V2
      ? finalSeedV2(event.seed, digest, event.beacon!)
      : finalSeedV1(event.seed, digest, event.beacon ?? '');
  return { entrantsDigest: digest, order: shuffledIndices(entrants.count, key) };
}

const view = (e: Entry): EntryView => ({
  eventId: e.eventId,
  joinedAt: e.joinedAt.toISOString(),
  late: e.late,
  queueNumber: e.queueNumber,
});

function joinable(event: BufferEvent | undefined): BufferEvent {
  if (!event) throw new NotFoundError('No such event, or it has not been published yet.', 'event_not_found');
  if (event.status === 'cancelled')
    throw new ConflictError('This event was cancelled; its queue is closed.', 'event_cancelled');
  if (!JOINABLE.has(event.status))
    throw new ConflictError(`This event's queue is not open (status ${event.status}).`, 'event_not_joinable');
  return event;
}

export class BufferDomain {
  constructor(
    private readonly store: BufferStore,
    private readonly signer: Signer,
    private readonly beacon: Beacon,
    private readonly clock: Clock,
    /** Where the receipts' keys are published, named in every draw-v2 fairness document. */
    private readonly receiptKeys: FairnessReceiptKeys,
    private readonly documents: FairnessDocumentStore,
    private readonly pow: JoinProof,
  ) {}

  /** Each closed event's document ETag: immutable once stored, so a revalidation costs no query. */
  private readonly etags = new Map<string, string>();

  private readonly difficulties = new Map<string, { maxnumber: number; until: number }>();

  /** The event's join difficulty; a join storm reads it from memory, not once per fan. */
  private async joinDifficulty(eventId: string): Promise<number> {
    const now = Date.now();
    const known = this.difficulties.get(eventId);
    if (known && known.until > now) return known.maxnumber;
    const event = await this.store.getEvent(eventId);
    if (!event)
      throw new NotFoundError('No such event, or it has not been published yet.', 'event_not_found');
    if (this.difficulties.size > 10_000) this.difficulties.clear();
    this.difficulties.set(eventId, { maxnumber: event.joinPowMaxNumber, until: now + DIFFICULTY_TTL_MS });
    return event.joinPowMaxNumber;
  }

  /** A proof-of-work challenge for joining this event, at the event's difficulty. */
  async joinChallenge(eventId: string): Promise<AltchaChallenge> {
    return this.pow.challenge({ for: 'join', event: eventId }, await this.joinDifficulty(eventId));
  }

  async publicState(eventId: string): Promise<PublicBufferState> {
    const event = await this.store.getEvent(eventId);
    if (!event)
      throw new NotFoundError('No such event, or it has not been published yet.', 'event_not_found');
    return {
      eventId,
      state: event.state,
      closesAt: (event.closedAt ?? event.closesAt).toISOString(),
      commitment: event.commitment,
      cancelled: event.status === 'cancelled',
      entrants: await this.store.countEntries(eventId),
      ...(event.state === 'closed' ? { total: event.total ?? 0 } : {}),
    };
  }

  /** Joins once `altcha` (the solved join challenge of this event) is redeemed. */
  async join(
    eventId: string,
    session: SessionClaims,
    altcha: string,
  ): Promise<{ entry: EntryView; receipt: string }> {
    await this.pow.redeem(altcha, { for: 'join', event: eventId }, await this.joinDifficulty(eventId));
    // One person, one place: another account of the same inbox cannot take a second one.
    if ((await this.store.claimPerson(eventId, canonicalEmail(session.email), session.sub)) !== session.sub)
      throw new ConflictError(
        'Another account with the same e-mail inbox has already joined this queue: one person, one place.',
        'person_already_joined',
      );
    const { entry, event } = await this.store.join(eventId, session.sub, joinable, (salt) =>
      entrantHash(salt, session.sub),
    );
    // The commitment is in every receipt: the seed was fixed (and its hash published) when the
    // event reached the buffer, so a receipt is the fan's signed evidence of it before the close.
    const receipt = await this.signer.sign(
      {
        evt: eventId,
        jat: entry.joinedAt.getTime(),
        eh: entry.entrantHash,
        cmt: event.commitment,
        dv: event.drawVersion,
        late: entry.late,
      },
      {
        issuer: TOKENS.joinReceipt.issuer,
        audience: TOKENS.joinReceipt.audience,
        subject: session.sub,
        issuedAt: entry.joinedAt,
        expiresAt: new Date(event.startsAt.getTime() + 365 * 24 * 3600_000),
      },
    );
    return { entry: view(entry), receipt };
  }

  /** My entry, and a signed queue ticket once I have a number. */
  async myEntry(
    eventId: string,
    userId: string,
  ): Promise<{ entry: EntryView; ticket?: { token: string; expires: Date } }> {
    const entry = await this.store.entryOf(eventId, userId);
    if (!entry) throw new NotFoundError('You have not joined this queue.', 'not_joined');
    if (entry.queueNumber === null) return { entry: view(entry) };
    const event = (await this.store.getEvent(eventId))!;
    const expires = new Date(
      Math.max(event.startsAt.getTime(), this.clock.now().getTime()) + TICKET_GRACE_MS,
    );
    const token = await this.signer.sign(
      { evt: eventId, qn: entry.queueNumber },
      {
        issuer: TOKENS.queueTicket.issuer,
        audience: TOKENS.queueTicket.audience,
        subject: userId,
        expiresAt: expires,
      },
    );
    return { entry: view(entry), ticket: { token, expires } };
  }

  /** The fan's current places ("My queues"): numbered or waiting for the draw. */
  async myEntries(userId: string): Promise<EntryView[]> {
    return (await this.store.entriesOf(userId, this.clock.now())).map(view);
  }

  /** The organiser's early close. The draw itself runs in the closer part, on any instance. */
  async requestClose(eventId: string, session: SessionClaims): Promise<PublicBufferState> {
    const event = await this.store.getEvent(eventId);
    if (!event) throw new NotFoundError('No such event.', 'event_not_found');
    if (session.role !== 'admin' && event.organiserId !== session.sub)
      throw new ForbiddenError(
        'Only the organiser of this event can close its buffer.',
        'not_event_organiser',
      );
    joinable(event);
    if (!(await this.store.beginClose(eventId, this.clock.now())))
      throw new ConflictError('The buffer is already closed.', 'buffer_already_closed');
    return this.publicState(eventId);
  }

  /** Drives every due or interrupted close one step to the end; safe on any number of instances. */
  async closeIfDue(eventId: string, state: BufferState): Promise<CloseOutcome | null> {
    if (state === 'open' && !(await this.store.beginClose(eventId, this.clock.now()))) return null;
    const outcome = state === 'closed' ? null : await this.finishClose(eventId);
    // The fairness document is built once, right after the draw (or by a later tick when this
    // one could not store it), and served from storage from then on.
    if ((await this.store.getEvent(eventId))?.state === 'closed') {
      // The fans' numbers first: while this instance still publishes what its close wrote, the
      // document (seconds of CPU at a million entrants) waits for a later tick of the closer
      // (pendingCloses lists closed events without a stored document). Not awaited here, so a
      // stopping closer never waits on the publisher.
      if (this.store.numbersPending?.(eventId)) return outcome;
      const started = performance.now();
      await this.publishFairness(eventId);
      if (outcome) return { ...outcome, fairnessMs: Math.round(performance.now() - started) };
    }
    return outcome;
  }

  async finishClose(eventId: string): Promise<CloseOutcome | null> {
    const event = await this.store.getEvent(eventId);
    if (!event || event.state !== 'closing') return null;
    let beaconWaitMs: number | undefined;
    if (event.beacon === null) {
      // The entrants are fixed now (joins are late from here): read them while the round is awaited.
      this.store.prefetchEntrants?.(eventId);
      // Never drawn without it: roundFor throws rather than answer an unauthenticated round,
      // and the closer tries again on its next tick.
      const started = performance.now();
      const round = await this.beacon.roundFor(event.closedAt!);
      beaconWaitMs = Math.round(performance.now() - started);
      await this.store.storeBeacon(eventId, round);
    }
    const outcome = await this.store.completeClose(eventId, drawNumbers);
    return outcome && beaconWaitMs !== undefined ? { ...outcome, beaconWaitMs } : outcome;
  }

  /**
   * The fairness document as stored: its ETag, and its gzip bytes on demand. Built and
   * stored on first need if the close's own publish has not happened yet (events closed
   * before documents were stored, or a crash in between).
   */
  async fairnessDocument(
    eventId: string,
  ): Promise<{ etag: string; location: string | null; gzip: () => Promise<AsyncIterable<Buffer>> }> {
    let etag = this.etags.get(eventId);
    if (!etag) {
      const event = await this.store.getEvent(eventId);
      if (!event) throw new NotFoundError('No such event.', 'event_not_found');
      if (event.state !== 'closed')
        throw new ConflictError(
          'The draw has not run yet: the seed is published after the buffer closes.',
          'draw_pending',
          { commitment: event.commitment, state: event.state },
        );
      etag = event.fairnessEtag ?? (await this.publishFairness(eventId));
      this.etags.set(eventId, etag);
    }
    return {
      etag,
      location: this.documents.publicUrl(eventId),
      gzip: async () => {
        const body = await this.documents.getGzip(eventId);
        if (!body) throw new Error(`the fairness document of ${eventId} is recorded but not stored`);
        return body;
      },
    };
  }

  /**
   * Builds the closed event's fairness document once and stores it (the closer calls this
   * right after the close). Deterministic: a second closer storing it again stores the same bytes.
   */
  async publishFairness(eventId: string): Promise<string> {
    const event = await this.store.getEvent(eventId);
    if (!event || event.state !== 'closed') throw new Error(`event ${eventId} is not closed`);
    if (event.fairnessEtag) return event.fairnessEtag;
    const json = this.fairnessBytes(event, await this.store.sortedEntrants(eventId));
    // Web Crypto's digest runs off the event loop: 67 MB for a million entrants.
    const etag = `"${Buffer.from(await sha256Large(json)).toString('base64url')}"`;
    await this.documents.put(eventId, json, etag);
    await this.store.storeFairnessEtag(eventId, etag);
    return etag;
  }

  /** The document's bytes, written in one pass from the entrant list (docs/fairness.md §7). */
  private fairnessBytes(event: BufferEvent, entrants: SortedEntrants): Uint8Array {
    const { eventId } = event;
    if (event.drawVersion === DRAW_V1) {
      // Events closed before draw-v2: few and small; their field order is the old one.
      const text = new TextDecoder().decode(entrants.list);
      const doc: FairnessDocumentV1 = {
        version: DRAW_V1,
        eventId,
        commitment: event.commitment,
        seed: event.seed,
        salt: event.salt,
        beacon: event.beacon ?? '',
        beaconRound: event.beaconRound,
        entrantsDigest: event.entrantsDigest!,
        entrantHashes: text === '' ? [] : text.split('\n'),
        total: entrants.count,
      };
      return Buffer.from(JSON.stringify(doc), 'utf8');
    }
    const head: Omit<FairnessDocumentV2, 'entrantHashes'> = {
      version: DRAW_V2,
      eventId,
      commitment: event.commitment,
      seed: event.seed,
      salt: event.salt,
      closedAt: event.closedAt!.toISOString(),
      beacon: {
        chain: event.beaconChain!,
        round: event.beaconRound!,
        signature: event.beaconSignature!,
        ...(event.beaconPreviousSignature ? { previous_signature: event.beaconPreviousSignature } : {}),
        randomness: event.beacon!,
      },
      receiptKeys: this.receiptKeys,
      entrantsDigest: event.entrantsDigest!,
      total: entrants.count,
    };
    return serializeFairnessDocumentBytes(head, entrants.list, entrants.count);
  }
}
