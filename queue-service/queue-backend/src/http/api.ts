import { ApiRouter } from '@ticketslave/common';
import { registerFanRoutes, type FanRouteDeps } from './fan-routes';
import { registerOrganiserRoutes, type OrganiserRouteDeps } from './organiser-routes';

export interface QueueApiDeps {
  fans: FanRouteDeps;
  organisers: OrganiserRouteDeps;
}

/** Every route of queue's JSON API: start.ts serves it; its OpenAPI document types the frontend's client. */
export function queueApi(d: QueueApiDeps): ApiRouter {
  const api = new ApiRouter();
  registerFanRoutes(api, d.fans);
  registerOrganiserRoutes(api, d.organisers);
  return api;
}
