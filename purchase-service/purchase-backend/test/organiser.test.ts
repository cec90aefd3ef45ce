import { randomUUID } from 'node:crypto';
import type { Envelope } from '@ticketslave/common';
import { eventually, readTopic, sleep } from '@ticketslave/dev/test-support';
import { startSmtp, waitForMail, type SmtpStandIn } from '@ticketslave/dev/standins/smtp';
import { call, seat, snapshot, startHarness, type Harness } from './harness';

let h: Harness;
let smtp: SmtpStandIn;
const ORG = randomUUID();
const OTHER_ORG = randomUUID();
const snap = snapshot({ organisationId: ORG, organiserId: 'u-owner', timeZone: 'Europe/Lisbon' });
const E = snap.eventId;
const otherSnap = snapshot({ organisationId: OTHER_ORG, organiserId: 'u-other' });

beforeAll(async () => {
  smtp = await startSmtp({ port: 0, httpPort: 0 });
  h = await startHarness('orgorders', { env: { SMTP_URL: smtp.url } });
  await organisation(ORG, 1, [
    { userId: 'u-owner', role: 'owner' },
    { userId: 'u-mgr', role: 'manager' },
    { userId: 'u-door', role: 'door' },
  ]);
  await organisation(OTHER_ORG, 1, [{ userId: 'u-other', role: 'owner' }]);
  await h.publishEvent(snap);
  await h.publishEvent(otherSnap);
}, 90_000);
afterAll(async () => {
  await h?.stop();
  await smtp?.stop();
});

async function organisation(
  id: string,
  version: number,
  members: { userId: string; role: 'owner' | 'manager' | 'door' }[],
  releaseSeatsOnExternalRefund = true,
) {
  await h.publish('organisation.updated', {
    organisationId: id,
    version,
    name: `Org ${id.slice(0, 4)}`,
    settings: { releaseSeatsOnExternalRefund },
    members,
  });
  await eventually(
    async () =>
      (
        await h.sql<{ v: number }>(`SELECT version AS v FROM organisations WHERE organisation_id = $1`, [id])
      )[0]?.v === version,
    { timeoutMs: 20_000, message: 'organisation.updated was not applied' },
  );
}

const as = (id: string) => h.identity.sessionCookie({ id, role: id === 'u-admin' ? 'admin' : 'organiser' });
const get = async (who: string, path: string) => call(h, 'GET', path, await as(who));
const post = async (who: string, path: string, body: unknown) => call(h, 'POST', path, await as(who), body);
const orderStatus = async (id: string) =>
  (
    await h.sql<{ status: string; refunded_minor: number }>(
      `SELECT status, refunded_minor FROM orders WHERE order_id = $1`,
      [id],
    )
  )[0]!;
const unitState = async (unitId: string, eventId = E) =>
  (
    await h.sql<{ status: string }>(`SELECT status FROM units WHERE event_id = $1 AND unit_id = $2`, [
      eventId,
      unitId,
    ])
  )[0]!.status;

/** A fan holds, pays (authorized, then captured) and gets tickets. */
async function paidOrder(user: string, units: string[], opts: { eventId?: string; name?: string } = {}) {
  const eventId = opts.eventId ?? E;
  const hold = await call(
    h,
    'POST',
    `/events/${eventId}/holds`,
    await h.fan(user, eventId),
    units[0]!.startsWith('standing') ? { categoryId: 'standing', quantity: units.length } : { seats: units },
  );
  expect(hold.status).toBe(201);
  const { orderId, amountMinor } = hold.body as { orderId: string; amountMinor: number };
  const pay = {
    orderId,
    eventId,
    paymentIntentId: `pi_${orderId.slice(0, 8)}`,
    amountMinor,
    currency: 'EUR',
  };
  await h.publish('payment.authorized', { ...pay, ...(opts.name ? { buyerName: opts.name } : {}) });
  await eventually(async () => (await orderStatus(orderId)).status === 'confirmed');
  await h.publish('payment.captured', pay);
  await eventually(async () => (await orderStatus(orderId)).status === 'paid');
  const tickets = await h.sql<{ ticket_id: string; unit_id: string }>(
    `SELECT ticket_id, unit_id FROM tickets WHERE order_id = $1 ORDER BY unit_id`,
    [orderId],
  );
  return { orderId, amountMinor, pay, tickets, email: `${user}@fans.test` };
}

