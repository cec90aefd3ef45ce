/**
 * Why an order stopped or its card's authorization was voided, as purchase records it on the
 * order (`orders.reason`, order.cancelled's `reason`) and payment on the payment. The codes
 * travel between services; the sentences are what fans and organisers read.
 */
export const ORDER_REASON = {
  /** The card (its fingerprint) already bought the event's per-fan ticket limit (issue 17.8). */
  cardLimitExceeded: 'card_limit_exceeded',
  seatsUnavailable: 'seats_unavailable',
  amountMismatch: 'amount_mismatch',
  eventCancelled: 'event_cancelled',
  /** A lapsed order's card was authorized after the fan had held again with the same admission (issue 20.5). */
  superseded: 'superseded',
} as const;

const SENTENCES: Record<string, string> = {
  [ORDER_REASON.cardLimitExceeded]:
    'The card you paid with has already bought this event’s ticket limit per fan, so its authorisation was cancelled and nothing was charged. One card buys at most the per-fan limit of an event, whichever account pays with it.',
  [ORDER_REASON.seatsUnavailable]:
    'Your seats could not be kept, so the authorisation on your card was cancelled. Nothing was charged.',
  [ORDER_REASON.amountMismatch]:
    'The authorised amount did not match the order, so the authorisation was cancelled. Nothing was charged.',
  [ORDER_REASON.eventCancelled]: 'The event was cancelled. Nothing was charged for this order.',
  [ORDER_REASON.superseded]:
    'This hold had lapsed and you have since chosen seats again, so its payment was cancelled and nothing was charged for it. Your newer order is the one to pay.',
};

/** A fan-facing sentence for a reason code; null for codes without one (the caller's default applies). */
export function orderReasonText(reason: string | null | undefined): string | null {
  return (reason && SENTENCES[reason]) ?? null;
}
