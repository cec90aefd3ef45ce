import { ApiRouter } from '@ticketslave/common';
import { registerAccountRoutes, type AccountRouteDeps } from './account-routes';
import { registerEventRoutes, type EventRouteDeps } from './event-routes';
import { registerOrganisationRoutes, type OrganisationRouteDeps } from './organisation-routes';

export interface FeedApiDeps {
  accounts: AccountRouteDeps;
  organisations: OrganisationRouteDeps;
  events: EventRouteDeps;
}

/** Every route of feed's JSON API: start.ts serves it; its OpenAPI document types the frontends' client. */
export function feedApi(d: FeedApiDeps): ApiRouter {
  const api = new ApiRouter();
  registerAccountRoutes(api, d.accounts);
  registerOrganisationRoutes(api, d.organisations);
  registerEventRoutes(api, d.events);
  return api;
}
