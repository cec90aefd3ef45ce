import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { startStripeStandIn } from '@ticketslave/dev/stripe';
import {
  createTestDatabase,
  createTestKafka,
  serviceTestEnv,
  sleep,
  startTestIdentity,
  testSigningKeys,
} from '@ticketslave/dev/test-support';
import { loadPaymentConfig } from '../../payment-service/payment-backend/src/config';
import { startPaymentService } from '../../payment-service/payment-backend/src/start';
import { loadPurchaseConfig } from '../../purchase-service/purchase-backend/src/config';
import { startPurchaseService } from '../../purchase-service/purchase-backend/src/start';
import { eventSnapshot, percentile, publishEvent, settingUp, Teardown } from './lib';

const WEBHOOK_SECRET = 'whsec_bench_purchase';

export interface MoneyResult {
  orders: number;
  completed: number;
  /** From just before `pay()` (which queues checkout.session.completed) until GET /tickets lists them. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** From the stand-in's recorded delivery (payment answered 2xx) until the tickets were listed. */
  ackToTicketP50Ms: number;
  ackToTicketP99Ms: number;
}

/**
 * Part 2: the real money flow over Kafka — purchase, payment and the Stripe stand-in
 * (signed webhooks over HTTP). For each order: hold → checkout → pay, then poll
 * `GET /purchase/api/tickets` as the fan until the order's tickets are there.
 * checkout.session.completed → payment.authorized → purchase confirms → order.completed
 * → payment captures → payment.captured → purchase issues the tickets.
 */
