/**
 * The queue page's view of the WebSocket protocol. The message union lives in the
 * isomorphic contracts the queue backend sends through, so the two cannot drift; the
 * `/me` polling answer (typed from the queue's OpenAPI document) has the fields of `hello`.
 */
import { WS_CLOSE, type FanStatus, type PauseReason, type QueueServerMessage } from '@ticketslave/contracts';
import type { components } from '@ticketslave/contracts/api/queue';
import type { en } from '../i18n/en';

export type QueueMessage = QueueServerMessage;

export interface QueueView {
  queueNumber: number | null;
  servingNumber: number | null;
  lastNumber: number | null;
  status: FanStatus | null;
  claimBy: string | null;
  admitRatePerMinute: number | null;
  measuredRatePerMinute: number | null;
  paused: boolean;
  pauseReason: PauseReason | null;
  soldOut: boolean;
  cancelled: boolean;
  available: number | null;
  /** When the sale opens (ISO); nobody's turn comes before it. */
  saleStartsAt: string | null;
}

export const emptyView = (): QueueView => ({
  queueNumber: null,
  servingNumber: null,
  lastNumber: null,
  status: null,
  claimBy: null,
  admitRatePerMinute: null,
  measuredRatePerMinute: null,
  paused: false,
  pauseReason: null,
  soldOut: false,
  cancelled: false,
  available: null,
  saleStartsAt: null,
});

/** The `/me` answer (polling fallback): a hello without the socket's own fields. */
export type MeAnswer = components['schemas']['QueuePlace'];

export function applyMessage(view: QueueView, m: QueueMessage): QueueView {
  switch (m.type) {
    case 'hello':
      return {
        queueNumber: m.queueNumber,
        servingNumber: m.servingNumber,
        lastNumber: m.lastNumber,
        status: m.status,
        claimBy: m.claimBy,
        admitRatePerMinute: m.admitRatePerMinute,
        measuredRatePerMinute: m.measuredRatePerMinute,
        paused: m.paused,
        pauseReason: m.pauseReason,
        soldOut: m.soldOut,
        cancelled: m.cancelled,
        available: m.available,
        // An older backend does not send it.
        saleStartsAt: m.saleStartsAt ?? null,
      };
    case 'progress':
      return {
        ...view,
        servingNumber: Math.max(view.servingNumber ?? 0, m.servingNumber),
        lastNumber: m.lastNumber,
        admitRatePerMinute: m.admitRatePerMinute,
        measuredRatePerMinute: m.measuredRatePerMinute,
        paused: m.paused,
        pauseReason: m.paused ? (view.pauseReason ?? 'organiser') : null,
        soldOut: m.soldOut,
        saleStartsAt: m.saleStartsAt === undefined ? view.saleStartsAt : m.saleStartsAt,
      };
    case 'your_turn':
      return { ...view, status: 'turn', claimBy: m.claimBy };
    case 'lapsed':
      return { ...view, status: 'lapsed' };
    case 'sold_out':
      return { ...view, soldOut: true };
    case 'paused':
      return { ...view, paused: true, pauseReason: m.reason };
    case 'resumed':
      return { ...view, paused: false, pauseReason: null, soldOut: false };
    case 'cancelled':
      return { ...view, cancelled: true };
  }
}

export const fromMe = (me: MeAnswer): QueueView => ({
  ...emptyView(),
  ...me,
  saleStartsAt: me.saleStartsAt ?? null,
});

/** Milliseconds until the sale opens, or 0 once it has (or when unknown). */
export const msUntilSale = (v: QueueView, now = Date.now()): number =>
  v.saleStartsAt ? Math.max(0, new Date(v.saleStartsAt).getTime() - now) : 0;

/**
 * The progress bar: from the number being served when this page first saw the queue
 * (`start`) to mine. Full once the serving number has reached mine or my turn has come,
 * also on a page that first saw the queue after that (a reload while it is my turn).
 */
export function queueProgress(
  v: QueueView,
  start: number | null,
  myTurn: boolean,
): { value: number; max: number } | undefined {
  if (v.queueNumber === null || v.servingNumber === null || start === null) return undefined;
  const max = Math.max(1, v.queueNumber - start);
  if (myTurn || v.servingNumber >= v.queueNumber) return { value: max, max };
  return { value: Math.max(0, Math.min(max, v.servingNumber - start)), max };
}

/** Fans ahead: derived from the broadcast serving number, never sent per fan. */
export const fansAhead = (v: QueueView): number | null =>
  v.queueNumber !== null && v.servingNumber !== null
    ? Math.max(0, v.queueNumber - v.servingNumber - 1)
    : null;

/**
 * ETA from the measured rate (what actually happens), falling back to the configured
 * one, plus the time until the sale opens when that is still ahead.
 */
export function etaMs(v: QueueView, now = Date.now()): number | null {
  const ahead = fansAhead(v);
  if (ahead === null || v.paused || v.soldOut) return null;
  const beforeSale = msUntilSale(v, now);
  const rate =
    beforeSale > 0
      ? v.admitRatePerMinute
      : v.measuredRatePerMinute && v.measuredRatePerMinute > 0
        ? v.measuredRatePerMinute
        : v.admitRatePerMinute;
  return rate ? beforeSale + (ahead / rate) * 60_000 : null;
}

/** What each terminal close code (`WS_CLOSE`, @ticketslave/contracts) means to the fan, as catalogue keys. */
export const closeExplanations: Record<number, { title: keyof typeof en; detail: keyof typeof en }> = {
  [WS_CLOSE.unauthenticated]: { title: 'close.unauthenticated.title', detail: 'close.unauthenticated.detail' },
  [WS_CLOSE.forbidden]: { title: 'close.forbidden.title', detail: 'close.forbidden.detail' },
  [WS_CLOSE.replaced]: { title: 'close.replaced.title', detail: 'close.replaced.detail' },
  [WS_CLOSE.turnLapsed]: { title: 'close.turnLapsed.title', detail: 'close.turnLapsed.detail' },
};
