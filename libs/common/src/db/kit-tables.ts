import { SPENT_CHALLENGES_SQL } from '../http/proof-of-work';
import { RATE_LIMITS_SQL } from './rate-limit-store';

/**
 * Tables every service gets from the kit, created before the service's migrations.
 * Written to be re-run safely (IF NOT EXISTS) under the migration lock.
 */
export const KIT_TABLES_SQL = `
CREATE TABLE IF NOT EXISTS outbox (
  seq        bigserial PRIMARY KEY,
  topic      text NOT NULL,
  msg_key    text NOT NULL,
  envelope   jsonb NOT NULL,
  headers    jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS processed_messages (
  consumer     text NOT NULL,
  message_id   uuid NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, message_id)
);
${RATE_LIMITS_SQL}${SPENT_CHALLENGES_SQL}`;
