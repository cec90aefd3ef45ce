import { randomUUID } from 'node:crypto';
import { envelope, ManualClock, type Envelope } from '@ticketslave/common';
import { eventually, readTopic, sleep } from '@ticketslave/dev/test-support';
import { startSmtp, waitForMail, type SmtpStandIn } from '@ticketslave/dev/standins/smtp';
import { liveTicketCode } from '@ticketslave/contracts';
import { call, queriesWhile, seat, snapshot, startHarness, type Harness } from './harness';

let h: Harness;
let smtp: SmtpStandIn;
const clock = new ManualClock();
const snap = snapshot({ holdSeconds: 60 });
const E = snap.eventId;

beforeAll(async () => {
  smtp = await startSmtp({ port: 0, httpPort: 0 });
  h = await startHarness('money', { clock, env: { SMTP_URL: smtp.url } });
  await h.publishEvent(snap);
}, 60_000);
afterAll(async () => {
  await h?.stop();
  await smtp?.stop();
});

const hold = async (user: string, seats: string[]) => {
  const r = await call(h, 'POST', `/events/${E}/holds`, await h.fan(user, E), { seats });
  expect(r.status).toBe(201);
  return r.body as { orderId: string; amountMinor: number };
};
const payment = (orderId: string, amountMinor: number, extra: { reason?: string } = {}) => ({
  orderId,
  eventId: E,
  paymentIntentId: `pi_${orderId.slice(0, 8)}`,
  amountMinor,
  currency: 'EUR',
  ...extra,
});
const orderStatus = async (id: string) =>
  (
    await h.sql<{ status: string; reason: string | null }>(
      `SELECT status, reason FROM orders WHERE order_id = $1`,
      [id],
    )
  )[0];
const unit = async (id: string) =>
  (
    await h.sql<{ status: string; order_id: string | null }>(
      `SELECT status, order_id FROM units WHERE event_id = $1 AND unit_id = $2`,
      [E, id],
    )
  )[0]!;
/** Messages of one order on a topic: waits for `atLeast`, then reads on briefly so a duplicate would show. */
const topic = async <T extends 'order.completed' | 'order.cancelled' | 'order.expired'>(
  t: T,
  orderId: string,
  atLeast = 1,
) => {
  const mine = (m: Envelope<T>[]) => m.filter((x) => x.payload.orderId === orderId);
  await readTopic<Envelope<T>>(h.kafka.brokers, `${h.kafka.prefix}${t}`, {
    until: (m) => mine(m).length >= atLeast,
    timeoutMs: atLeast ? 10_000 : 1000,
  });
  return mine(
    await readTopic<Envelope<T>>(h.kafka.brokers, `${h.kafka.prefix}${t}`, {
      until: (m) => mine(m).length > atLeast,
      timeoutMs: 1000,
    }),
  );
};

describe('hold sweeper', () => {
  it('expires a lapsed hold: seats back on sale, order expired, order.expired emitted', async () => {
    const o = await hold('u-sweep', [seat('A', 1)]);
    await sleep(300);
    expect((await orderStatus(o.orderId))!.status).toBe('pending_payment');
    clock.advance(61_000);
    await eventually(async () => (await orderStatus(o.orderId))!.status === 'expired');
    expect(await unit(seat('A', 1))).toEqual({ status: 'available', order_id: null });
    expect(await topic('order.expired', o.orderId)).toHaveLength(1);
  });
});

