/**
 * The fields this page reads from queue WebSocket messages. The queue service owns
 * the message union (keyed on `type`); unknown types are ignored, so the page keeps
 * working as the protocol grows.
 */
export interface QueueMessage {
  type: string;
  queueNumber?: number;
  servingNumber?: number;
  admitRatePerMinute?: number;
  paused?: boolean;
  soldOut?: boolean;
}

export interface QueueView {
  queueNumber: number | null;
  servingNumber: number | null;
  admitRatePerMinute: number | null;
  paused: boolean;
  soldOut: boolean;
  yourTurn: boolean;
}

export const emptyView = (): QueueView => ({
  queueNumber: null,
  servingNumber: null,
  admitRatePerMinute: null,
  paused: false,
  soldOut: false,
  yourTurn: false,
});

export function applyMessage(view: QueueView, message: QueueMessage): QueueView {
  const next = { ...view };
  if (typeof message.queueNumber === 'number') next.queueNumber = message.queueNumber;
  if (typeof message.servingNumber === 'number') next.servingNumber = message.servingNumber;
  if (typeof message.admitRatePerMinute === 'number') next.admitRatePerMinute = message.admitRatePerMinute;
  if (typeof message.paused === 'boolean') next.paused = message.paused;
  if (typeof message.soldOut === 'boolean') next.soldOut = message.soldOut;
  if (message.type === 'your_turn') next.yourTurn = true;
  return next;
}

/** What each terminal close code means to the fan (see ARCHITECTURE.md). */
export const closeExplanations: Record<number, { title: string; detail: string }> = {
  4401: { title: 'You need to log in', detail: 'Log in again to see your place in the queue.' },
  4403: { title: 'No place in this queue', detail: 'This account has no queue number for this event. Join from the waiting room first.' },
  4409: { title: 'Open in another tab', detail: 'Your place is being shown in another tab or device. Keep using that one: your place is not affected.' },
  4410: { title: 'Your turn has lapsed', detail: 'Your number came up while you were away, and the grace period has passed.' },
};
