import { ConflictError, ForbiddenError, NotFoundError, type Role } from '@ticketslave/common';
import type { PaymentRepository } from '../data/payment-repository';
import type { Settlement } from './settlement';

/**
 * An organiser gives one order's money back. With `releaseSeats` false the refund says
 * `keep_seats`: purchase voids the tickets but does not put the seats back on sale
 * (the usual case for a seat that turned out broken or was sold by mistake).
 */
export async function refundOrder(
  repo: PaymentRepository,
  settlement: Settlement,
  orderId: string,
  actor: { sub: string; role: Role },
  releaseSeats: boolean,
): Promise<{ orderId: string; status: 'refunded' }> {
  const order = await repo.order(repo.db, orderId);
  if (!order) throw new NotFoundError('No such order.');
  const event = await repo.event(repo.db, order.eventId);
  if (actor.role !== 'admin' && event?.organiserId !== actor.sub)
    throw new ForbiddenError('Only the organiser of this event can refund its orders.', 'not_your_event');
  const refunded = await settlement.refund(orderId, releaseSeats ? 'organiser_refund' : 'keep_seats');
  if (!refunded) {
    const payment = await repo.payment(repo.db, orderId);
    throw new ConflictError(
      payment
        ? `Only a captured payment can be refunded; this one is ${payment.status}.`
        : 'This order was never paid.',
      'not_refundable',
    );
  }
  return { orderId, status: 'refunded' };
}