describe('payment.authorized', () => {
  it('after the hold lapsed, secures the seats if they are still free and completes the order', async () => {
    const o = await hold('u-lapse-free', [seat('B', 1), seat('B', 2)]);
    clock.advance(61_000);
    await eventually(async () => (await orderStatus(o.orderId))!.status === 'expired');
    await h.publish('payment.authorized', payment(o.orderId, o.amountMinor));
    await eventually(async () => (await orderStatus(o.orderId))!.status === 'confirmed');
    expect(await unit(seat('B', 1))).toEqual({ status: 'sold', order_id: o.orderId });
    expect(await topic('order.completed', o.orderId)).toHaveLength(1);
  });

  it('when the seats are secured, then the tickets are issued at once, before the capture (issue 21)', async () => {
    const o = await hold('u-tickets-first', [seat('B', 5), seat('B', 6)]);
    await h.publish('payment.authorized', payment(o.orderId, o.amountMinor));
    await eventually(async () => (await orderStatus(o.orderId))!.status === 'confirmed');
    const t = await call(h, 'GET', '/tickets', await h.fan('u-tickets-first', E));
    const tickets = t.body.tickets as { unitId: string; status: string }[];
    expect(tickets.map((x) => [x.unitId, x.status])).toEqual([
      [seat('B', 5), 'valid'],
      [seat('B', 6), 'valid'],
    ]);
  });

  it('after the hold lapsed and someone else took a seat, cancels — never completes', async () => {
    const o = await hold('u-lapse-taken', [seat('C', 1), seat('C', 2)]);
    clock.advance(61_000);
    await eventually(async () => (await orderStatus(o.orderId))!.status === 'expired');
    const other = await hold('u-taker', [seat('C', 2)]);
    await h.publish('payment.authorized', payment(o.orderId, o.amountMinor));
    await eventually(async () => (await orderStatus(o.orderId))!.status === 'cancelled');
    expect((await orderStatus(o.orderId))!.reason).toBe('seats_unavailable');
    expect(await unit(seat('C', 2))).toEqual({ status: 'held', order_id: other.orderId });
    expect(await unit(seat('C', 1))).toEqual({ status: 'available', order_id: null });
    expect(await topic('order.cancelled', o.orderId)).toHaveLength(1);
    expect(await topic('order.completed', o.orderId, 0)).toHaveLength(0);
  });

  it('keeps the seats of a hold paid before it lapsed while purchase was behind: the sweeper waits for the authorization', async () => {
    const o = await hold('u-paid-while-behind', [seat('D', 5)]);
    // The fan paid in time, but purchase has not handled the authorization when the hold runs
    // out (restarting after a crash, or behind): a transaction of ours holds the message's
    // processed_messages key, so purchase's consumer waits on it.
    const auth = envelope('payment.authorized', { ...payment(o.orderId, o.amountMinor), buyerName: 'Ada' });
    const blocker = h.svc.kit.ds.createQueryRunner();
    await blocker.connect();
    await blocker.startTransaction();
    try {
      await blocker.query(`INSERT INTO processed_messages (consumer, message_id) VALUES ($1, $2)`, [
        'purchase.payments',
        auth.id,
      ]);
      await h.bus.publish([{ topic: 'payment.authorized', envelope: auth }]);
      clock.advance(61_000);
      // Another fan tries for the seat while the authorization waits: refused every time.
      const grabber = await h.fan('u-grabber', E);
      const answers: number[] = [];
      for (const until = Date.now() + 3000; Date.now() < until; await sleep(300))
        answers.push(
          (await call(h, 'POST', `/events/${E}/holds`, grabber, { seats: [seat('D', 5)] })).status,
        );
      // 409 seats_taken; 429 when the fan tries too often. Never 201.
      expect(answers.filter((s) => s !== 409 && s !== 429)).toEqual([]);
      expect(answers).toContain(409);
      expect((await orderStatus(o.orderId))!.status).toBe('pending_payment');
    } finally {
      await blocker.rollbackTransaction();
      await blocker.release();
    }
    await eventually(async () => (await orderStatus(o.orderId))!.status === 'confirmed');
    expect(await unit(seat('D', 5))).toEqual({ status: 'sold', order_id: o.orderId });
    expect(await topic('order.expired', o.orderId, 0)).toHaveLength(0);
  });

  it('delivered twice (distinct messages, concurrently), completes once', async () => {
    const o = await hold('u-dup', [seat('D', 1)]);
    await Promise.all([
      h.publish('payment.authorized', payment(o.orderId, o.amountMinor)),
      h.publish('payment.authorized', payment(o.orderId, o.amountMinor)),
    ]);
    await eventually(async () => (await orderStatus(o.orderId))!.status === 'confirmed');
    await sleep(1000);
    expect(await topic('order.completed', o.orderId)).toHaveLength(1);
  });
});

