import { ApiRouter } from '@ticketslave/common';
import { registerBufferRoutes, type BufferRouteDeps } from './buffer-routes';

/** Every route of buffer's JSON API: start.ts serves it; its OpenAPI document types the frontend's client. */
export function bufferApi(d: BufferRouteDeps): ApiRouter {
  const api = new ApiRouter();
  registerBufferRoutes(api, d);
  return api;
}
