import type { BusConsumer, IncomingMessage, MessageBus, Part, Payload } from '@ticketslave/common';
import type { PaymentRepository } from '../data/payment-repository';
import type { Settlement } from '../domain/settlement';
import type { PaymentGateway } from '../stripe/payment-gateway';

const GROUP = 'payment.orders';
const CONSUMED = [
  'event.published',
  'event.updated',
  'event.cancelled',
  'order.created',
  'order.completed',
  'order.expired',
  'order.cancelled',
  'refund.requested',
] as const;
type ConsumedTopic = (typeof CONSUMED)[number];
/**
 * New orders get a consumer group of their own: the other messages call Stripe
 * (capture, void, expire a session), and under load those calls must not hold up
 * the moment a fan's order becomes payable. The handlers do not depend on the order
 * between topics (see below), so splitting the group changes no outcome.
 */
const INTAKE_GROUP = 'payment.order-intake';
const INTAKE = ['order.created'] as const;
const SETTLING = CONSUMED.filter((t) => t !== 'order.created');

const orderOf = (p: Payload<'order.completed'>, expiresAt: Date) => ({
  orderId: p.orderId,
  eventId: p.eventId,
  userId: p.userId,
  admissionId: p.admissionId,
  amountMinor: p.amountMinor,
  currency: p.currency,
  expiresAt,
});

/**
 * What purchase and feed tell payment. Every branch is idempotent by state (inserts
 * that ignore duplicates, status-checked updates, Stripe idempotency keys), so a
 * redelivered message or one arriving out of order across topics changes nothing twice.
 */
export function orderConsumer(deps: {
  bus: MessageBus;
  repo: PaymentRepository;
  settlement: Settlement;
  gateway: PaymentGateway;
}): Part {
  const { repo, settlement, gateway } = deps;

  /**
   * Records what purchase decided of an order: moved to `to` from any of `from`; an order heard
   * of first through this later message is recorded as it now stands. One statement.
   */
  const record = (
    m: IncomingMessage,
    p: Payload<'order.completed'>,
    to: 'completed' | 'expired' | 'cancelled',
    from: ('pending' | 'expired' | 'completed')[],
    cancelReason?: string,
  ) => repo.recordOrderStatus(repo.db, orderOf(p, new Date(m.envelope.occurredAt)), to, from, cancelReason);

  const expireOpenCheckout = async (orderId: string) => {
    const open = await repo.openSession(repo.db, orderId);
    if (!open) return;
    await gateway.expireCheckout(open.sessionId);
    await repo.transaction((tx) => repo.closeSession(tx, open.sessionId, 'expired'));
  };

  const handlers: { [T in ConsumedTopic]: (p: Payload<T>, m: IncomingMessage) => Promise<void> } = {
    'event.published': (e, m) => upsertEvent(e, m),
    'event.updated': (e, m) => upsertEvent(e, m),
    // One insert that ignores a known order: a redelivery, or an order.created arriving after
    // a later message recorded the order, changes nothing (no processed-message row needed).
    'order.created': async (p) => {
      await repo.insertOrder(repo.db, orderOf(p, new Date(p.expiresAt)));
    },
    'order.completed': async (p, m) => {
      await record(m, p, 'completed', ['pending', 'expired']);
      await settlement.capture(p.orderId);
    },
    'order.expired': async (p, m) => {
      await record(m, p, 'expired', ['pending']);
      await expireOpenCheckout(p.orderId);
    },
    'order.cancelled': async (p, m) => {
      // Cancelled wins even over a completion seen first (another topic, so no ordering
      // between them): capture checks this status, so the authorization is voided instead.
      const reason = p.reason ?? 'order_cancelled';
      await record(m, p, 'cancelled', ['pending', 'expired', 'completed'], reason);
      await expireOpenCheckout(p.orderId);
      await settlement.void(p.orderId, reason);
    },
    'event.cancelled': (p, m) => settlement.cancelEvent(p.eventId, () => m.heartbeat()),
    // An organiser refunds (part of) an order in purchase; once per refund id (it is the row's key).
    'refund.requested': async (p) => {
      await settlement.refunds.refund({
        refundId: p.refundId,
        orderId: p.orderId,
        amountMinor: p.amountMinor,
        source: 'organiser',
        reason: p.reason,
      });
    },
  };

  const upsertEvent = async (e: Payload<'event.published'>, m: IncomingMessage) => {
    await repo.once(GROUP, m.envelope.id, (tx) =>
      repo.upsertEvent(tx, {
        eventId: e.eventId,
        organiserId: e.organiserId,
        title: e.title,
        version: e.version,
      }),
    );
  };

  const handle = (m: IncomingMessage): Promise<void> => {
    const handler = handlers[m.topic as ConsumedTopic] as
      ((p: unknown, m: IncomingMessage) => Promise<void>) | undefined;
    return handler ? handler(m.envelope.payload, m) : Promise.resolve();
  };

  /**
   * Different orders settle in parallel (each waits on Stripe), one order's messages in
   * order; an event's own messages (published, updated, cancelled) keep their order too.
   */
  const orderOrEvent = (m: IncomingMessage): string => {
    const p = m.envelope.payload as { orderId?: string; eventId?: string };
    return p.orderId ? `order:${p.orderId}` : `event:${p.eventId ?? ''}`;
  };

  const consumers: BusConsumer[] = [];
  return {
    name: 'order-consumer',
    start: async () => {
      // Both at once: after a crash each join may wait (up to 5 s) for the dead member's session.
      consumers.push(
        ...(await Promise.all([
          deps.bus.subscribe({
            groupId: INTAKE_GROUP,
            topics: [...INTAKE],
            handler: handle,
            parallelBy: orderOrEvent,
          }),
          deps.bus.subscribe({
            groupId: GROUP,
            topics: [...SETTLING],
            handler: handle,
            parallelBy: orderOrEvent,
            // Each capture or void waits on Stripe (~0.3–1 s in production): a wider window
            // keeps up with an on-sale's completions (in the 20,000-fan bench, lag peak 134
            // instead of 239–471 with 32, when batches still waited for their slowest message).
            // Beyond Stripe's rate limit it answers 429, which the SDK and the consumer retry.
            maxInFlight: 64,
          }),
        ])),
      );
    },
    stop: async () => {
      await Promise.all(consumers.splice(0).map((c) => c.stop()));
    },
  };
}