describe('payment.authorized: one transaction of two round trips (issue 21)', () => {
  it('when the seats are secured, then the transaction is BEGIN with secure_authorization, and the tickets, the confirmation and order.completed with COMMIT', async () => {
    const o = await hold('u-trips', [seat('C', 11), seat('C', 12)]);
    const { sent } = await queriesWhile(h, async () => {
      await h.publish('payment.authorized', payment(o.orderId, o.amountMinor));
      await eventually(async () => (await orderStatus(o.orderId))!.status === 'confirmed');
    });
    const conn = sent.find((qs) => qs.some((q) => /secure_authorization/.test(q)))!;
    const at = conn.findIndex((q) => /secure_authorization/.test(q));
    expect(conn.slice(at, at + 2)).toEqual([
      expect.stringMatching(/^BEGIN; SELECT secure_authorization/),
      expect.stringMatching(/^INSERT INTO tickets/),
    ]);
    const tickets = await h.sql<{ unit_id: string }>(
      `SELECT unit_id FROM tickets WHERE order_id = $1 AND status = 'valid' ORDER BY unit_id`,
      [o.orderId],
    );
    expect(tickets.map((t) => t.unit_id)).toEqual([seat('C', 11), seat('C', 12)]);
    expect(await unit(seat('C', 11))).toEqual({ status: 'sold', order_id: o.orderId });
    expect(await topic('order.completed', o.orderId)).toHaveLength(1);
  });

  it('when the same message is delivered again, applies it once: one processed row, the buyer name it carried kept', async () => {
    const o = await hold('u-again', [seat('C', 15)]);
    const again = envelope('payment.authorized', {
      ...payment(o.orderId, o.amountMinor),
      buyerName: '  Ada Lovelace  ',
    });
    await h.bus.publish([{ topic: 'payment.authorized', envelope: again }]);
    await eventually(async () => (await orderStatus(o.orderId))!.status === 'confirmed');
    await h.bus.publish([{ topic: 'payment.authorized', envelope: again }]);
    await sleep(1000);
    const processed = await h.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM processed_messages WHERE message_id = $1`,
      [again.id],
    );
    expect(processed[0]!.n).toBe(1);
    const [row] = await h.sql<{ buyer_name: string }>(`SELECT buyer_name FROM orders WHERE order_id = $1`, [
      o.orderId,
    ]);
    expect(row!.buyer_name).toBe('Ada Lovelace');
    expect(await topic('order.completed', o.orderId)).toHaveLength(1);
  });

  it('when a captured order has no tickets yet (confirmed before tickets came with the authorization), issues them and marks it paid', async () => {
    const o = await hold('u-no-tickets', [seat('C', 13)]);
    await h.publish('payment.authorized', payment(o.orderId, o.amountMinor));
    await eventually(async () => (await orderStatus(o.orderId))!.status === 'confirmed');
    await h.sql(`DELETE FROM tickets WHERE order_id = $1`, [o.orderId]);
    await h.publish('payment.captured', payment(o.orderId, o.amountMinor));
    await eventually(async () => (await orderStatus(o.orderId))!.status === 'paid');
    const tickets = await h.sql<{ unit_id: string }>(
      `SELECT unit_id FROM tickets WHERE order_id = $1 AND status = 'valid'`,
      [o.orderId],
    );
    expect(tickets.map((t) => t.unit_id)).toEqual([seat('C', 13)]);
    const mails = await h.sql(`SELECT 1 FROM mail_outbox WHERE order_id = $1 AND kind = 'confirmation'`, [
      o.orderId,
    ]);
    expect(mails).toHaveLength(1);
  });

  it('when the authorized amount differs from the order, cancels it (amount_mismatch), frees its seats and issues nothing', async () => {
    const o = await hold('u-amount', [seat('C', 17)]);
    await h.publish('payment.authorized', payment(o.orderId, o.amountMinor - 1));
    await eventually(async () => (await orderStatus(o.orderId))!.status === 'cancelled');
    expect(await orderStatus(o.orderId)).toEqual({ status: 'cancelled', reason: 'amount_mismatch' });
    expect(await unit(seat('C', 17))).toEqual({ status: 'available', order_id: null });
    const tickets = await h.sql(`SELECT 1 FROM tickets WHERE order_id = $1`, [o.orderId]);
    expect(tickets).toHaveLength(0);
    expect((await topic('order.cancelled', o.orderId)).map((m) => m.payload.reason)).toEqual([
      'amount_mismatch',
    ]);
  });

  it('when the fan released the order before the card was authorized, says order.cancelled again (payment voids) and changes nothing', async () => {
    const cookie = await h.fan('u-released', E);
    const r = await call(h, 'POST', `/events/${E}/holds`, cookie, { seats: [seat('C', 19)] });
    expect(r.status).toBe(201);
    const o = r.body as { orderId: string; amountMinor: number };
    expect((await call(h, 'DELETE', `/orders/${o.orderId}/hold`, cookie)).status).toBe(204);
    expect(await topic('order.cancelled', o.orderId)).toHaveLength(1);
    await h.publish('payment.authorized', payment(o.orderId, o.amountMinor));
    expect((await topic('order.cancelled', o.orderId, 2)).map((m) => m.payload.reason)).toEqual([
      'released',
      'released',
    ]);
    expect(await orderStatus(o.orderId)).toEqual({ status: 'cancelled', reason: 'released' });
    expect(await unit(seat('C', 19))).toEqual({ status: 'available', order_id: null });
  });
});

describe('payment.authorized: the per-event limit by card (issue 17.8)', () => {
  // Each card pays for two accounts' orders of one event at once (in one batch, decided in
  // parallel by the consumer): the event allows 2 per fan, each order is 2, so per card
  // exactly one may pass. Without the (event, card) row lock both read "0 tickets" and pass.
  it('when two accounts authorize with one card concurrently, secures exactly one order per card', async () => {
    const limited = snapshot({ perUserLimit: 2 });
    await h.publishEvent(limited);
    const cards = ['card-race-a', 'card-race-b', 'card-race-c', 'card-race-d'];
    const pairs = await Promise.all(
      cards.map(async (card, i) => {
        const orders: { orderId: string; amountMinor: number }[] = [];
        for (const who of ['x', 'y']) {
          const user = `u-card-${i}-${who}`;
          const r = await call(
            h,
            'POST',
            `/events/${limited.eventId}/holds`,
            await h.fan(user, limited.eventId),
            {
              categoryId: 'standing',
              quantity: 2,
            },
          );
          expect(r.status).toBe(201);
          orders.push(r.body as { orderId: string; amountMinor: number });
        }
        return { card, orders };
      }),
    );
    await h.bus.publish(
      pairs.flatMap(({ card, orders }) =>
        orders.map((o) => ({
          topic: 'payment.authorized' as const,
          envelope: envelope('payment.authorized', {
            ...payment(o.orderId, o.amountMinor),
            eventId: limited.eventId,
            cardFingerprint: card,
          }),
        })),
      ),
    );
    for (const { orders } of pairs) {
      await eventually(async () =>
        (await Promise.all(orders.map((o) => orderStatus(o.orderId)))).every(
          (x) => x!.status === 'confirmed' || x!.status === 'cancelled',
        ),
      );
      const outcomes = await Promise.all(orders.map((o) => orderStatus(o.orderId)));
      expect(outcomes.map((x) => x!.status).sort()).toEqual(['cancelled', 'confirmed']);
      expect(outcomes.find((x) => x!.status === 'cancelled')!.reason).toBe('card_limit_exceeded');
    }
    const sold = await h.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM units WHERE event_id = $1 AND status = 'sold'`,
      [limited.eventId],
    );
    expect(sold[0]!.n).toBe(cards.length * 2);
  });

  it('when the card already bought the limit, cancels a later order of another account; another card passes', async () => {
    const limited = snapshot({ perUserLimit: 3 });
    await h.publishEvent(limited);
    const buy = async (user: string, quantity: number, card: string) => {
      const r = await call(
        h,
        'POST',
        `/events/${limited.eventId}/holds`,
        await h.fan(user, limited.eventId),
        {
          categoryId: 'standing',
          quantity,
        },
      );
      expect(r.status).toBe(201);
      const o = r.body as { orderId: string; amountMinor: number };
      await h.publish('payment.authorized', {
        ...payment(o.orderId, o.amountMinor),
        eventId: limited.eventId,
        cardFingerprint: card,
      });
      await eventually(async () => (await orderStatus(o.orderId))!.status !== 'pending_payment');
      return { ...o, ...(await orderStatus(o.orderId))! };
    };
    expect((await buy('u-card-first', 2, 'card-shared')).status).toBe('confirmed');
    // 2 + 1 is within 3: the same card buys on through a second account.
    expect((await buy('u-card-second', 1, 'card-shared')).status).toBe('confirmed');
    const third = await buy('u-card-third', 1, 'card-shared');
    expect(third).toMatchObject({ status: 'cancelled', reason: 'card_limit_exceeded' });
    expect((await topic('order.cancelled', third.orderId))[0]!.payload.reason).toBe('card_limit_exceeded');
    expect((await buy('u-card-third', 1, 'card-other')).status).toBe('confirmed');
    const fan = await call(
      h,
      'GET',
      `/orders/${third.orderId}`,
      await h.fan('u-card-third', limited.eventId),
    );
    expect(fan.body).toMatchObject({ status: 'cancelled', reason: 'card_limit_exceeded' });
  });
});

