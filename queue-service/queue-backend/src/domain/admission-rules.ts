/**
 * The pure rules of admission. The SQL in `data/` applies them atomically; keeping
 * the arithmetic here lets it be tested without a database.
 */

/** A turn the fan is present for can be claimed for at least this long, even with a zero away-grace. */
export const MIN_CLAIM_SECONDS = 30;

/**
 * An admitted fan holds a shopping slot (max active shoppers) until their order ends, and
 * before their first order for at most this long: one who leaves without holding (nothing
 * left but seats in other fans' carts, or simply gone) gives the slot to the next fan then,
 * not when their purchase window closes (hold + 5 minutes). They may still hold until it
 * does, as after an order that ended. (bench:onsale: 30 such fans on 30 slots stalled
 * admissions for the whole window, a 335.7 s sell-out instead of ~68 s.)
 */
export const FIRST_HOLD_SECONDS = 120;

/** A socket heartbeat older than this means the fan is not connected. */
export const PRESENCE_STALE_SECONDS = 15;

export interface Bucket {
  tokens: number;
  at: Date;
}

/**
 * Token bucket for `admitRatePerMinute`: capacity of one second of admissions (at
 * least one), so a pause or an idle spell never turns into a burst.
 */
export function refill(bucket: Bucket, ratePerMinute: number, now: Date): Bucket {
  const capacity = Math.max(1, ratePerMinute / 60);
  const elapsed = Math.max(0, (now.getTime() - bucket.at.getTime()) / 1000);
  return { tokens: Math.min(capacity, bucket.tokens + (elapsed * ratePerMinute) / 60), at: now };
}

/**
 * Whether the announced sale time has come. Closing the buffer early draws the
 * numbers early; it never opens the sale early. Unknown (null) counts as open.
 */
export const saleHasStarted = (saleStartsAt: Date | string | null | undefined, now: Date): boolean =>
  saleStartsAt == null || new Date(saleStartsAt).getTime() <= now.getTime();

export interface BudgetInput {
  tokens: number;
  maxActiveShoppers: number;
  active: number;
  serving: number;
  lastNumber: number;
  halted: boolean;
}

/** How many numbers the serving counter may advance this tick. */
export function admissionBudget(i: BudgetInput): number {
  if (i.halted) return 0;
  return Math.max(
    0,
    Math.min(Math.floor(i.tokens), i.maxActiveShoppers - i.active, i.lastNumber - i.serving),
  );
}

/**
 * How long after the grace the admitter waits before it lapses a parked fan: a fan is back in
 * time when their socket *connected* within the grace (queue-socket's `connectedAt`), but the
 * greeting that records it runs in a batch that may wait behind others under load. Without
 * this, a fan who came back in time could be lapsed by a tick between connecting and being
 * greeted (seen in bench:onsale: "came back within the grace but is lapsed"). At most the
 * grace itself, so short test graces stay short; nobody sees the wait (a parked fan has no
 * socket, and one that connects is decided by when it connected).
 */
export const parkedLapseSlackSeconds = (awayGraceSeconds: number): number => Math.min(5, awayGraceSeconds);

/** Seconds a turn stays claimable: a present fan always gets a usable window. */
export const claimSeconds = (awayGraceSeconds: number, minClaimSeconds = MIN_CLAIM_SECONDS): number =>
  Math.max(awayGraceSeconds, minClaimSeconds);

export const claimBy = (turnAt: Date, awayGraceSeconds: number, minClaimSeconds = MIN_CLAIM_SECONDS): Date =>
  new Date(turnAt.getTime() + claimSeconds(awayGraceSeconds, minClaimSeconds) * 1000);

/** Exponentially weighted admissions per minute, so the ETA neither jumps nor lags much. */
export function measuredRate(previous: number, admitted: number, elapsedSeconds: number): number {
  if (elapsedSeconds <= 0) return previous;
  const instant = (admitted / elapsedSeconds) * 60;
  return previous === 0 ? instant : previous * 0.8 + instant * 0.2;
}

/**
 * How many fans may be ahead of a fan who asked to be mailed when their turn is near, for the
 * mail to go out: as many as the queue admits in `leadSeconds` at the organiser's rate, at
 * least one. The configured rate is a ceiling (its token bucket holds one second's worth), so
 * the mail reaches the fan at least `leadSeconds` before the turn, minus the mail's own delay.
 */
export const nearTurnAhead = (admitRatePerMinute: number, leadSeconds: number): number =>
  Math.max(1, Math.ceil((admitRatePerMinute * leadSeconds) / 60));

/** The states an inventory snapshot puts admission in. */
export function inventoryState(inv: { available: number; held: number }): {
  soldOut: boolean;
  inCarts: boolean;
} {
  return {
    soldOut: inv.available === 0 && inv.held === 0,
    inCarts: inv.available === 0 && inv.held > 0,
  };
}
