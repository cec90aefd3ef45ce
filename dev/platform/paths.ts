import path from 'node:path';
import { STANDIN_PORTS } from '../standins';
import { SERVICE_NAMES, type ServiceName } from './service-names';

export { SERVICE_NAMES, type ServiceName };

export const REPO_ROOT = path.resolve(__dirname, '../..');
export const LOCAL = path.join(REPO_ROOT, '.local');
export const SERVICE_PORTS: Record<ServiceName, number> = {
  feed: 8081,
  buffer: 8082,
  queue: 8083,
  purchase: 8084,
  payment: 8085,
};
export const GATEWAY_PORT = 8080;
export const KAFKA_PORTS = { port: 9092, controllerPort: 9093 };
export const STRIPE_PORT = 12111;
export const backendDir = (svc: ServiceName) => path.join(REPO_ROOT, `${svc}-service`, `${svc}-backend`);
export const frontendDir = (svc: ServiceName) => path.join(REPO_ROOT, `${svc}-service`, `${svc}-frontend`);

/** Every port one platform listens on (Kafka and PostgreSQL aside). */
export interface PlatformPorts {
  gateway: number;
  services: Record<ServiceName, number>;
  standins: { s3: number; smtp: number; inbox: number; oidc: number; beacon: number };
  stripe: number;
}

/** `npm start`'s fixed ports (the README's table of services). */
export const DEV_PORTS: PlatformPorts = {
  gateway: GATEWAY_PORT,
  services: { ...SERVICE_PORTS },
  standins: { ...STANDIN_PORTS },
  stripe: STRIPE_PORT,
};

/** How many consecutive ports `portsFromBase` uses. */
export const PORT_BLOCK_SIZE = 12;

/**
 * A block of consecutive ports starting at `base`: gateway, the five services in
 * SERVICE_NAMES order, then s3, smtp, inbox, oidc, beacon and Stripe.
 */
export function portsFromBase(base: number): PlatformPorts {
  const services = Object.fromEntries(SERVICE_NAMES.map((s, i) => [s, base + 1 + i])) as Record<
    ServiceName,
    number
  >;
  return {
    gateway: base,
    services,
    standins: { s3: base + 6, smtp: base + 7, inbox: base + 8, oidc: base + 9, beacon: base + 10 },
    stripe: base + 11,
  };
}