describe('trying again within the admission (one live order at a time)', () => {
  const holdWith = (cookie: string, seats: string[]) =>
    call(h, 'POST', `/events/${E}/holds`, cookie, { seats });

  it('refuses a second hold while the first order is live, then lets the same admission hold again after a release and after a lapse', async () => {
    const cookie = await h.fan('u-retry', E, { admissionId: randomUUID() });
    const first = await holdWith(cookie, [seat('E', 11)]);
    expect(first.status).toBe(201);
    const busy = await holdWith(cookie, [seat('E', 12)]);
    expect(busy.status).toBe(409);
    expect(busy.body.type).toMatch(/admission_used/);
    expect(busy.body.detail).toMatch(/release it to choose again/);

    const firstId = (first.body as { orderId: string }).orderId;
    expect((await call(h, 'DELETE', `/orders/${firstId}/hold`, cookie)).status).toBe(204);
    const second = await holdWith(cookie, [seat('E', 12)]);
    expect(second.status).toBe(201);
    const secondId = (second.body as { orderId: string }).orderId;

    clock.advance(61_000);
    await eventually(async () => (await orderStatus(secondId))!.status === 'expired');
    const third = await holdWith(cookie, [seat('E', 13)]);
    expect(third.status).toBe(201);
    const thirdId = (third.body as { orderId: string }).orderId;
    expect([
      (await orderStatus(firstId))!.status,
      (await orderStatus(secondId))!.status,
      (await orderStatus(thirdId))!.status,
    ]).toEqual(['cancelled', 'expired', 'pending_payment']);
  });

  it('when the card of a lapsed order is authorized after the fan held again, cancels the late order (superseded) and keeps the newer one', async () => {
    const cookie = await h.fan('u-late', E, { admissionId: randomUUID() });
    const old = (await holdWith(cookie, [seat('E', 14)])).body as { orderId: string; amountMinor: number };
    clock.advance(61_000);
    await eventually(async () => (await orderStatus(old.orderId))!.status === 'expired');
    const fresh = await holdWith(cookie, [seat('E', 15)]);
    expect(fresh.status).toBe(201);
    const freshId = (fresh.body as { orderId: string }).orderId;

    await h.publish('payment.authorized', payment(old.orderId, old.amountMinor));
    await eventually(async () => (await orderStatus(old.orderId))!.status === 'cancelled');
    expect((await orderStatus(old.orderId))!.reason).toBe('superseded');
    expect(await topic('order.cancelled', old.orderId)).toHaveLength(1);
    expect(await unit(seat('E', 14))).toEqual({ status: 'available', order_id: null });
    expect((await orderStatus(freshId))!.status).toBe('pending_payment');
    expect(await unit(seat('E', 15))).toEqual({ status: 'held', order_id: freshId });
  });
});