/** refund.requested messages of an order. */
const requested = async (orderId: string, atLeast = 1) => {
  const mine = (ms: Envelope<'refund.requested'>[]) => ms.filter((m) => m.payload.orderId === orderId);
  return mine(
    await readTopic<Envelope<'refund.requested'>>(h.kafka.brokers, `${h.kafka.prefix}refund.requested`, {
      until: (ms) => mine(ms).length >= atLeast,
      timeoutMs: atLeast ? 15_000 : 1500,
    }),
  ).map((m) => m.payload);
};

describe('who may see and refund orders', () => {
  it('when another organisation asks for the event, its orders or one of them, answers 404', async () => {
    const o = await paidOrder('fan-x1', [seat('A', 1)]);
    for (const path of [
      `/organiser/events/${E}/orders`,
      `/organiser/events/${E}/attendees`,
      `/organiser/events/${E}/sales`,
      `/organiser/events/${E}/orders.csv`,
      `/organiser/orders/${o.orderId}`,
    ])
      expect((await get('u-other', path)).status).toBe(404);
    const refund = await post('u-other', `/organiser/orders/${o.orderId}/refunds`, { reason: 'not mine' });
    expect(refund.status).toBe(404);
    expect(await requested(o.orderId, 0)).toEqual([]);
  });

  it('when door staff call an order, export or refund route, answers 403 and nothing changes', async () => {
    const o = await paidOrder('fan-x2', [seat('A', 2)]);
    for (const path of [
      `/organiser/events/${E}/orders`,
      `/organiser/events/${E}/orders.csv`,
      `/organiser/events/${E}/attendees.csv`,
      `/organiser/orders/${o.orderId}`,
    ]) {
      const res = await get('u-door', path);
      expect(res.status).toBe(403);
      expect(String(res.body.type)).toMatch(/role_forbids$/);
    }
    expect(
      (await post('u-door', `/organiser/orders/${o.orderId}/refunds`, { reason: 'door says so' })).status,
    ).toBe(403);
    expect(await requested(o.orderId, 0)).toEqual([]);
    expect(await h.sql(`SELECT 1 FROM refunds WHERE order_id = $1`, [o.orderId])).toEqual([]);
  });

  it('follows the organisation: a member removed in feed loses access at the next organisation.updated', async () => {
    await organisation(ORG, 2, [
      { userId: 'u-owner', role: 'owner' },
      { userId: 'u-mgr', role: 'manager' },
      { userId: 'u-door', role: 'door' },
      { userId: 'u-temp', role: 'manager' },
    ]);
    expect((await get('u-temp', `/organiser/events/${E}/sales`)).status).toBe(200);
    await organisation(ORG, 3, [
      { userId: 'u-owner', role: 'owner' },
      { userId: 'u-mgr', role: 'manager' },
      { userId: 'u-door', role: 'door' },
    ]);
    expect((await get('u-temp', `/organiser/events/${E}/sales`)).status).toBe(404);
    // A stale snapshot (older version) changes nothing.
    await h.publish('organisation.updated', {
      organisationId: ORG,
      version: 2,
      name: 'stale',
      settings: { releaseSeatsOnExternalRefund: true },
      members: [{ userId: 'u-temp', role: 'owner' }],
    });
    await sleep(1500);
    expect((await get('u-temp', `/organiser/events/${E}/sales`)).status).toBe(404);
  });
});

