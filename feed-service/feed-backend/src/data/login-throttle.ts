import type { RateLimitStore, RateRule } from '@ticketslave/common';
import type { LoginClient, LoginThrottle } from '../domain/account-ports';

/** One client at one address: five tries, then one a minute (the old lock, for that client only). */
const PER_ADDRESS_AND_CLIENT: RateRule = { name: 'login-fail-pair', capacity: 5, refillPerSecond: 1 / 60 };
/**
 * One client across addresses (credential stuffing). Generous, because a venue's Wi-Fi or a
 * carrier NAT is one client to us: 50 failures at once, then one every 10 s.
 */
const PER_CLIENT: RateRule = { name: 'login-fail-client', capacity: 50, refillPerSecond: 0.1 };
/**
 * One address from clients it does not know (a distributed guess): 20 failures, then one
 * every 30 s — a slowdown for strangers, never a lock for the owner's known devices.
 */
const PER_ADDRESS: RateRule = { name: 'login-fail-address', capacity: 20, refillPerSecond: 1 / 30 };

/** Failed-login throttles in the service's shared rate-limit store (every instance sees them). */
export class SharedLoginThrottle implements LoginThrottle {
  constructor(private readonly store: RateLimitStore) {}

  private checks(email: string, client: LoginClient, knownClient: boolean) {
    return [
      { rule: PER_ADDRESS_AND_CLIENT, key: `${email}|${client.ip}` },
      { rule: PER_CLIENT, key: client.ip },
      ...(knownClient ? [] : [{ rule: PER_ADDRESS, key: email }]),
    ];
  }

  wait(email: string, client: LoginClient, knownClient: boolean): Promise<number> {
    return this.store.wait(this.checks(email, client, knownClient));
  }

  async fail(email: string, client: LoginClient, knownClient: boolean): Promise<void> {
    await Promise.all(this.checks(email, client, knownClient).map((c) => this.store.take(c.rule, c.key)));
  }
}