describe('payment.captured → tickets, e-mail and check-in', () => {
  let orderId = '';
  /** The live codes the fan's page shows now (the service's clock). */
  let live: (i: number) => string = () => '';
  it('issues one ticket per unit exactly once, marks the order paid and mails the fan', async () => {
    const o = await hold('u-paid', [seat('E', 1), seat('E', 2)]);
    orderId = o.orderId;
    await h.publish('payment.authorized', payment(o.orderId, o.amountMinor));
    await eventually(async () => (await orderStatus(o.orderId))!.status === 'confirmed');
    await h.publish('payment.captured', payment(o.orderId, o.amountMinor));
    await h.publish('payment.captured', payment(o.orderId, o.amountMinor));
    await eventually(async () => (await orderStatus(o.orderId))!.status === 'paid');
    await sleep(1000);
    const t = await call(h, 'GET', '/tickets', await h.fan('u-paid', E));
    const tickets = t.body.tickets as {
      unitId: string;
      qr: string | null;
      code: string;
      secret: string;
      status: string;
    }[];
    expect(tickets.map((x) => x.unitId)).toEqual([seat('E', 1), seat('E', 2)]);
    // A live code only: no static image unless the organiser allows printed codes.
    expect(tickets[0]!.qr).toBeNull();
    expect(tickets[0]!.secret).toMatch(/^[A-Z2-7]{32}$/);
    const codes = tickets.map((x) => x.code);
    live = (i) => liveTicketCode(tickets[i]!.code, tickets[i]!.secret, clock.now().getTime());
    const mail = await waitForMail(smtp.inboxUrl, {
      to: 'u-paid@fans.test',
      subjectIncludes: 'The Test Band',
    });
    expect(mail.text).toContain('Main, row E, seat 1');
    // Each seat's line carries its ticket's short reference (not the long signed code).
    const refs = tickets.map((x) =>
      (x as unknown as { ticketId: string }).ticketId.slice(0, 8).toUpperCase(),
    );
    for (const ref of refs) expect(mail.text).toContain(`ticket ref: ${ref}`);
    for (const code of codes) expect(mail.text).not.toContain(code);
    // Multipart: the HTML part says the same, EUR with two decimals, and links to the tickets.
    expect(mail.text).toContain('Total paid: €100.00');
    expect(mail.html).toContain('€100.00');
    expect(mail.html).toContain('Main, row E, seat 1');
    for (const ref of refs) expect(mail.html).toContain(ref);
    expect(mail.html).toMatch(/<a href="[^"]*\/purchase\/tickets"[^>]*>View your tickets<\/a>/);
    // The capture came twice: one mail, marked sent in the mail outbox.
    await sleep(1500);
    const inbox = (await (await fetch(`${smtp.inboxUrl}/messages?to=u-paid@fans.test`)).json()) as unknown[];
    expect(inbox).toHaveLength(1);
    const [row] = await h.sql<{ attempts: number; sent_at: Date | null }>(
      `SELECT attempts, sent_at FROM mail_outbox WHERE order_id = $1`,
      [orderId],
    );
    expect(row!.attempts).toBe(1);
    expect(row!.sent_at).not.toBeNull();
  });

  it('keeps a confirmation while the SMTP server is down and sends it on a later try', async () => {
    const port = Number(new URL(smtp.url).port);
    await smtp.stop();
    const o = await hold('u-mail-later', [seat('D', 15)]);
    await h.publish('payment.authorized', payment(o.orderId, o.amountMinor));
    await eventually(async () => (await orderStatus(o.orderId))!.status === 'confirmed');
    const before = Date.now();
    await h.publish('payment.captured', payment(o.orderId, o.amountMinor));
    // Paid and ticketed at once; the mail waits in the outbox with its error and a retry time.
    await eventually(async () => (await orderStatus(o.orderId))!.status === 'paid');
    const mailRow = async () =>
      (
        await h.sql<{ attempts: number; sent_at: Date | null; last_error: string | null; next_at: Date }>(
          `SELECT attempts, sent_at, last_error, next_at FROM mail_outbox WHERE order_id = $1`,
          [o.orderId],
        )
      )[0];
    await eventually(async () => ((await mailRow())?.last_error ?? null) !== null);
    const failed = (await mailRow())!;
    expect(failed.sent_at).toBeNull();
    expect(failed.attempts).toBe(1);
    expect(failed.last_error).toMatch(/ECONNREFUSED|connect/i);
    expect(new Date(failed.next_at).getTime()).toBeGreaterThan(before + 4000);
    // The SMTP server is back; when the retry comes due the mail goes out, once.
    smtp = await startSmtp({ port, httpPort: 0 });
    await h.sql(`UPDATE mail_outbox SET next_at = now() WHERE order_id = $1`, [o.orderId]);
    const mail = await waitForMail(smtp.inboxUrl, {
      to: 'u-mail-later@fans.test',
      subjectIncludes: 'The Test Band',
    });
    expect(mail.text).toContain('row D, seat 15');
    await eventually(async () => (await mailRow())!.sent_at !== null);
    expect((await mailRow())!.attempts).toBe(2);
  });

  it('admits a ticket once for the organiser; the second scan says when it was first used', async () => {
    const org = await h.identity.sessionCookie({ id: 'org-1', role: 'organiser' });
    const first = await call(h, 'POST', '/checkin', org, { code: live(0) });
    expect(first.status).toBe(200);
    const again = await call(h, 'POST', '/checkin', org, { code: live(0) });
    expect(again.status).toBe(409);
    expect(again.body.firstUsedAt).toBe(first.body.checkedInAt);
  });

  it('refuses other organisers (404: not their event), fans (403) and forged codes (401)', async () => {
    const stranger = await h.identity.sessionCookie({ id: 'org-2', role: 'organiser' });
    expect((await call(h, 'POST', '/checkin', stranger, { code: live(1) })).status).toBe(404);
    const fan = await h.identity.sessionCookie({ id: 'u-paid' });
    expect((await call(h, 'POST', '/checkin', fan, { code: live(1) })).status).toBe(403);
    const admin = await h.identity.sessionCookie({ id: 'root', role: 'admin' });
    const signed = live(1).split('~')[0]!;
    const forged = live(1).replace(signed, signed.slice(0, -4) + (signed.endsWith('AAAA') ? 'BBBB' : 'AAAA'));
    expect((await call(h, 'POST', '/checkin', admin, { code: forged })).status).toBe(401);
  });

  it('payment.refunded voids the tickets (check-in refuses them) and frees the seats', async () => {
    await h.publish('payment.refunded', payment(orderId, 10000, { reason: 'requested_by_customer' }));
    await eventually(async () => (await orderStatus(orderId))!.status === 'refunded');
    const admin = await h.identity.sessionCookie({ id: 'root', role: 'admin' });
    const r = await call(h, 'POST', '/checkin', admin, { code: live(1) });
    expect(r.status).toBe(410);
    expect(await unit(seat('E', 2))).toEqual({ status: 'available', order_id: null });
    const mail = await waitForMail(smtp.inboxUrl, { to: 'u-paid@fans.test', subjectIncludes: 'Refund for' });
    expect(mail.text).toContain('€100.00 of your order');
    expect(mail.html).toContain('€100.00');
    expect(mail.html).toContain('Main, row E, seat 2');
  });
});

