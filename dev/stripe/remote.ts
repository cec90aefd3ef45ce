import { CONTROL_PREFIX } from './control';
import type { StateQuery, StripeStandIn, StripeStandInSnapshot } from './stand-in';
import type { DisputeObject, RefundObject } from './store';

/**
 * The handle of a stand-in served elsewhere with `control: true`, driven over its control
 * API (dev/stripe/control.ts). `stop` ends what runs it (its process).
 */
export function remoteStripeStandIn(url: string, port: number, stop: () => Promise<void>): StripeStandIn {
  const call = async <T>(method: 'GET' | 'POST', route: string, body?: object): Promise<T> => {
    const res = await fetch(`${url}${CONTROL_PREFIX}${route}`, {
      method,
      ...(body ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
    });
    const payload = (await res.json()) as T & { error?: { message: string; code?: string } };
    if (!res.ok)
      throw Object.assign(new Error(payload.error?.message ?? `stand-in answered ${res.status}`), {
        ...(payload.error?.code ? { code: payload.error.code } : {}),
      });
    return payload;
  };
  const post = (route: string, body: object = {}) => call<unknown>('POST', route, body);
  return {
    url,
    port,
    stop,
    async setWebhookUrl(webhookUrl) {
      await post('webhook-url', { url: webhookUrl ?? null });
    },
    async pay(sessionId, card, cardholderName) {
      await post('pay', { sessionId, card, cardholderName });
    },
    refundFromDashboard: (paymentIntentId, amount) =>
      call<RefundObject>('POST', 'refund-from-dashboard', { paymentIntentId, amount }),
    dispute: (paymentIntentId, o = {}) =>
      call<DisputeObject>('POST', 'dispute', { paymentIntentId, reason: o.reason, amount: o.amount }),
    async replayEvent(eventId) {
      await post('replay', { eventId });
    },
    async webhooksIdle() {
      // Each request waits a bounded time (below any HTTP client's timeout); ask until idle.
      while (!(await call<{ idle: boolean }>('POST', 'webhooks-idle', {})).idle);
    },
    state(query: StateQuery = {}) {
      const params = new URLSearchParams();
      if (query.only) params.set('only', query.only.join(','));
      if (query.eventTypes) params.set('eventTypes', query.eventTypes.join(','));
      const qs = params.size ? `?${params.toString()}` : '';
      return call<StripeStandInSnapshot>('GET', `state${qs}`);
    },
    apiRequests: () => call<Record<string, number>>('GET', 'requests'),
    async setOutage(status) {
      await post('outage', { status });
    },
  };
}
