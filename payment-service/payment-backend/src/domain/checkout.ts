import {
  AppError,
  ConflictError,
  ForbiddenError,
  GoneError,
  NotFoundError,
  ORDER_REASON,
  orderReasonText,
  type Clock,
} from '@ticketslave/common';
import type { FanViewRow, OrderRow, PaymentRepository, PaymentStatus } from '../data/payment-repository';
import type { PaymentGateway } from '../stripe/payment-gateway';

/** Stripe refuses a Checkout Session `expires_at` sooner than 30 minutes or later than 24 hours. */
const MIN_SESSION_SECONDS = 31 * 60;
const MAX_SESSION_SECONDS = 23 * 3600;

export type PaymentView = {
  orderId: string;
  eventId: string;
  eventTitle: string | null;
  amountMinor: number;
  currency: string;
  status: 'pending' | PaymentStatus | 'expired';
  expiresAt: string;
  checkoutUrl: string | null;
  /** Why a payment was voided or failed (a code, e.g. `card_limit_exceeded`), and the sentence telling the fan. */
  reason: string | null;
  reasonText: string | null;
};

export interface Fan {
  sub: string;
  email: string;
}

/** The fan's side: opening a Checkout Session for their order and seeing where it stands. */
export class Checkout {
  constructor(
    private readonly repo: PaymentRepository,
    private readonly gateway: PaymentGateway,
    private readonly clock: Clock,
    private readonly publicBaseUrl: string,
    /** How long checkout and the order view wait for an order payment has not heard of yet. */
    private readonly orderArrivalWaitMs = 5_000,
  ) {}

  /**
   * The fan is back from paying (Stripe's success URL): an order with an open Checkout
   * Session and no payment yet is confirmed with Stripe at once (`confirm`, i.e.
   * `Settlement.confirmReturned`); then the payment as `view` answers it. One read when there
   * is nothing to confirm.
   */
  async returned(
    orderId: string,
    fan: Fan,
    confirm: (orderId: string, sessionId: string) => Promise<void>,
  ): Promise<PaymentView> {
    const found = await this.arrivedView(orderId);
    this.ownOrder(found?.order, fan);
    if (!found!.openSession || found!.payment) return this.viewOf(found!);
    await confirm(orderId, found!.openSession.sessionId);
    return this.viewOf((await this.repo.fanView(this.repo.db, orderId))!);
  }

  async view(orderId: string, fan: Fan): Promise<PaymentView> {
    const found = await this.arrivedView(orderId);
    this.ownOrder(found?.order, fan);
    return this.viewOf(found!);
  }

  private viewOf({ order, payment, openSession, eventTitle }: FanViewRow): PaymentView {
    const lapsed =
      order.status === 'expired' || (order.status === 'pending' && order.expiresAt <= this.clock.now());
    const status: PaymentView['status'] =
      payment?.status ?? (order.status === 'cancelled' ? 'voided' : lapsed ? 'expired' : 'pending');
    return {
      orderId: order.orderId,
      eventId: order.eventId,
      eventTitle: eventTitle || null,
      amountMinor: order.amountMinor,
      currency: order.currency,
      status,
      expiresAt: order.expiresAt.toISOString(),
      checkoutUrl:
        status === 'pending' && openSession && openSession.expiresAt > this.clock.now()
          ? openSession.url
          : null,
      reason: payment?.reason ?? null,
      reasonText: orderReasonText(payment?.reason),
    };
  }

