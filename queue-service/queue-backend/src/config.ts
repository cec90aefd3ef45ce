import {
  baseConfigShape,
  requiredInProduction,
  jsonEnv,
  loadConfig,
  PrivateJwkSet,
} from '@ticketslave/common';
import { z } from 'zod';
import { DEFAULT_TICK_MS } from './data/admitter-tick';

export const configSchema = z.object({
  ...baseConfigShape,
  PORT: z.coerce.number().int().min(0).max(65535).default(8083),
  /** Ed25519 JWK set signing admission tokens. */
  QUEUE_SIGNING_JWKS: jsonEnv(PrivateJwkSet),
  BUFFER_JWKS_URL: requiredInProduction(
    z.url().default('http://127.0.0.1:8082/buffer/.well-known/jwks.json'),
  ),
  /** How often each instance tries to advance each event's queue. */
  QUEUE_TICK_MS: z.coerce.number().int().min(20).max(10_000).default(DEFAULT_TICK_MS),
  /** A present fan always gets at least this long to claim a turn, even with a zero away-grace. */
  QUEUE_MIN_CLAIM_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  /**
   * "E-mail me when I'm nearly there" (issue 20.8): a fan who opted in is mailed once when at
   * most admitRatePerMinute × this many seconds of fans are ahead (at least 1). The rate is the
   * queue's ceiling, so the mail comes at least this long before the turn (longer when the
   * shopping slots, a pause or carts hold the queue back).
   */
  QUEUE_NEAR_TURN_LEAD_SECONDS: z.coerce.number().int().min(1).max(3600).default(300),
  /** How often an instance refreshes the presence of the sockets it holds (well under the 15 s staleness). */
  QUEUE_PRESENCE_HEARTBEAT_MS: z.coerce.number().int().min(100).max(10_000).default(5000),
  /**
   * In AWS: the `Service` dimension under which this instance's open WebSockets are published as
   * CloudWatch EMF log lines (WebSocketConnections), the metric the queue's autoscaling tracks.
   * Unset: no such lines.
   */
  CLOUDWATCH_METRICS_SERVICE: z.string().min(1).optional(),
  CLOUDWATCH_METRICS_NAMESPACE: z.string().min(1).default('TicketSlave'),
});
export type QueueConfig = z.infer<typeof configSchema>;

export const loadQueueConfig = (env: Record<string, string | undefined> = process.env): QueueConfig =>
  loadConfig('queue', configSchema.shape, env);