describe('payment.failed and event.cancelled', () => {
  it('a failed capture voids the tickets issued at the authorization, puts the seats back on sale and fails the order', async () => {
    const o = await hold('u-fail', [seat('A', 10)]);
    await h.publish('payment.authorized', payment(o.orderId, o.amountMinor));
    await eventually(async () => (await unit(seat('A', 10))).status === 'sold');
    const ticketStatus = async () =>
      (await h.sql<{ status: string }>(`SELECT status FROM tickets WHERE order_id = $1`, [o.orderId])).map(
        (t) => t.status,
      );
    expect(await ticketStatus()).toEqual(['valid']);
    await h.publish('payment.failed', payment(o.orderId, o.amountMinor, { reason: 'card_declined' }));
    await eventually(async () => (await orderStatus(o.orderId))!.status === 'failed');
    expect(await unit(seat('A', 10))).toEqual({ status: 'available', order_id: null });
    expect(await ticketStatus()).toEqual(['void']);
  });

  it('a cancelled event voids its tickets, cancels open holds and stops sales', async () => {
    const paid = await hold('u-c1', [seat('A', 11)]);
    await h.publish('payment.authorized', payment(paid.orderId, paid.amountMinor));
    await eventually(async () => (await orderStatus(paid.orderId))!.status === 'confirmed');
    await h.publish('payment.captured', payment(paid.orderId, paid.amountMinor));
    await eventually(async () => (await orderStatus(paid.orderId))!.status === 'paid');
    const open = await hold('u-c2', [seat('A', 12)]);
    await h.publish('event.cancelled', { eventId: E, reason: 'artist ill' });
    await eventually(async () => (await orderStatus(open.orderId))!.status === 'cancelled');
    const tickets = await h.sql<{ status: string }>(`SELECT status FROM tickets WHERE order_id = $1`, [
      paid.orderId,
    ]);
    expect(tickets.map((t) => t.status)).toEqual(['void']);
    const r = await call(h, 'POST', `/events/${E}/holds`, await h.fan('u-c3', E), { seats: [seat('A', 13)] });
    expect(r.status).toBe(409);
    expect(r.body.type).toMatch(/not_on_sale/);
    expect(await topic('order.cancelled', open.orderId)).toHaveLength(1);

    // The paid order's fan gets one cancellation mail (issue 20.8): not again when the event's
    // cancellation comes twice, nor when payment's refund of it arrives.
    const mail = await waitForMail(smtp.inboxUrl, { to: 'u-c1@fans.test', subjectIncludes: 'is cancelled' });
    expect(mail.subject).toBe('The Test Band is cancelled');
    for (const part of [mail.text, mail.html!]) {
      expect(part).toContain('€50.00');
      expect(part).toContain('Main, row A, seat 11');
    }
    await h.publish('event.cancelled', { eventId: E, reason: 'artist ill' });
    await h.publish('payment.refunded', {
      ...payment(paid.orderId, paid.amountMinor),
      source: 'event_cancelled',
      reason: 'event_cancelled',
    });
    await eventually(async () => (await orderStatus(paid.orderId))!.status === 'refunded');
    await sleep(2500);
    const inbox = (await (await fetch(`${smtp.inboxUrl}/messages?to=u-c1@fans.test`)).json()) as {
      subject: string;
    }[];
    expect(inbox.map((m) => m.subject).sort()).toEqual([
      'The Test Band is cancelled',
      'Your tickets for The Test Band',
    ]);
    const rows = await h.sql<{ kind: string; sent_at: Date | null }>(
      `SELECT kind, sent_at FROM mail_outbox WHERE order_id = $1 ORDER BY kind`,
      [paid.orderId],
    );
    expect(rows.map((x) => [x.kind, x.sent_at !== null])).toEqual([
      ['cancellation', true],
      ['confirmation', true],
    ]);
  });

  it("when payment's refund of a cancelled event comes first, that refund's mail is the one cancellation mail", async () => {
    const other = snapshot({ title: 'The Early Refund' });
    await h.publishEvent(other);
    const r = await call(h, 'POST', `/events/${other.eventId}/holds`, await h.fan('u-c4', other.eventId), {
      categoryId: 'standing',
      quantity: 1,
    });
    expect(r.status).toBe(201);
    const o = r.body as { orderId: string; amountMinor: number };
    const pay = { ...payment(o.orderId, o.amountMinor), eventId: other.eventId };
    await h.publish('payment.authorized', pay);
    await eventually(async () => (await orderStatus(o.orderId))!.status === 'confirmed');
    await h.publish('payment.captured', pay);
    await eventually(async () => (await orderStatus(o.orderId))!.status === 'paid');
    await h.publish('payment.refunded', { ...pay, source: 'event_cancelled', reason: 'event_cancelled' });
    await eventually(async () => (await orderStatus(o.orderId))!.status === 'refunded');
    await h.publish('event.cancelled', { eventId: other.eventId, reason: 'venue flooded' });
    const mail = await waitForMail(smtp.inboxUrl, { to: 'u-c4@fans.test', subjectIncludes: 'is cancelled' });
    expect(mail.text).toContain('Standing (general admission)');
    expect(mail.html).toContain('€30.00');
    await sleep(2500);
    const inbox = (await (await fetch(`${smtp.inboxUrl}/messages?to=u-c4@fans.test`)).json()) as {
      subject: string;
    }[];
    expect(inbox.map((m) => m.subject).sort()).toEqual([
      'The Early Refund is cancelled',
      'Your tickets for The Early Refund',
    ]);
  });
});

