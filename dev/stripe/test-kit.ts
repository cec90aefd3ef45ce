import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { startStripeStandIn, type StripeStandIn, type StripeStandInOptions } from './stand-in';

export const WEBHOOK_SECRET = 'whsec_test_standin_secret';

export interface ReceivedDelivery {
  rawBody: string;
  signature: string;
  event: Stripe.Event;
}

/**
 * A webhook endpoint as a real service writes one: raw body, `constructEvent` with the
 * secret, 400 when verification fails. `respond` lets a test make it fail on purpose, or
 * answer late (a promise of the status).
 */
export class WebhookReceiver {
  readonly deliveries: ReceivedDelivery[] = [];
  readonly rejected: string[] = [];
  respond: (event: Stripe.Event, attempt: number) => number | Promise<number> = () => 200;
  private readonly stripe = new Stripe('sk_test_receiver');
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const signature = String(req.headers['stripe-signature'] ?? '');
      let event: Stripe.Event;
      try {
        event = this.stripe.webhooks.constructEvent(rawBody, signature, WEBHOOK_SECRET);
      } catch (err) {
        this.rejected.push((err as Error).message);
        res.writeHead(400).end();
        return;
      }
      this.deliveries.push({ rawBody, signature, event });
      const attempt = this.deliveries.filter((d) => d.event.id === event.id).length;
      void Promise.resolve(this.respond(event, attempt)).then((status) => {
        res.writeHead(status).end();
        this.notify();
      });
    });
  });
  private waiters: (() => void)[] = [];

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhooks/stripe`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  types(): string[] {
    return this.deliveries.map((d) => d.event.type);
  }

  /** Waits until a verified delivery matching `match` has arrived (and been answered). */
  async waitFor(match: (e: Stripe.Event) => boolean, timeoutMs = 10_000): Promise<Stripe.Event> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.deliveries.find((d) => match(d.event));
      if (found) return found.event;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no matching webhook within ${timeoutMs} ms; got: ${this.types().join(', ')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async waitForType(type: string, objectId?: string): Promise<Stripe.Event> {
    return this.waitFor(
      (e) => e.type === type && (objectId === undefined || (e.data.object as { id: string }).id === objectId),
    );
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

export interface Harness {
  standIn: StripeStandIn;
  stripe: Stripe;
  receiver: WebhookReceiver;
  close(): Promise<void>;
}

export async function startHarness(extra: Partial<StripeStandInOptions> = {}): Promise<Harness> {
  const receiver = new WebhookReceiver();
  const webhookUrl = await receiver.start();
  const standIn = await startStripeStandIn({
    port: 0,
    webhookUrl,
    webhookSecret: WEBHOOK_SECRET,
    webhookRetry: { initialDelayMs: 20, maxAttempts: 4 },
    ...extra,
  });
  const stripe = new Stripe('sk_test_standin', { host: '127.0.0.1', port: standIn.port, protocol: 'http' });
  const harness: Harness = {
    standIn,
    stripe,
    receiver,
    // Reads the field, not the local: a test may swap in a restarted stand-in.
    async close() {
      await harness.standIn.stop();
      await receiver.stop();
    },
  };
  return harness;
}

export function sessionParams(
  overrides: Partial<Stripe.Checkout.SessionCreateParams> = {},
): Stripe.Checkout.SessionCreateParams {
  return {
    mode: 'payment',
    line_items: [
      {
        price_data: { currency: 'eur', unit_amount: 4500, product_data: { name: 'Standing ticket' } },
        quantity: 2,
      },
      {
        price_data: { currency: 'eur', unit_amount: 250, product_data: { name: 'Booking fee' } },
        quantity: 1,
      },
    ],
    payment_intent_data: { capture_method: 'manual', metadata: { orderId: 'order-1' } },
    metadata: { orderId: 'order-1' },
    client_reference_id: 'order-1',
    customer_email: 'fan@example.com',
    success_url: 'http://shop.test/purchase/done?session={CHECKOUT_SESSION_ID}',
    cancel_url: 'http://shop.test/purchase/cancelled',
    ...overrides,
  };
}

/** Submits the hosted page's form as a browser would, without following the redirect. */
export async function submitCheckout(
  sessionUrl: string,
  fields: {
    card_number?: string;
    cardholder_name?: string;
    expiry?: string;
    cvc?: string;
    action: 'pay' | 'cancel';
  },
): Promise<{ status: number; location: string | null; html: string }> {
  const body = new URLSearchParams({ card_number: '', expiry: '12/34', cvc: '123', ...fields });
  const res = await fetch(sessionUrl, { method: 'POST', body, redirect: 'manual' });
  return { status: res.status, location: res.headers.get('location'), html: await res.text() };
}
