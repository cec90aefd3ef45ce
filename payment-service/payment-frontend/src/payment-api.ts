import type { components as PaymentSchemas } from '@ticketslave/contracts/api/payment';
import type { components as PurchaseSchemas } from '@ticketslave/contracts/api/purchase';
import { answer, isApiError, paymentApi, purchaseApi } from '@ticketslave/ui';

/** The payment API and the part of purchase's this page reads, typed from their OpenAPI documents (`npm run contracts`). */

export type PaymentView = PaymentSchemas['schemas']['Payment'];
export type PaymentStatus = PaymentView['status'];
export type PurchaseOrder = PurchaseSchemas['schemas']['Order'];

export const getPayment = (orderId: string, signal?: AbortSignal) =>
  answer(paymentApi.GET('/payment/api/orders/{id}', { params: { path: { id: orderId } }, signal }));

/** Back from paying: payment confirms the checkout with Stripe at once and answers the payment. */
export const confirmReturn = (orderId: string) =>
  answer(paymentApi.POST('/payment/api/orders/{id}/returned', { params: { path: { id: orderId } } }));

export const startCheckout = (orderId: string) =>
  answer(paymentApi.POST('/payment/api/orders/{id}/checkout', { params: { path: { id: orderId } } }));

/** Items are a nicety: without purchase's answer the page still shows the amount. */
export async function getPurchaseOrder(orderId: string): Promise<PurchaseOrder | null> {
  try {
    const order = await answer(
      purchaseApi.GET('/purchase/api/orders/{id}', { params: { path: { id: orderId } } }),
    );
    return Array.isArray(order?.items) ? order : null;
  } catch (e) {
    if (isApiError(e)) return null;
    throw e;
  }
}
