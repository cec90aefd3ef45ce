import type { Logger, Part } from '@ticketslave/common';
import type { DataSource } from 'typeorm';
import { PgMailOutbox, type DueMail } from '../data/mail-outbox-repo';
import { purchaseStore } from '../data/purchase-store';
import { ordersOf } from '../domain/orders';
import type { PurchaseStore } from '../domain/ports';
import { cancellationMail, confirmationMail, refundMail, turnNearMail } from './mail-content';
import type { Mailer } from './mailer';
import { periodic } from './periodic';

/** Mails claimed per round; the round sends them at once over the pooled SMTP connections. */
const BATCH = 20;
/** A claimed mail that is neither sent nor failed by then (its instance died) is due again. */
const LEASE_SECONDS = 120;
/** After this many failed attempts a mail is logged as an error on every further retry. */
const ALERT_AFTER_ATTEMPTS = 5;

/** Seconds until the next try after `attempts` failures: 5 s, 10 s, 20 s, … at most an hour. */
export const retryDelaySeconds = (attempts: number): number => Math.min(3600, 5 * 2 ** (attempts - 1));

/**
 * Sends the mails written to `mail_outbox` by the transaction that issued the tickets
 * (confirmation), settled a refund or dispute (refund) or cancelled a paid order's event
 * (cancellation), or by the consumer of `queue.turn_near` (a fan's turn is near). Rows are
 * claimed with SKIP LOCKED and a lease, so several purchase instances share the work and a
 * crashed one's claims come back; a failed send is retried with backoff. At least once: a crash between sending and marking sends again.
 * Returns how many mails it claimed.
 */
export async function sendDueMails(ds: DataSource, mailer: Mailer, logger: Logger): Promise<number> {
  const outbox = new PgMailOutbox(ds);
  const due = await outbox.claimDue(BATCH, LEASE_SECONDS);
  await Promise.all(
    due.map(async (mail) => {
      const { mailId, kind, attempts } = mail;
      try {
        if (mailer.enabled) {
          if (mail.kind === 'turn_near') await sendTurnNear(purchaseStore(ds), outbox, mailer, mail.place);
          else if (mail.kind === 'refund')
            await sendRefund(purchaseStore(ds), mailer, mail.orderId, mail.refundId!);
          else if (mail.kind === 'cancellation')
            await sendCancellation(purchaseStore(ds), mailer, mail.orderId);
          else await sendConfirmation(purchaseStore(ds), mailer, mail.orderId);
        }
        await outbox.markSent(mailId);
      } catch (err) {
        const retryIn = retryDelaySeconds(attempts);
        await outbox.markFailed(mailId, retryIn, String((err as Error)?.message ?? err));
        const log = attempts >= ALERT_AFTER_ATTEMPTS ? logger.error.bind(logger) : logger.warn.bind(logger);
        const about = mail.kind === 'turn_near' ? { eventId: mail.place.eventId } : { orderId: mail.orderId };
        log({ err, ...about, kind, attempts, retryIn }, `${kind} e-mail failed; will try again`);
      }
    }),
  );
  return due.length;
}

async function sendConfirmation(s: PurchaseStore, mailer: Mailer, orderId: string): Promise<void> {
  const order = await s.orders.get(orderId);
  if (!order) return;
  const [view] = await ordersOf(s, order.userId, orderId);
  // Refunded (or otherwise no longer paid) before the mail went out: nothing to confirm.
  if (view?.status !== 'paid') return;
  const tickets = (await s.tickets.ofOrder(orderId)).filter((t) => t.status === 'valid');
  const event = await s.events.get(order.eventId);
  await mailer.send(
    order.email,
    confirmationMail({ order: view, event, tickets, ticketsUrl: mailer.ticketsUrl }),
  );
}

async function sendRefund(
  s: PurchaseStore,
  mailer: Mailer,
  orderId: string,
  refundId: string,
): Promise<void> {
  const order = await s.orders.get(orderId);
  const refund = (await s.refunds.ofOrder(orderId)).find((r) => r.refundId === refundId);
  if (!order || !refund || refund.status !== 'refunded') return;
  const [view] = await ordersOf(s, order.userId, orderId);
  if (!view) return;
  const [event, tickets] = await Promise.all([s.events.get(order.eventId), s.tickets.ofOrder(orderId)]);
  // The refund of a cancelled event that came before purchase saw the cancellation: this is the
  // fan's one mail about it (the cancellation mail is then not queued: the order is refunded).
  const mail =
    refund.source === 'event_cancelled'
      ? cancellationMail({
          order: view,
          event,
          tickets,
          refundMinor: refund.amountMinor,
          ticketsUrl: mailer.ticketsUrl,
        })
      : refundMail({ order: view, event, refund, tickets, ticketsUrl: mailer.ticketsUrl });
  await mailer.send(order.email, mail);
}

/**
 * The queue found an opted-in fan near their turn. Not sent when the fan has ordered for the
 * event meanwhile (they were admitted: the mail would only confuse) or the event is gone or
 * cancelled; the row is then simply done.
 */
async function sendTurnNear(
  s: PurchaseStore,
  outbox: PgMailOutbox,
  mailer: Mailer,
  place: Extract<DueMail, { kind: 'turn_near' }>['place'],
): Promise<void> {
  const event = await s.events.get(place.eventId);
  if (!event || event.status === 'cancelled') return;
  if (await outbox.hasOrdered(place.eventId, place.userId)) return;
  await mailer.send(
    place.email,
    turnNearMail({ event, ahead: place.ahead, queueUrl: mailer.queueUrl(place.eventId) }),
  );
}

/** A paid order's event was cancelled: its tickets are void, payment refunds what is left. */
async function sendCancellation(s: PurchaseStore, mailer: Mailer, orderId: string): Promise<void> {
  const order = await s.orders.get(orderId);
  if (!order) return;
  const [view] = await ordersOf(s, order.userId, orderId);
  if (!view) return;
  const [event, tickets, refunds] = await Promise.all([
    s.events.get(order.eventId),
    s.tickets.ofOrder(orderId),
    s.refunds.ofOrder(orderId),
  ]);
  const refundedBefore = refunds
    .filter((r) => r.status === 'refunded' && r.source !== 'event_cancelled')
    .reduce((sum, r) => sum + r.amountMinor, 0);
  await mailer.send(
    order.email,
    cancellationMail({
      order: view,
      event,
      tickets,
      refundMinor: order.amountMinor - refundedBefore,
      ticketsUrl: mailer.ticketsUrl,
    }),
  );
}

/**
 * The mail outbox's sender as a Part: a round every `intervalMs`, at once when woken
 * (after a commit that queued a mail), rounds back to back while they come back full.
 */
export function mailSender(
  ds: DataSource,
  mailer: Mailer,
  logger: Logger,
  intervalMs = 1000,
): Part & { wake(): void } {
  const loop = periodic(
    'mail-sender',
    intervalMs,
    async () => {
      while ((await sendDueMails(ds, mailer, logger)) === BATCH);
    },
    logger,
  );
  return {
    ...loop,
    stop: async () => {
      await loop.stop();
      mailer.close();
    },
  };
}