describe('GET /purchase/api/organiser/events/:id/orders', () => {
  it('pages newest first, searches by e-mail, name, order id, ticket id and ticket code, filters, and totals', async () => {
    const a = await paidOrder('list-anna', [seat('B', 1), seat('B', 2)], { name: 'Anna Berg' });
    const b = await paidOrder('list-bob', ['standing/1'], { name: 'Bob Stone' });
    const c = await paidOrder('list-cleo', [seat('B', 3)]);
    await h.sql(`UPDATE tickets SET checked_in_at = now() WHERE order_id = $1`, [c.orderId]);
    const list = async (query: string) =>
      (await get('u-mgr', `/organiser/events/${E}/orders?${query}`)).body as {
        items: { orderId: string; buyerName: string | null; tickets: number; checkedIn: number }[];
        nextCursor: string | null;
      };
    const first = await list('limit=2');
    const second = await list(`limit=2&cursor=${first.nextCursor}`);
    const all = (await list('limit=200')).items.map((i) => i.orderId);
    expect([...first.items, ...second.items].map((i) => i.orderId)).toEqual(all.slice(0, 4));
    expect(all.slice(0, 3)).toEqual([c.orderId, b.orderId, a.orderId]);

    expect((await list('q=LIST-AN')).items.map((i) => i.orderId)).toEqual([a.orderId]);
    expect((await list('q=bob')).items.map((i) => [i.orderId, i.buyerName])).toEqual([
      [b.orderId, 'Bob Stone'],
    ]);
    expect((await list(`q=${a.orderId}`)).items.map((i) => i.orderId)).toEqual([a.orderId]);
    expect((await list(`q=${b.tickets[0]!.ticket_id}`)).items.map((i) => i.orderId)).toEqual([b.orderId]);
    // The short reference a fan's mail shows (first 8 characters of the ticket id, uppercased).
    const ref = b.tickets[0]!.ticket_id.slice(0, 8).toUpperCase();
    expect((await list(`q=${ref}`)).items.map((i) => i.orderId)).toEqual([b.orderId]);
    const [code] = await h.sql<{ code: string }>(`SELECT code FROM tickets WHERE order_id = $1`, [c.orderId]);
    expect((await list(`q=${encodeURIComponent(code!.code)}`)).items.map((i) => i.orderId)).toEqual([
      c.orderId,
    ]);
    expect((await get('u-mgr', `/organiser/events/${E}/orders?q=aaa.bbb.ccc`)).status).toBe(400);
    const standing = (await list('category=standing')).items.map((i) => i.orderId);
    expect(standing).toContain(b.orderId);
    expect(standing).not.toContain(a.orderId);
    expect((await list('checkedIn=true')).items.map((i) => i.orderId)).toEqual([c.orderId]);

    const summary = (await get('u-mgr', `/organiser/events/${E}/orders/summary?q=list-`)).body;
    expect(summary).toEqual({
      orders: 3,
      tickets: 4,
      checkedIn: 1,
      grossMinor: a.amountMinor + b.amountMinor + c.amountMinor,
      refundedMinor: 0,
      netMinor: a.amountMinor + b.amountMinor + c.amountMinor,
      currency: 'EUR',
    });
    expect((await get('u-mgr', `/organiser/events/${E}/orders?status=bogus`)).status).toBe(400);
  });
});

interface Sales {
  grossMinor: number;
  refundedMinor: number;
  netMinor: number;
  byCategory: {
    categoryId: string;
    sold: number;
    available: number;
    validTickets: number;
    voidTickets: number;
  }[];
}
const sales = async () => (await get('u-owner', `/organiser/events/${E}/sales`)).body as unknown as Sales;

