import path from 'node:path';
import { requiredVariables } from '@ticketslave/common';
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
  return { required_env, poster_key_prefix: POSTER_KEY_PREFIX, sg_rule_quota: 60 };
}