describe("fans' e-mails: HTML and text, money per currency, category names (issue 20.8)", () => {
  const jp = snapshot({
    title: 'Rock <script>alert(1)</script> & Roll',
    venue: 'Budokan',
    timeZone: 'Asia/Tokyo',
    // 11:00 UTC is 20:00 in Tokyo.
    startsAt: '2027-03-05T11:00:00.000Z',
    categories: [
      { id: 'arena-floor', name: 'Arena Floor', kind: 'ga', priceMinor: 8800, currency: 'JPY', capacity: 50 },
    ],
  });
  const pay = (orderId: string, amountMinor: number, extra: object = {}) => ({
    orderId,
    eventId: jp.eventId,
    paymentIntentId: `pi_${orderId.slice(0, 8)}`,
    amountMinor,
    currency: 'JPY',
    ...extra,
  });
  let orderId = '';
  let amount = 0;

  it('the confirmation has a text and an HTML part, the GA category by name, yen without decimals, the title escaped', async () => {
    await h.publishEvent(jp);
    const r = await call(h, 'POST', `/events/${jp.eventId}/holds`, await h.fan('u-yen', jp.eventId), {
      categoryId: 'arena-floor',
      quantity: 2,
    });
    expect(r.status).toBe(201);
    ({ orderId, amountMinor: amount } = r.body as { orderId: string; amountMinor: number });
    await h.publish('payment.authorized', pay(orderId, amount));
    await eventually(async () => (await orderStatus(orderId))!.status === 'confirmed');
    await h.publish('payment.captured', pay(orderId, amount));
    const mail = await waitForMail(smtp.inboxUrl, { to: 'u-yen@fans.test', subjectIncludes: 'Your tickets' });
    expect(mail.subject).toBe(`Your tickets for ${jp.title}`);
    for (const part of [mail.text, mail.html!]) {
      expect(part).toContain('Arena Floor (general admission)');
      expect(part).not.toContain('arena-floor');
      expect(part).toContain('¥17,600');
      expect(part).not.toMatch(/¥17,600\.\d/);
      expect(part).toMatch(/Friday,? 5 March 2027 at 20:00/);
      expect(part).toContain('(Asia/Tokyo)');
    }
    expect(mail.text).toContain(jp.title);
    // No markup from the organiser's title reaches the HTML part.
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('Rock &lt;script&gt;alert(1)&lt;/script&gt; &amp; Roll');
  });

  it('the refund mail likewise: both parts, yen, the voided GA tickets by category name, escaped', async () => {
    await h.publish('payment.refunded', pay(orderId, amount, { reason: 'requested_by_customer' }));
    const mail = await waitForMail(smtp.inboxUrl, { to: 'u-yen@fans.test', subjectIncludes: 'Refund for' });
    for (const part of [mail.text, mail.html!]) {
      expect(part).toContain('¥17,600');
      expect(part).toContain('Arena Floor (general admission)');
      expect(part).toContain('requested_by_customer');
    }
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('&lt;script&gt;');
  });
});
