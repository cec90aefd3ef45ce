import { createHash } from 'node:crypto';
import type { Logger } from '@ticketslave/common';
import type { PaymentRepository, PaymentRow, RefundSource } from '../data/payment-repository';
import { GatewayRefusal, type GatewayEvent, type PaymentGateway } from '../stripe/payment-gateway';

/** A UUID derived from `name` (SHA-256, RFC 4122 layout): the same refund asked twice gets the same id. */
export function uuidFrom(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const ref = (p: PaymentRow) => ({
  orderId: p.orderId,
  eventId: p.eventId,
  paymentIntentId: p.paymentIntentId,
  amountMinor: p.amountMinor,
  currency: p.currency,
});

export interface RefundAsk {
  refundId: string;
  orderId: string;
  /** Default: everything not refunded yet. */
  amountMinor?: number;
  source: RefundSource;
  reason: string;
}

/**
 * Money going back to fans: refunds purchase asks for (whole or part of a payment), the rest
 * of a payment when an event is cancelled, and refunds and disputes that happen at Stripe
 * without us (the dashboard, the fan's bank). Every refund is a row before Stripe is called
 * (its id is the idempotency key and the Stripe refund's metadata), so a retry never refunds
 * twice, a webhook about our own refund is never taken for someone else's, and a refund
 * made in the dashboard is counted once whatever Stripe redelivers.
 */
export class Refunds {
  constructor(
    private readonly repo: PaymentRepository,
    private readonly gateway: PaymentGateway,
    private readonly logger: Logger,
  ) {}

  /** Refunds at Stripe what `ask` says, once; tells purchase either way (refunded / refund_failed). */
  async refund(ask: RefundAsk): Promise<'refunded' | 'failed' | 'nothing'> {
    const payment = await this.repo.payment(this.repo.db, ask.orderId);
    if (!payment || (payment.status !== 'captured' && payment.status !== 'refunded')) {
      if (ask.source === 'organiser')
        await this.fail(ask, undefined, `the payment is ${payment?.status ?? 'unknown'}, not captured`);
      return 'nothing';
    }
    const refunds = await this.repo.refundsOf(this.repo.db, ask.orderId);
    const known = refunds.find((r) => r.refundId === ask.refundId);
    if (known?.status === 'succeeded') return 'refunded';
    if (known?.status === 'failed') return 'failed';
    const others = refunds.filter((r) => r.status !== 'failed' && r.refundId !== ask.refundId);
    const left = payment.amountMinor - others.reduce((n, r) => n + r.amountMinor, 0);
    const amount = known?.amountMinor ?? ask.amountMinor ?? left;
    if (!known) {
      if (amount <= 0 || amount > left) {
        if (amount <= 0 && ask.source !== 'organiser') return 'nothing';
        await this.fail(
          ask,
          payment,
          `only ${Math.max(0, left)} of ${payment.amountMinor} is left to refund`,
        );
        return 'failed';
      }
      await this.repo.transaction((tx) =>
        this.repo.insertRefund(tx, { ...ask, amountMinor: amount, status: 'pending' }),
      );
    }
    let done: { stripeRefundId: string };
    try {
      done = await this.gateway.refund(payment.paymentIntentId, {
        refundId: ask.refundId,
        amountMinor: amount,
      });
    } catch (err) {
      if (!(err instanceof GatewayRefusal)) throw err;
      await this.fail(ask, payment, err.message);
      return 'failed';
    }
    await this.repo.transaction(async (tx) => {
      if (
        !(await this.repo.settleRefund(tx, ask.refundId, 'succeeded', {
          stripeRefundId: done.stripeRefundId,
        }))
      )
        return;
      const moved = await this.repo.addRefunded(tx, ask.orderId, amount);
      if (moved)
        await this.repo.emit(tx, 'payment.refunded', {
          ...ref(moved),
          reason: ask.reason,
          refundId: ask.refundId,
          refundMinor: amount,
          source: ask.source,
        });
    });
    return 'refunded';
  }

  /** Everything of the payment not refunded yet (a cancelled event, a capture that raced a void). */
  refundRest(orderId: string, source: RefundSource, reason: string) {
    return this.refund({ refundId: uuidFrom(`${orderId}:rest:${reason}`), orderId, source, reason });
  }

  /**
   * Stripe says a charge was refunded: ours are known by id or metadata; any other refund of
   * it was made in the dashboard and is recorded (once, by its Stripe id) and announced.
   */
  async onChargeRefunded(event: Extract<GatewayEvent, { type: 'charge.refunded' }>): Promise<void> {
    if (!event.paymentIntentId) return;
    const payment = await this.repo.paymentByIntent(this.repo.db, event.paymentIntentId);
    if (!payment) {
      this.logger.warn(
        { stripeEvent: event.id, paymentIntentId: event.paymentIntentId },
        'refund of a payment we do not know',
      );
      return;
    }
    const atStripe = await this.gateway.listRefunds(event.paymentIntentId);
    const ours = await this.repo.refundsOf(this.repo.db, payment.orderId);
    for (const r of atStripe) {
      if (r.status === 'failed' || r.status === 'canceled') continue;
      if (
        ours.some((o) => o.stripeRefundId === r.stripeRefundId || (r.refundId && o.refundId === r.refundId))
      )
        continue;
      const refundId = uuidFrom(`stripe:${r.stripeRefundId}`);
      const reason = 'refunded in Stripe';
      await this.repo.transaction(async (tx) => {
        const { created } = await this.repo.insertRefund(tx, {
          refundId,
          orderId: payment.orderId,
          amountMinor: r.amountMinor,
          source: 'stripe',
          reason,
          status: 'succeeded',
          stripeRefundId: r.stripeRefundId,
        });
        if (!created) return;
        const moved = await this.repo.addRefunded(tx, payment.orderId, r.amountMinor);
        if (moved)
          await this.repo.emit(tx, 'payment.refunded', {
            ...ref(moved),
            reason,
            refundId,
            refundMinor: r.amountMinor,
            source: 'stripe',
          });
      });
      this.logger.warn(
        { orderId: payment.orderId, stripeRefundId: r.stripeRefundId },
        'refund made outside TicketSlave',
      );
    }
  }

  /** The fan's bank opened a dispute: recorded once (by its Stripe id), purchase voids the tickets. */
  async onDisputeCreated(event: Extract<GatewayEvent, { type: 'charge.dispute.created' }>): Promise<void> {
    if (!event.paymentIntentId) return;
    const payment = await this.repo.paymentByIntent(this.repo.db, event.paymentIntentId);
    if (!payment) {
      this.logger.warn(
        { stripeEvent: event.id, disputeId: event.disputeId },
        'dispute on a payment we do not know',
      );
      return;
    }
    await this.repo.transaction(async (tx) => {
      if (
        !(await this.repo.insertDispute(tx, {
          disputeId: event.disputeId,
          orderId: payment.orderId,
          amountMinor: event.amountMinor,
          reason: event.reason,
        }))
      )
        return;
      await this.repo.emit(tx, 'payment.disputed', {
        ...ref(payment),
        disputeId: event.disputeId,
        disputedMinor: event.amountMinor,
        reason: event.reason,
      });
    });
    this.logger.warn(
      { orderId: payment.orderId, disputeId: event.disputeId, reason: event.reason },
      'payment disputed',
    );
  }

  /** Records the refusal (once) and, for an organiser's refund, tells purchase: its tickets stay valid. */
  private async fail(ask: RefundAsk, payment: PaymentRow | undefined, failure: string): Promise<void> {
    this.logger.warn({ refundId: ask.refundId, orderId: ask.orderId, failure }, 'refund refused');
    const eventId = payment?.eventId ?? (await this.repo.order(this.repo.db, ask.orderId))?.eventId;
    await this.repo.transaction(async (tx) => {
      let changed = true;
      if (payment) {
        const { created, row } = await this.repo.insertRefund(tx, {
          ...ask,
          amountMinor: Math.max(1, ask.amountMinor ?? 1),
          status: 'failed',
          failure,
        });
        changed =
          created ||
          (row.status === 'pending' &&
            (await this.repo.settleRefund(tx, ask.refundId, 'failed', { failure })));
      }
      if (changed && ask.source === 'organiser' && eventId)
        await this.repo.emit(tx, 'payment.refund_failed', {
          orderId: ask.orderId,
          eventId,
          refundId: ask.refundId,
          reason: failure,
        });
    });
  }
}
