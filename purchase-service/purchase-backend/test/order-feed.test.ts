import type { RunningService } from '@ticketslave/common';
import WebSocket from 'ws';
import { eventually } from '@ticketslave/dev/test-support';
import { call, seat, snapshot, startHarness, type Harness } from './harness';

/**
 * The order feed (`/purchase/ws/orders?order=<id>`, issue 21): the payment page is told the
 * moment purchase commits the tickets, whichever instance committed them.
 */
let h: Harness;
let other: RunningService;
const snap = snapshot();
const E = snap.eventId;
const ORIGIN = 'http://localhost:8080';

beforeAll(async () => {
  h = await startHarness('orderfeed');
  other = await h.startAnother();
  await h.publishEvent(snap);
}, 60_000);
afterAll(async () => {
  await other?.stop();
  await h?.stop();
});

interface OrderMessage {
  type: string;
  orderId: string;
  status: string;
  reason: string | null;
}

function follow(base: string, orderId: string, cookie?: string) {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/purchase/ws/orders?order=${orderId}`, {
    origin: ORIGIN,
    headers: cookie ? { cookie } : {},
  });
  const messages: OrderMessage[] = [];
  ws.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString()) as OrderMessage));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return { ws, messages, closed };
}

const hold = async (user: string, seats: string[]) => {
  const cookie = await h.fan(user, E);
  const r = await call(h, 'POST', `/events/${E}/holds`, cookie, { seats });
  expect(r.status).toBe(201);
  return { ...(r.body as { orderId: string; amountMinor: number }), cookie };
};
const authorized = (orderId: string, amountMinor: number) =>
  h.publish('payment.authorized', {
    orderId,
    eventId: E,
    paymentIntentId: `pi_${orderId.slice(0, 8)}`,
    amountMinor,
    currency: 'EUR',
  });

describe('WebSocket /purchase/ws/orders', () => {
  it('pushes the confirmation (tickets issued) to sockets on both instances as soon as it commits', async () => {
    const o = await hold('u-feed', [seat('C', 1)]);
    const here = follow(h.svc.url, o.orderId, o.cookie);
    const there = follow(other.url, o.orderId, o.cookie);
    for (const s of [here, there])
      await eventually(() => s.messages.length > 0, { message: 'no greeting with the order state' });
    expect(here.messages[0]).toEqual({
      type: 'order',
      orderId: o.orderId,
      status: 'pending_payment',
      reason: null,
    });
    expect(there.messages[0]).toEqual(here.messages[0]);

    await authorized(o.orderId, o.amountMinor);
    for (const s of [here, there])
      await eventually(() => s.messages.some((m) => m.status === 'confirmed'), {
        timeoutMs: 15_000,
        message: 'the confirmation was not pushed',
      });
    const [row] = await h.sql<{ status: string }>('SELECT status FROM orders WHERE order_id = $1', [
      o.orderId,
    ]);
    expect(row?.status).toBe('confirmed');
    const tickets = await call(h, 'GET', '/tickets', o.cookie);
    expect((tickets.body.tickets as { orderId: string }[]).some((t) => t.orderId === o.orderId)).toBe(true);
    // Told once per change: the greeting, then the confirmation.
    expect(here.messages.map((m) => m.status)).toEqual(['pending_payment', 'confirmed']);
    here.ws.close();
    there.ws.close();
  });

  it('pushes a cancellation with its reason (seats taken while the payment was on its way)', async () => {
    const o = await hold('u-feed-late', [seat('C', 2)]);
    const s = follow(h.svc.url, o.orderId, o.cookie);
    await eventually(() => s.messages.length > 0);
    // The hold lapsed (as the sweeper leaves it) and another fan took the seat: the late
    // authorization cannot secure it.
    await h.sql(`UPDATE orders SET status = 'expired' WHERE order_id = $1`, [o.orderId]);
    await h.sql(
      `UPDATE units SET status = 'available', order_id = NULL WHERE event_id = $1 AND unit_id = $2`,
      [E, seat('C', 2)],
    );
    await hold('u-feed-taker', [seat('C', 2)]);
    await authorized(o.orderId, o.amountMinor);
    await eventually(() => s.messages.some((m) => m.status === 'cancelled'), { timeoutMs: 15_000 });
    expect(s.messages.at(-1)).toMatchObject({ status: 'cancelled', reason: 'seats_unavailable' });
    s.ws.close();
  });

  it('refuses a socket without a session (4401), without an order id (4403) and on another fan’s order (4404)', async () => {
    const o = await hold('u-feed-owner', [seat('C', 3)]);
    const anonymous = follow(h.svc.url, o.orderId);
    expect((await anonymous.closed).code).toBe(4401);
    const noOrder = follow(h.svc.url, 'not-an-order', o.cookie);
    expect((await noOrder.closed).code).toBe(4403);
    const stranger = follow(h.svc.url, o.orderId, await h.fan('u-feed-stranger', E));
    const refused = await stranger.closed;
    expect(refused.code).toBe(4404);
    expect(refused.reason).toMatch(/No such order/);
    for (const s of [anonymous, noOrder, stranger]) expect(s.messages).toEqual([]);
  });
});
