/**
 * The queue WebSocket protocol: a union keyed on `type`. Kept free of runtime
 * imports so the queue page can import the types directly.
 */
export type FanStatus = 'waiting' | 'turn' | 'parked' | 'admitted' | 'lapsed';

export interface ProgressFields {
  servingNumber: number;
  waiting: number;
  parked: number;
  admitRatePerMinute: number;
  measuredRatePerMinute: number;
  lastNumber: number;
  paused: boolean;
  soldOut: boolean;
  /**
   * When the sale opens (ISO). Nobody gets a turn before it, even after an early
   * close; the page counts down to it while it is in the future. Null when unknown.
   */
  saleStartsAt: string | null;
}

/** `in_carts`: every ticket left is held in someone's cart; admission resumes when some come back. */
export type PauseReason = 'organiser' | 'in_carts';

export type QueueServerMessage =
  | ({
      type: 'hello';
      eventId: string;
      queueNumber: number;
      status: FanStatus;
      /** When a `turn` must be claimed by (ISO); null unless it is the fan's turn. */
      claimBy: string | null;
      cancelled: boolean;
      /** Why admission is halted, when it is. */
      pauseReason: PauseReason | null;
      /** Tickets still on sale, when purchase has told us. */
      available: number | null;
    } & ProgressFields)
  | ({ type: 'progress' } & ProgressFields)
  | { type: 'your_turn'; claimBy: string }
  | { type: 'lapsed' }
  | { type: 'sold_out' }
  | { type: 'paused'; reason: PauseReason }
  | { type: 'resumed' }
  | { type: 'cancelled' };

export type QueueMessageType = QueueServerMessage['type'];