export async function runMoneyFlow(o: {
  orders: number;
  pollMs: number;
  log: (line: string) => void;
}): Promise<MoneyResult> {
  const td = new Teardown();
  try {
    const purchaseDb = td.add(await createTestDatabase('benchmoneypur'), (d) => d.drop());
    const paymentDb = td.add(await createTestDatabase('benchmoneypay'), (d) => d.drop());
    const kafka = td.add(await settingUp(() => createTestKafka('benchmoney')), (k) => k.cleanup());
    const identity = td.add(await startTestIdentity(), (i) => i.stop());
    const ticketKeys = JSON.stringify(await testSigningKeys('bench-ticket'));
    const standIn = td.add(
      await startStripeStandIn({
        port: 0,
        webhookSecret: WEBHOOK_SECRET,
        webhookRetry: { initialDelayMs: 50, maxAttempts: 5 },
      }),
      (x) => x.stop(),
    );
    const purchase = td.add(
      await settingUp(() =>
        startPurchaseService(
          loadPurchaseConfig(
            serviceTestEnv('purchase', purchaseDb, kafka, {
              FEED_JWKS_URL: identity.feed.jwksUrl,
              QUEUE_JWKS_URL: identity.queue.jwksUrl,
              TICKET_SIGNING_JWKS: ticketKeys,
              // Every order pays with Stripe's one test card (one fingerprint): the per-card
              // limit (issue 17.8) would cancel all but the first, as it should for fans.
              CARD_LIMIT_PER_EVENT: 'false',
            }),
          ),
          { port: 0 },
        ),
      ),
      (x) => x.stop(),
    );
    const payment = td.add(
      await settingUp(() =>
        startPaymentService(
          loadPaymentConfig(
            serviceTestEnv('payment', paymentDb, kafka, {
              FEED_JWKS_URL: identity.feed.jwksUrl,
              STRIPE_SECRET_KEY: 'sk_test_bench',
              STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
              STRIPE_API_HOST: '127.0.0.1',
              STRIPE_API_PORT: String(standIn.port),
              STRIPE_API_PROTOCOL: 'http',
            }),
          ),
          { port: 0 },
        ),
      ),
      (x) => x.stop(),
    );
    await standIn.setWebhookUrl(`${payment.url}/payment/api/stripe/webhook`);
    {
      const eventId = randomUUID();
      const rows = Math.max(1, Math.ceil(((o.orders + 1) * 2) / 20));
      await publishEvent(kafka, eventSnapshot(eventId, { sections: ['Main'], rows, seatsPerRow: 20 }));
      const deadline = Date.now() + 60_000;
      for (;;) {
        const [p] = await purchase.kit.ds.query<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM events WHERE event_id = $1`,
          [eventId],
        );
        const [q] = await payment.kit.ds.query<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM events WHERE event_id = $1`,
          [eventId],
        );
        if (p!.n && q!.n) break;
        if (Date.now() > deadline) throw new Error('event.published did not reach purchase and payment');
        await sleep(200);
      }

      const json = async (res: Response) => {
        const text = await res.text();
        return (text ? JSON.parse(text) : {}) as Record<string, unknown>;
      };
      const samples: number[] = [];
      const ackSamples: number[] = [];
      // Order 0 warms the path up (consumer groups settling on the shared broker): not counted.
      for (let i = 0; i <= o.orders; i++) {
        const user = `money-fan-${i}`;
        const session = await identity.sessionCookie({ id: user });
        const cookie = `${session}; ${await identity.admissionCookie(user, eventId, randomUUID())}`;
        const seats = [1, 2].map((k) => `seats/Main/${1 + Math.floor(i / 10)}/${(i % 10) * 2 + k}`);
        const hold = await fetch(`${purchase.url}/purchase/api/events/${eventId}/holds`, {
          method: 'POST',
          headers: { cookie, 'content-type': 'application/json' },
          body: JSON.stringify({ seats }),
        });
        const order = await json(hold);
        if (hold.status !== 201) throw new Error(`hold answered ${hold.status}: ${JSON.stringify(order)}`);
        const orderId = order.orderId as string;

        // payment learns the order from order.created (purchase's outbox → Kafka).
        let sessionId = '';
        for (const until = Date.now() + 60_000; ;) {
          const res = await fetch(`${payment.url}/payment/api/orders/${orderId}/checkout`, {
            method: 'POST',
            headers: { cookie: session },
          });
          if (res.status === 200) {
            sessionId = ((await json(res)).url as string).split('/').pop()!;
            break;
          }
          await res.body?.cancel();
          if (Date.now() > until) throw new Error(`checkout for ${orderId} answered ${res.status}`);
          await sleep(50);
        }

        const t0 = performance.now();
        await standIn.pay(sessionId); // queues checkout.session.completed; delivery starts at once
        let seenWall = 0;
        for (const until = t0 + 30_000; ;) {
          const res = await fetch(`${purchase.url}/purchase/api/tickets`, { headers: { cookie: session } });
          const { tickets } = (await json(res)) as { tickets?: { orderId: string }[] };
          if ((tickets ?? []).filter((t) => t.orderId === orderId).length === seats.length) {
            seenWall = Date.now();
            if (i > 0) samples.push(performance.now() - t0);
            break;
          }
          if (performance.now() > until) throw new Error(`no tickets for ${orderId} within 30 s`);
          await sleep(o.pollMs);
        }
        const delivered = (await standIn.state()).events.find(
          (r) =>
            r.event.type === 'checkout.session.completed' &&
            (r.event.data.object as { id: string }).id === sessionId,
        )?.delivery.deliveredAt;
        if (delivered && i > 0) ackSamples.push(seenWall - delivered);
        if (i % 10 === 0) o.log(`money flow: ${i}/${o.orders} orders ticketed`);
      }
      samples.sort((a, b) => a - b);
      ackSamples.sort((a, b) => a - b);
      return {
        orders: o.orders,
        completed: samples.length,
        p50Ms: percentile(samples, 50),
        p99Ms: percentile(samples, 99),
        maxMs: samples[samples.length - 1] ?? NaN,
        ackToTicketP50Ms: percentile(ackSamples, 50),
        ackToTicketP99Ms: percentile(ackSamples, 99),
      };
    }
  } finally {
    await td.run();
  }
}
