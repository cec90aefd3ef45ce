import path from 'node:path';
import client from 'prom-client';
import { DEAD_LETTER_GAUGE, deadLetterGauge, DLQ_LOG_MESSAGES, requiredVariables } from '@ticketslave/common';
import {
  beaconChainHash,
  configSchema as bufferConfigSchema,
  type BufferConfig,
} from '../../../buffer-service/buffer-backend/src/config';
import { FAIRNESS_KEY_PREFIX } from '../../../buffer-service/buffer-backend/src/data/s3-fairness-store';
import { POSTER_KEY_PREFIX } from '../../../feed-service/feed-backend/src/adapters/poster-store';
import { REPO_ROOT, SERVICES } from './hcl';

/**
 * What the code says the deployment must provide, read from the code itself (not copied into a
 * test): each service's variables required in production, from its config schema; the key prefix
 * feed writes posters under. `terraform test` (deployment/tests/*.tftest.hcl) gets them as
 * `var.facts`, so a new required variable or a moved prefix fails the plan's checks.
 */
export interface CodeFacts {
  required_env: Record<string, string[]>;
  poster_key_prefix: string;
  /** The key prefix buffer writes fairness documents under. */
  fairness_key_prefix: string;
  /** The `msg` of the log lines a service writes for a dead-lettered message (the DLQ alarms count them). */
  dlq_log_messages: string[];
  /** The gauge of dead letters waiting per `<topic>.dlq` (the depth alarm queries it). */
  dead_letters_metric: string;
  /** The names on every service's /metrics that are there whatever the traffic (the agent's declarations pick from them). */
  prometheus_metrics: string[];
  /** The beacon chain the buffer expects by default: drand quicknet's URL and chain hash. */
  beacon: { url: string; chain_hash: string };
  /** Rules per security group and direction (AWS's default quota). */
  sg_rule_quota: number;
}

export async function codeFacts(): Promise<CodeFacts> {
  const required_env: Record<string, string[]> = {};
  for (const svc of SERVICES) {
    const file = path.join(REPO_ROOT, `${svc}-service`, `${svc}-backend`, 'src', 'config.ts');
    const mod = (await import(file)) as { configSchema: { shape: Parameters<typeof requiredVariables>[0] } };
    required_env[svc] = requiredVariables(mod.configSchema.shape, 'production').sort();
  }
  return {
    required_env,
    poster_key_prefix: POSTER_KEY_PREFIX,
    fairness_key_prefix: FAIRNESS_KEY_PREFIX,
    dlq_log_messages: Object.values(DLQ_LOG_MESSAGES).sort(),
    dead_letters_metric: DEAD_LETTER_GAUGE,
    prometheus_metrics: baseMetricNames(),
    beacon: defaultBeacon(),
    sg_rule_quota: 60,
  };
}

/** The registry every service starts with (libs/common service.ts): process metrics and the dead-letter gauge. */
function baseMetricNames(): string[] {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'ts_' });
  deadLetterGauge({ registry, topics: [], read: () => Promise.resolve({}) });
  return registry
    .getMetricsAsArray()
    .map((m) => m.name)
    .sort();
}

/** The beacon the buffer uses when BEACON_URL is left unset, and the chain hash it pins for it. */
function defaultBeacon(): CodeFacts['beacon'] {
  const url = bufferConfigSchema.shape.BEACON_URL.parse(undefined);
  const chain_hash = beaconChainHash({ BEACON_URL: url } as BufferConfig);
  if (!chain_hash) throw new Error(`buffer pins no chain for its default beacon ${url}`);
  return { url, chain_hash };
}
