import { ApiRouter } from '@ticketslave/common';
import { registerOrderRoutes, type OrderRouteDeps } from './order-routes';

/** Every route of payment's JSON API: start.ts serves it; its OpenAPI document types the frontend's client. */
export function paymentApi(d: OrderRouteDeps): ApiRouter {
  const api = new ApiRouter();
  registerOrderRoutes(api, d);
  return api;
}
