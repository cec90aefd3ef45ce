import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../..');
export const LOCAL = path.join(REPO_ROOT, '.local');
export const SERVICE_NAMES = ['feed', 'buffer', 'queue', 'purchase', 'payment'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];
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