describe('POST /purchase/api/organiser/orders/:id/refunds', () => {
  it('refunds one ticket: 202, payment is asked, and when it says the money moved the ticket is void, its seat back on sale and the fan mailed; the order stays paid', async () => {
    const o = await paidOrder('ref-one', [seat('C', 1), seat('C', 2)]);
    const before = await sales();
    const res = await post('u-mgr', `/organiser/orders/${o.orderId}/refunds`, {
      ticketIds: [o.tickets[0]!.ticket_id],
      reason: 'seat C1 has no view',
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      status: 'requested',
      amountMinor: 5000,
      ticketIds: [o.tickets[0]!.ticket_id],
    });
    const [ask] = await requested(o.orderId);
    expect(ask).toMatchObject({ amountMinor: 5000, currency: 'EUR', reason: 'seat C1 has no view' });
    // Until the money moved, the ticket stays valid but cannot be refunded again.
    const again = await post('u-mgr', `/organiser/orders/${o.orderId}/refunds`, {
      ticketIds: [o.tickets[0]!.ticket_id],
      reason: 'twice',
    });
    expect(again.status).toBe(409);
    expect(String(again.body.type)).toMatch(/already_refunded$/);

    const since = new Date(Date.now() - 1000);
    await h.publish('payment.refunded', {
      ...o.pay,
      refundId: ask!.refundId,
      refundMinor: 5000,
      source: 'organiser',
      reason: ask!.reason,
    });
    await eventually(async () => (await orderStatus(o.orderId)).refunded_minor === 5000);
    expect(
      await h.sql(`SELECT unit_id, status FROM tickets WHERE order_id = $1 ORDER BY unit_id`, [o.orderId]),
    ).toEqual([
      { unit_id: seat('C', 1), status: 'void' },
      { unit_id: seat('C', 2), status: 'valid' },
    ]);
    expect(await unitState(seat('C', 1))).toBe('available');
    expect(await unitState(seat('C', 2))).toBe('sold');
    expect((await orderStatus(o.orderId)).status).toBe('paid');
    // The sale panel: the refund moves 50.00 from net to refunded and the seat from sold to available.
    const after = await sales();
    expect(after.grossMinor).toBe(before.grossMinor);
    expect(after.refundedMinor).toBe(before.refundedMinor + 5000);
    expect(after.netMinor).toBe(before.netMinor - 5000);
    const main = (f: Sales) => f.byCategory.find((c) => c.categoryId === 'stalls')!;
    expect(main(after)).toMatchObject({
      sold: main(before).sold - 1,
      available: main(before).available + 1,
      validTickets: main(before).validTickets - 1,
      voidTickets: main(before).voidTickets + 1,
    });
    const mail = await waitForMail(smtp.inboxUrl, { to: o.email, subjectIncludes: 'Refund', since });
    expect(mail.text).toContain('€50.00');
    expect(mail.text).toContain('Main, row C, seat 1');

    const detail = (await get('u-owner', `/organiser/orders/${o.orderId}`)).body as {
      timeline: { kind: string; text: string }[];
      refundableMinor: number;
      tickets: { status: string; refundId: string | null }[];
    };
    expect(detail.timeline.map((t) => t.kind)).toEqual(
      expect.arrayContaining([
        'held',
        'authorized',
        'paid',
        'tickets_issued',
        'refund_requested',
        'refunded',
      ]),
    );
    await eventually(async () =>
      ((await get('u-owner', `/organiser/orders/${o.orderId}`)).body.timeline as { kind: string }[]).some(
        (t) => t.kind === 'email_sent',
      ),
    );
    expect(detail.refundableMinor).toBe(5000);
    expect(detail.tickets.map((t) => t.status)).toEqual(['void', 'valid']);
  });

  it('refunds a whole order keeping the seats off sale; the order is refunded and a second refund is 409', async () => {
    const o = await paidOrder('ref-all', [seat('C', 5), seat('C', 6)]);
    const res = await post('u-owner', `/organiser/orders/${o.orderId}/refunds`, {
      reason: 'double booking',
      releaseSeats: false,
    });
    expect(res.status).toBe(202);
    const [ask] = await requested(o.orderId);
    expect(ask!.amountMinor).toBe(o.amountMinor);
    await h.publish('payment.refunded', {
      ...o.pay,
      refundId: ask!.refundId,
      refundMinor: o.amountMinor,
      source: 'organiser',
    });
    await eventually(async () => (await orderStatus(o.orderId)).status === 'refunded');
    expect(await unitState(seat('C', 5))).toBe('sold');
    const second = await post('u-owner', `/organiser/orders/${o.orderId}/refunds`, {
      reason: 'again please',
    });
    expect(second.status).toBe(409);
    expect(String(second.body.type)).toMatch(/already_refunded$/);
  });

  it('refuses more than what is left (409 over_refund) and an order not paid (409), asking payment nothing', async () => {
    const o = await paidOrder('ref-over', [seat('D', 1)]);
    const over = await post('u-owner', `/organiser/orders/${o.orderId}/refunds`, {
      amountMinor: o.amountMinor + 1,
      reason: 'too generous',
    });
    expect(over.status).toBe(409);
    expect(over.body).toMatchObject({ refundableMinor: o.amountMinor });
    const held = await call(h, 'POST', `/events/${E}/holds`, await h.fan('ref-unpaid', E), {
      seats: [seat('D', 2)],
    });
    const unpaid = await post('u-owner', `/organiser/orders/${String(held.body.orderId)}/refunds`, {
      reason: 'nothing paid',
    });
    expect(unpaid.status).toBe(409);
    expect(String(unpaid.body.type)).toMatch(/not_refundable$/);
    const bad = await post('u-owner', `/organiser/orders/${o.orderId}/refunds`, {
      reason: 'x',
      ticketIds: ['nope'],
    });
    expect(bad.status).toBe(400);
    expect(await requested(o.orderId, 0)).toEqual([]);
  });

  it('when payment could not refund, the ticket is valid and refundable again', async () => {
    const o = await paidOrder('ref-fail', [seat('D', 3)]);
    await post('u-owner', `/organiser/orders/${o.orderId}/refunds`, { reason: 'try it' });
    const [ask] = await requested(o.orderId);
    await h.publish('payment.refund_failed', {
      orderId: o.orderId,
      eventId: E,
      refundId: ask!.refundId,
      reason: 'card expired',
    });
    await eventually(
      async () =>
        (
          await h.sql<{ status: string }>(`SELECT status FROM refunds WHERE refund_id = $1`, [ask!.refundId])
        )[0]?.status === 'failed',
    );
    expect(
      (await post('u-owner', `/organiser/orders/${o.orderId}/refunds`, { reason: 'again' })).status,
    ).toBe(202);
  });
});

