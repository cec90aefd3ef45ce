export { startGateway, matchRoute, PLATFORM_ROUTES, type Gateway, type GatewayOptions } from './gateway';
