import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { nowSeconds, type EventRecord, type StripeEvent } from './store';

/** `Stripe-Signature` exactly as Stripe builds it: HMAC-SHA256 over `${t}.${rawBody}`, hex. */
export function signatureHeader(payload: string, secret: string, timestamp = nowSeconds()): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

/** Stripe sends events pretty-printed; receivers must verify the exact bytes, so we do too. */
export function eventPayload(event: StripeEvent): string {
  return JSON.stringify(event, null, 2);
}

export interface RetryPolicy {
  /** Delay before the second attempt; doubles after each failure. Stripe itself waits hours, dev waits seconds. */
  initialDelayMs: number;
  maxAttempts: number;
  /** How long one attempt may take before it counts as failed (Stripe's own limit is comparable). */
  timeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { initialDelayMs: 1000, maxAttempts: 8, timeoutMs: 10_000 };

type AttemptResult = { ok: true } | { ok: false; error: string };

/**
 * Delivers events off the request path: the API answers first, then the event is POSTed.
 * Events sharing an order key go one after another, so a receiver never sees a payment
 * intent captured before its checkout completed, even while the first is being retried.
 */
export class WebhookDispatcher {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly target: () => string | undefined,
    private readonly secret: string,
    private readonly policy: RetryPolicy,
    private readonly changed: () => void,
    private readonly log: (line: string) => void,
  ) {}

  enqueue(record: EventRecord): void {
    const key = record.orderKey;
    const next = (this.chains.get(key) ?? Promise.resolve()).then(() => this.deliverWithRetries(record));
    this.chains.set(key, next);
    void next.finally(() => {
      if (this.chains.get(key) === next) this.chains.delete(key);
    });
  }

  /** One extra delivery of an already-sent event, as the Dashboard's "Resend" does. */
  async resend(record: EventRecord): Promise<void> {
    const result = await this.attempt(record.event);
    record.delivery.attempts += 1;
    if (!result.ok) {
      record.delivery.lastError = result.error;
      this.changed();
      throw new Error(`Redelivery of ${record.event.id} failed: ${result.error}`);
    }
    record.delivery.status = 'delivered';
    record.delivery.deliveredAt = Date.now();
    this.changed();
  }

  /** Resolves once every queued delivery has succeeded or given up; for tests and shutdown. */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.allSettled([...this.chains.values()]);
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.idle();
  }

  private async deliverWithRetries(record: EventRecord): Promise<void> {
    while (!this.stopping.signal.aborted) {
      if (this.target() === undefined) {
        record.delivery.status = 'no_endpoint';
        this.changed();
        return;
      }
      record.delivery.firstSentAt ??= Date.now();
      const result = await this.attempt(record.event);
      record.delivery.attempts += 1;
      if (result.ok) {
        record.delivery.status = 'delivered';
        record.delivery.deliveredAt = Date.now();
        record.delivery.lastError = null;
        this.changed();
        return;
      }
      record.delivery.lastError = result.error;
      this.log(
        `webhook ${record.event.type} ${record.event.id}: attempt ${record.delivery.attempts} failed (${result.error})`,
      );
      if (record.delivery.attempts >= this.policy.maxAttempts) {
        record.delivery.status = 'failed';
        this.changed();
        return;
      }
      this.changed();
      const delay = this.policy.initialDelayMs * 2 ** (record.delivery.attempts - 1);
      try {
        await sleep(delay, undefined, { signal: this.stopping.signal });
      } catch {
        return; // stopping; the event stays pending and is resumed from the data file
      }
    }
  }

  private attempt(event: StripeEvent): Promise<AttemptResult> {
    const url = this.target();
    if (url === undefined) return Promise.resolve({ ok: false, error: 'no webhook endpoint configured' });
    const payload = eventPayload(event);
    const headers = {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(payload)),
      'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
      'stripe-signature': signatureHeader(payload, this.secret),
      connection: 'close',
    };
    return new Promise((resolve) => {
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        resolve({ ok: false, error: `invalid webhook URL ${url}` });
        return;
      }
      const client = target.protocol === 'https:' ? https : http;
      const req = client.request(
        target,
        { method: 'POST', headers, timeout: this.policy.timeoutMs, signal: this.stopping.signal },
        (res) => {
          res.resume();
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            resolve(status >= 200 && status < 300 ? { ok: true } : { ok: false, error: `HTTP ${status}` });
          });
          res.on('error', (err) => resolve({ ok: false, error: err.message }));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`timed out after ${this.policy.timeoutMs} ms`)));
      req.on('error', (err) => resolve({ ok: false, error: err.message }));
      req.end(payload);
    });
  }
}