describe('refunds and disputes made at Stripe (issue 17.9)', () => {
  it('a dashboard refund of the whole payment voids every ticket and puts the seats back on sale (organisation setting)', async () => {
    const o = await paidOrder('ext-full', [seat('E', 1), seat('E', 2)]);
    const since = new Date(Date.now() - 1000);
    await h.publish('payment.refunded', {
      ...o.pay,
      refundId: randomUUID(),
      refundMinor: o.amountMinor,
      source: 'stripe',
      reason: 'refunded in Stripe',
    });
    await eventually(async () => (await orderStatus(o.orderId)).status === 'refunded');
    expect(await h.sql(`SELECT DISTINCT status FROM tickets WHERE order_id = $1`, [o.orderId])).toEqual([
      { status: 'void' },
    ]);
    expect(await unitState(seat('E', 1))).toBe('available');
    await waitForMail(smtp.inboxUrl, { to: o.email, subjectIncludes: 'Refund', since });
    const detail = (await get('u-owner', `/organiser/orders/${o.orderId}`)).body as {
      timeline: { kind: string; text: string }[];
    };
    expect(detail.timeline.find((t) => t.kind === 'refunded')?.text).toMatch(/Stripe/);
  });

  it('a partial dashboard refund voids the fewest tickets that cover it, dearest first', async () => {
    const o = await paidOrder('ext-part', [seat('E', 5), seat('E', 6)]);
    await h.publish('payment.refunded', {
      ...o.pay,
      refundId: randomUUID(),
      refundMinor: 1000,
      source: 'stripe',
    });
    await eventually(async () => (await orderStatus(o.orderId)).refunded_minor === 1000);
    expect(
      await h.sql(`SELECT unit_id, status FROM tickets WHERE order_id = $1 ORDER BY unit_id`, [o.orderId]),
    ).toEqual([
      { unit_id: seat('E', 5), status: 'void' },
      { unit_id: seat('E', 6), status: 'valid' },
    ]);
  });

  it('a dispute voids the tickets and, when the organisation keeps such seats off sale, leaves them sold', async () => {
    await organisation(
      ORG,
      4,
      [
        { userId: 'u-owner', role: 'owner' },
        { userId: 'u-mgr', role: 'manager' },
        { userId: 'u-door', role: 'door' },
      ],
      false,
    );
    const o = await paidOrder('ext-dispute', [seat('E', 9)]);
    const since = new Date(Date.now() - 1000);
    await h.publish('payment.disputed', {
      ...o.pay,
      disputeId: 'dp_test',
      disputedMinor: o.amountMinor,
      reason: 'fraudulent',
    });
    await eventually(async () => (await orderStatus(o.orderId)).status === 'refunded');
    expect(await unitState(seat('E', 9))).toBe('sold');
    const mail = await waitForMail(smtp.inboxUrl, { to: o.email, subjectIncludes: 'cancelled', since });
    expect(mail.text).toContain('disputed');
    const detail = (await get('u-owner', `/organiser/orders/${o.orderId}`)).body as {
      timeline: { kind: string }[];
    };
    expect(detail.timeline.map((t) => t.kind)).toContain('disputed');
    await organisation(ORG, 5, [
      { userId: 'u-owner', role: 'owner' },
      { userId: 'u-mgr', role: 'manager' },
      { userId: 'u-door', role: 'door' },
    ]);
  });
});

