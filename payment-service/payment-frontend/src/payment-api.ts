import { answer, createApiClient, isApiError } from '@ticketslave/ui';
import type { components as PaymentSchemas, paths as PaymentPaths } from './lib/api/payment';
import type { components as PurchaseSchemas, paths as PurchasePaths } from './lib/api/purchase';

/** The payment API and the part of purchase's this page reads, typed from their OpenAPI documents (`npm run contracts`). */
const paymentApi = createApiClient<PaymentPaths>();
const purchaseApi = createApiClient<PurchasePaths>();

export type PaymentView = PaymentSchemas['schemas']['Payment'];
export type PaymentStatus = PaymentView['status'];
export type PurchaseOrder = PurchaseSchemas['schemas']['Order'];

export const getPayment = (orderId: string, signal?: AbortSignal) =>
  answer(paymentApi.GET('/payment/api/orders/{id}', { params: { path: { id: orderId } }, signal }));

export const startCheckout = (orderId: string) =>
  answer(paymentApi.POST('/payment/api/orders/{id}/checkout', { params: { path: { id: orderId } } }));

/** Items are a nicety: without purchase's answer the page still shows the amount. */
export async function getPurchaseOrder(orderId: string): Promise<PurchaseOrder | null> {
  try {
    const order = await answer(purchaseApi.GET('/purchase/api/orders/{id}', { params: { path: { id: orderId } } }));
    return Array.isArray(order?.items) ? order : null;
  } catch (e) {
    if (isApiError(e)) return null;
    throw e;
  }
}
