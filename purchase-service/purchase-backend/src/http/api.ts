import { ApiRouter } from '@ticketslave/common';
import { registerCheckinRoutes, type CheckinRouteDeps } from './checkin-routes';
import { registerOrganiserRoutes, type OrganiserRouteDeps } from './organiser-routes';
import { registerRoutes, type RouteDeps } from './routes';

export interface PurchaseApiDeps {
  fans: RouteDeps;
  organisers: OrganiserRouteDeps;
  door: CheckinRouteDeps;
}

/** Every route of purchase's JSON API: start.ts serves it; its OpenAPI document types the frontend's client. */
export function purchaseApi(d: PurchaseApiDeps): ApiRouter {
  const api = new ApiRouter();
  registerRoutes(api, d.fans);
  registerOrganiserRoutes(api, d.organisers);
  registerCheckinRoutes(api, d.door);
  return api;
}
