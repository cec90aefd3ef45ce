import { api, isApiError } from '@ticketslave/ui';

/** GET /payment/api/orders/:id, as the backend's PaymentView schema declares it. */
export type PaymentStatus =
  'pending' | 'authorized' | 'captured' | 'voided' | 'refunded' | 'expired' | 'failed';

export interface PaymentView {
  orderId: string;
  eventId: string;
  eventTitle: string | null;
  amountMinor: number;
  currency: string;
  status: PaymentStatus;
  expiresAt: string;
  checkoutUrl: string | null;
}

/** The part of purchase's order view the summary shows (GET /purchase/api/orders/:id). */
export interface PurchaseOrderItem {
  unitId: string;
  categoryId: string;
  section: string | null;
  row: string | null;
  seat: number | null;
  priceMinor: number;
}
export interface PurchaseOrder {
  eventTitle: string;
  items: PurchaseOrderItem[];
}

const orderPath = (orderId: string) => `/payment/api/orders/${encodeURIComponent(orderId)}`;

export const getPayment = (orderId: string, signal?: AbortSignal) =>
  api<PaymentView>(orderPath(orderId), { signal });

export const startCheckout = (orderId: string) =>
  api<{ url: string }>(`${orderPath(orderId)}/checkout`, { method: 'POST', body: {} });

/** Items are a nicety: without purchase's answer the page still shows the amount. */
export async function getPurchaseOrder(orderId: string): Promise<PurchaseOrder | null> {
  try {
    const order = await api<PurchaseOrder>(`/purchase/api/orders/${encodeURIComponent(orderId)}`);
    return Array.isArray(order?.items) ? order : null;
  } catch (e) {
    if (isApiError(e)) return null;
    throw e;
  }
}