  /**
   * Returns the open Checkout Session of the order, or opens attempt n+1 when the last
   * one expired. Stripe is called between a read and a short transaction, never inside
   * one: a slow Stripe must not hold a database connection (in an on-sale the pool would
   * fill with checkouts and starve the webhooks that complete orders). Two clicks at once
   * compute the same attempt, and the idempotency key `orderId:attempt` makes Stripe
   * answer both with the same session, recorded once. Each side of the Stripe call reads
   * the order, its payment, event and sessions in one statement (issue 21: two
   * transactions of seven round trips each before).
   */
  async start(orderId: string, fan: Fan): Promise<{ url: string }> {
    const found = this.payable(await this.arrivedView(orderId, true), fan);
    const { order } = found;
    const open = found.openSession;
    // A declined card leaves the session open: the fan retries on the same page.
    if (open?.url && open.expiresAt > this.clock.now()) return { url: open.url };
    if (open) await this.repo.closeSession(this.repo.db, open.sessionId, 'expired');
    const attempt = found.lastAttempt! + 1;
    const now = this.clock.now();
    const holdSeconds = (order.expiresAt.getTime() - now.getTime()) / 1000;
    const back = (result: string) =>
      `${this.publicBaseUrl}/payment/?order=${encodeURIComponent(orderId)}&result=${result}`;
    const created = await this.gateway.createCheckout({
      orderId,
      eventId: order.eventId,
      attempt,
      amountMinor: order.amountMinor,
      currency: order.currency,
      description: found.eventTitle ? `Tickets for ${found.eventTitle}` : 'Tickets',
      customerEmail: fan.email || undefined,
      successUrl: back('success'),
      cancelUrl: back('cancelled'),
      // Shorter holds leave the session at Stripe's default; order.expired closes it instead.
      expiresAt:
        holdSeconds >= MIN_SESSION_SECONDS
          ? new Date(Math.min(order.expiresAt.getTime(), now.getTime() + MAX_SESSION_SECONDS * 1000))
          : undefined,
    });
    const recorded = await this.repo
      .transaction(async (tx) => {
        // Of two requests recording a session for the order, the second waits for the lock and
        // then reads the first's (read after the lock: a locking read that waited would still
        // see the joined rows as they were before).
        await this.repo.order(tx, orderId, true);
        const { openSession: current } = this.payable(await this.repo.fanView(tx, orderId), fan);
        if (current && current.sessionId !== created.sessionId)
          return { url: current.url ?? created.url, ours: false };
        if (!current) await this.repo.insertSession(tx, { ...created, orderId, attempt, url: created.url });
        return { url: created.url, ours: true };
      })
      .catch(async (err: unknown) => {
        // The order stopped being payable while Stripe answered: nobody may pay this session.
        // (A database failure instead leaves it: the retry's same idempotency key finds it again.)
        if (err instanceof AppError)
          await this.gateway.expireCheckout(created.sessionId).catch(() => undefined);
        throw err;
      });
    // A concurrent request opened another attempt first; that one is the order's session.
    if (!recorded.ours) await this.gateway.expireCheckout(created.sessionId).catch(() => undefined);
    return { url: recorded.url };
  }

  /** The fan's order as read, if it can still be paid; otherwise the reason, as an error. */
  private payable(found: FanViewRow | undefined, fan: Fan): FanViewRow {
    const order = this.ownOrder(found?.order, fan);
    const { payment } = found!;
    if (payment?.reason === ORDER_REASON.cardLimitExceeded)
      throw new ConflictError(orderReasonText(payment.reason)!, ORDER_REASON.cardLimitExceeded);
    if (payment)
      throw new ConflictError(`This order already has a payment (${payment.status}).`, 'already_paid');
    if (order.status === 'cancelled') throw new ConflictError('This order was cancelled.', 'order_cancelled');
    if (order.status === 'completed')
      throw new ConflictError('This order is already complete.', 'order_completed');
    if (order.status === 'expired' || order.expiresAt <= this.clock.now())
      throw new GoneError('The hold on your tickets has expired. Nothing was charged.', 'hold_expired');
    if (found!.eventCancelled) throw new ConflictError('This event was cancelled.', 'event_cancelled');
    return found!;
  }

  /**
   * The order as `fanView` reads it, waiting a few seconds for it when payment has not heard
   * of it yet: a fan goes to pay the moment purchase answers the hold, and `order.created`
   * reaches payment through Kafka a moment later (longer in a big on-sale). A 404 then would
   * only make the page retry; the wait answers as soon as the order lands.
   */
  private arrivedView(orderId: string, withLastAttempt = false): Promise<FanViewRow | undefined> {
    return this.arrived(() => this.repo.fanView(this.repo.db, orderId, withLastAttempt));
  }

  private async arrived<T>(read: () => Promise<T | undefined>): Promise<T | undefined> {
    let delay = 25;
    for (let waited = 0; ; waited += delay, delay = Math.min(delay * 2, 400)) {
      const found = await read();
      if (found || waited >= this.orderArrivalWaitMs) return found;
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  private ownOrder(order: OrderRow | undefined, fan: Fan): OrderRow {
    if (!order)
      throw new NotFoundError('No such order (yet): it appears here moments after your seats are held.');
    if (order.userId !== fan.sub)
      throw new ForbiddenError('This order belongs to someone else.', 'not_your_order');
    return order;
  }
}
