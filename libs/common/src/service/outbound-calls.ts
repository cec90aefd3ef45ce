import client from 'prom-client';

/** Times one call to a system outside ours, by operation. */
export type TimeCall = <T>(operation: string, fn: () => Promise<T>) => Promise<T>;

/**
 * `ts_outbound_call_seconds{system, operation, outcome}` on the service's /metrics: how long
 * each call to an outside system took (Stripe's capture, …), successful or not. An on-sale's
 * money path waits on these (issue 21); docs/operations.md "What to watch" names the alarm.
 */
export function outboundCallTimer(registry: client.Registry, system: string): TimeCall {
  const name = 'ts_outbound_call_seconds';
  const histogram =
    (registry.getSingleMetric(name) as client.Histogram<'system' | 'operation' | 'outcome'> | undefined) ??
    new client.Histogram({
      name,
      help: 'Time of one call to an outside system (Stripe, …), by system, operation and outcome',
      labelNames: ['system', 'operation', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
  return async (operation, fn) => {
    const end = histogram.startTimer({ system, operation });
    try {
      const result = await fn();
      end({ outcome: 'ok' });
      return result;
    } catch (err) {
      end({ outcome: 'error' });
      throw err;
    }
  };
}
