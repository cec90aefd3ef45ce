import {
  preparedStatements,
  processOnce,
  type BusConsumer,
  type Payload,
  type Part,
  type ServiceKit,
} from '@ticketslave/common';
import { applySnapshot } from '../domain/inventory';
import {
  onEventCancelled,
  onPaymentAuthorized,
  onPaymentCaptured,
  onPaymentFailed,
  settleCapture,
} from '../domain/payments';
import { onPaymentDisputed, onPaymentRefunded, onRefundFailed } from '../domain/refunds';
import type { TicketIssuer } from '../domain/tickets';
import type { PurchaseConfig } from '../config';
import { PgAuthorizationStore, PgCaptureStore } from '../data/authorization-store';
import { purchaseStore } from '../data/purchase-store';
import { PgMailOutbox } from '../data/mail-outbox-repo';

type Kit = ServiceKit<PurchaseConfig>;

function consumerPart(name: string, subscribe: () => Promise<BusConsumer>): Part {
  let consumer: BusConsumer | undefined;
  return {
    name,
    start: async () => {
      consumer = await subscribe();
    },
    stop: async () => {
      await consumer?.stop();
    },
  };
}

/** Event snapshots and cancellations, and organisations (who may act on which event), from feed. */
export function eventConsumer(kit: Kit): Part {
  const group = 'purchase.events';
  return consumerPart(group, () =>
    kit.bus.subscribe({
      groupId: group,
      topics: ['event.published', 'event.updated', 'event.cancelled', 'organisation.updated'],
      fromBeginning: true,
      handler: async (m) => {
        await m.heartbeat();
        await processOnce(kit.ds, group, m.envelope.id, async (em) => {
          const e = m.envelope;
          const s = purchaseStore(em);
          if (e.type === 'event.cancelled')
            await onEventCancelled(s, e.payload as Payload<'event.cancelled'>);
          else if (e.type === 'organisation.updated')
            await s.organisations.apply(e.payload as Payload<'organisation.updated'>);
          else await applySnapshot(s, e.payload as Payload<'event.published'>);
        });
      },
    }),
  );
}

/**
 * The money flow from payment: an authorized card secures the order's seats and issues its
 * tickets (or cancels the order), a capture marks it paid, a failed capture or a refund
 * voids the tickets and gives the seats back. `onPaid` runs after a commit that queued a mail (tickets issued, a refund or dispute
 * settled): it wakes the mail outbox's sender.
 */
/** The group reading payment's topics; the hold sweeper waits for it (domain/holds AuthorizationHorizon). */
export const PAYMENT_GROUP = 'purchase.payments';

export function paymentConsumer(
  kit: Kit,
  issuer: TicketIssuer,
  onPaid: () => void,
  /** After the commit: the order may have changed (its feed tells the fan's page). */
  onOrderChanged: (orderId: string) => void = () => undefined,
): Part {
  const group = PAYMENT_GROUP;
  const prepared = preparedStatements(kit.ds);
  const authorizations = new PgAuthorizationStore(prepared, kit.wakeOutbox);
  const captures = new PgCaptureStore(prepared);
  return consumerPart(group, () =>
    kit.bus.subscribe({
      groupId: group,
      topics: [
        'payment.authorized',
        'payment.captured',
        'payment.failed',
        'payment.refunded',
        'payment.voided',
        'payment.refund_failed',
        'payment.disputed',
      ],
      fromBeginning: true,
      // Keyed by order over every partition; within a partition, too, orders settle in
      // parallel (each in order), so one order's slow transaction holds up no other.
      parallelBy: (m) => (m.envelope.payload as { orderId: string }).orderId,
      handler: async (m) => {
        const orderId = (m.envelope.payload as { orderId: string }).orderId;
        if (m.envelope.type === 'payment.authorized') {
          // The money path's hot message: its own transaction of two round trips, applied once.
          await onPaymentAuthorized(
            authorizations,
            { consumer: group, id: m.envelope.id },
            m.envelope.payload as Payload<'payment.authorized'>,
            issuer,
            kit.logger,
            { cardLimit: kit.config.CARD_LIMIT_PER_EVENT },
          );
          onOrderChanged(orderId);
          return;
        }
        if (m.envelope.type === 'payment.captured') {
          // One statement when the tickets exist (the usual case); else the long way below.
          const c = await settleCapture(
            captures,
            { consumer: group, id: m.envelope.id },
            m.envelope.payload as Payload<'payment.captured'>,
            kit.logger,
          );
          if (c !== 'needs_tickets') {
            onOrderChanged(orderId);
            if (c === 'paid') onPaid();
            return;
          }
        }
        let paid = false;
        await processOnce(kit.ds, group, m.envelope.id, async (em) => {
          const e = m.envelope;
          const s = purchaseStore(em);
          if (e.type === 'payment.captured') {
            const p = e.payload as Payload<'payment.captured'>;
            paid = await onPaymentCaptured(s, p, issuer, kit.logger);
          } else if (e.type === 'payment.failed')
            await onPaymentFailed(s, e.payload as Payload<'payment.failed'>);
          else if (e.type === 'payment.refunded')
            await onPaymentRefunded(s, e.payload as Payload<'payment.refunded'>, kit.logger);
          else if (e.type === 'payment.refund_failed')
            await onRefundFailed(s, e.payload as Payload<'payment.refund_failed'>);
          else if (e.type === 'payment.disputed')
            await onPaymentDisputed(s, e.payload as Payload<'payment.disputed'>);
          // payment.voided needs nothing: the order already left pending_payment when it was cancelled.
        });
        onOrderChanged(orderId);
        // Tickets issued, or a refund or dispute settled: a mail is queued.
        if (paid || m.envelope.type === 'payment.refunded' || m.envelope.type === 'payment.disputed')
          onPaid();
      },
    }),
  );
}

/**
 * The queue's news that an opted-in fan's turn is near: a row in the mail outbox (one per
 * place, the outbox's unique index), sent after the commit like every fan's mail. `onMail`
 * wakes the sender.
 */
export function queueMailConsumer(kit: Kit, onMail: () => void): Part {
  const group = 'purchase.queue-mails';
  return consumerPart(group, () =>
    kit.bus.subscribe({
      groupId: group,
      topics: ['queue.turn_near'],
      fromBeginning: true,
      handler: async (m) => {
        const fresh = await processOnce(kit.ds, group, m.envelope.id, (em) =>
          new PgMailOutbox(em).queueTurnNear(m.envelope.payload as Payload<'queue.turn_near'>),
        );
        if (fresh) onMail();
      },
    }),
  );
}