describe('exports and the sale panel', () => {
  it('streams every sold order and every ticket as CSV, and sums revenue per category', async () => {
    const o = await paidOrder('csv-fan', [seat('A', 10)], { name: '=HYPERLINK("x")' });
    const res = await fetch(`${h.svc.url}/purchase/api/organiser/events/${E}/orders.csv`, {
      headers: { cookie: await as('u-mgr') },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    const lines = (await res.text()).trim().split('\r\n');
    expect(lines[0]).toBe(
      'order_id,created_at,status,email,name,tickets,categories,amount,refunded,net,currency,paid_at,checked_in',
    );
    const line = lines.find((l) => l.startsWith(o.orderId))!;
    // A name a spreadsheet would run is defused; amounts are in major units.
    expect(line).toContain(`"'=HYPERLINK(""x"")"`);
    expect(line).toContain(',50.00,0.00,50.00,EUR,');
    const sold = (await get('u-mgr', `/organiser/events/${E}/orders/summary`)).body as { orders: number };
    expect(lines.length - 1).toBe(sold.orders);
    const attendees = await fetch(`${h.svc.url}/purchase/api/organiser/events/${E}/attendees.csv`, {
      headers: { cookie: await as('u-owner') },
    });
    expect((await attendees.text()).split('\r\n').some((l) => l.includes(o.tickets[0]!.ticket_id))).toBe(
      true,
    );

    const sales = (await get('u-owner', `/organiser/events/${E}/sales`)).body as {
      grossMinor: number;
      refundedMinor: number;
      netMinor: number;
      byCategory: { categoryId: string; sold: number; available: number; validTickets: number }[];
    };
    expect(sales.netMinor).toBe(sales.grossMinor - sales.refundedMinor);
    const [row] = await h.sql<{ gross: string; refunded: string }>(
      `SELECT sum(amount_minor) AS gross, sum(refunded_minor) AS refunded FROM orders WHERE event_id = $1 AND paid_at IS NOT NULL`,
      [E],
    );
    expect(sales).toMatchObject({ grossMinor: Number(row!.gross), refundedMinor: Number(row!.refunded) });
    const stalls = sales.byCategory.find((c) => c.categoryId === 'stalls')!;
    expect(stalls.sold + stalls.available).toBeLessThanOrEqual(100);
    expect(stalls.validTickets).toBe(
      Number(
        (
          await h.sql<{ n: string }>(
            `SELECT count(*) AS n FROM tickets t JOIN order_items i USING (order_id, unit_id) WHERE t.event_id = $1 AND i.category_id = 'stalls' AND t.status = 'valid'`,
            [E],
          )
        )[0]!.n,
      ),
    );
  });
});
