import { eventually } from '@ticketslave/dev/test-support';
import type { RunningService } from '@ticketslave/common';
import { call, seat, snapshot, startHarness, type Harness } from './harness';

/**
 * Best available together (issue 20.4): `{ together: { categoryId, quantity } }` holds the best
 * block of adjacent seats (scoring: docs/architecture.md, "Best available"), all or nothing, and
 * `standing` adds general-admission places to the same order.
 */
let h: Harness;
const snap = snapshot();
const E = snap.eventId;
/** Rows A–B × 4 seats: small enough to run out of blocks. */
const small = snapshot({
  perUserLimit: 6,
  categories: [
    {
      id: 'box',
      name: 'Box',
      kind: 'reserved',
      priceMinor: 9000,
      currency: 'EUR',
      sections: [{ name: 'Left', rows: [{ from: 'A', to: 'B', seats: 4 }] }],
    },
    { id: 'standing', name: 'Standing', kind: 'ga', priceMinor: 3000, currency: 'EUR', capacity: 2 },
  ],
});

beforeAll(async () => {
  h = await startHarness('best');
  await h.publishEvent(snap);
  await h.publishEvent(small);
}, 60_000);
afterAll(() => h?.stop());

interface Item {
  unitId: string;
  categoryId: string;
  row: string | null;
  seat: number | null;
}
const together = async (user: string, quantity: number, extra: Record<string, unknown> = {}, event = E) =>
  call(h, 'POST', `/events/${event}/holds`, await h.fan(user, event), {
    together: { categoryId: event === E ? 'stalls' : 'box', quantity },
    ...extra,
  });
const unitsOf = (body: Record<string, unknown>) => (body.items as Item[]).map((i) => i.unitId);
const orders = async (event: string) =>
  (await h.sql<{ n: number }>(`SELECT count(*)::int AS n FROM orders WHERE event_id = $1`, [event]))[0]!.n;
const taken = async (event: string) =>
  (
    await h.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM units WHERE event_id = $1 AND status <> 'available'`,
      [event],
    )
  )[0]!.n;

describe('POST /purchase/api/events/:id/holds { together }', () => {
  it('when the row is empty, then the centred block of the front row wins, then the blocks beside it, before the next row', async () => {
    // Row A has 20 seats: the centred 4 are 9–12; next best are 5–8 and 13–16 (equal: lower seats
    // first), then 1–4 and 17–20 (offset 0.8 < 1, the centre of row B).
    const got: string[][] = [];
    for (let i = 0; i < 6; i++) {
      const r = await together(`score-${i}`, 4);
      expect(r.status).toBe(201);
      got.push(unitsOf(r.body));
    }
    const block = (row: string, from: number) => [0, 1, 2, 3].map((k) => seat(row, from + k)).sort();
    expect(got).toEqual([
      block('A', 9),
      block('A', 5),
      block('A', 13),
      block('A', 1),
      block('A', 17),
      block('B', 9),
    ]);
  });

  it('when a seat breaks the row, then only consecutive free seats count as adjacent', async () => {
    // Row C: seat 10 taken; the block 11–14 (offset 0.2) beats 6–9 (0.3).
    const single = await call(h, 'POST', `/events/${E}/holds`, await h.fan('gap-single', E), {
      seats: [seat('C', 10)],
    });
    expect(single.status).toBe(201);
    // Fill what is left of row B with 4-blocks so row C is the front row with room.
    for (let i = 0; i < 4; i++) expect((await together(`gap-fill-${i}`, 4)).status).toBe(201);
    const r = await together('gap', 4);
    expect(r.status).toBe(201);
    expect(unitsOf(r.body)).toEqual([11, 12, 13, 14].map((n) => seat('C', n)).sort());
    expect(r.body).toMatchObject({ status: 'pending_payment', amountMinor: 20000 });
  });

  it('when no block of N adjacent seats is left, then 409 problem+json no_adjacent_seats names the category, and nothing is held', async () => {
    // Box A: 2 taken; Box B: 3 taken → free A1, A3, A4, B1, B2, B4: the longest block is 2.
    for (const [u, s] of [
      ['na-1', 'box/Left/A/2'],
      ['na-2', 'box/Left/B/3'],
    ] as const) {
      const r = await call(h, 'POST', `/events/${small.eventId}/holds`, await h.fan(u, small.eventId), {
        seats: [s],
      });
      expect(r.status).toBe(201);
    }
    const before = [await orders(small.eventId), await taken(small.eventId)];
    const r = await together('na-3', 3, {}, small.eventId);
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({
      type: expect.stringMatching(/no_adjacent_seats/),
      detail: 'No 3 adjacent seats left in Box.',
      available: 6,
      largestBlock: 2,
    });
    expect([await orders(small.eventId), await taken(small.eventId)]).toEqual(before);
    // The largest block left is offered by the answer; asking for it works.
    const two = await together('na-3', 2, {}, small.eventId);
    expect(two.status).toBe(201);
    expect(unitsOf(two.body)).toEqual(['box/Left/A/3', 'box/Left/A/4']);
  });

  it('when the block and its standing places exceed the per-fan limit, then 409 limit_exceeded and nothing is held', async () => {
    const before = [await orders(E), await taken(E)];
    const over = await together('limit', 4, { standing: { categoryId: 'standing', quantity: 3 } });
    expect(over.status).toBe(409);
    expect(over.body.type).toMatch(/limit_exceeded/);
    const tooMany = await together('limit', 7);
    expect(tooMany.status).toBe(409);
    expect(tooMany.body.type).toMatch(/limit_exceeded/);
    expect([await orders(E), await taken(E)]).toEqual(before);
  });

  it('answers 400 problem+json for a quantity out of range, nothing held', async () => {
    const before = await taken(E);
    const r = await together('bad-q', 0);
    expect(r.status).toBe(400);
    expect(await taken(E)).toBe(before);
  });
});

describe('POST /purchase/api/events/:id/holds: mixed seated + standing', () => {
  it('when seats and standing places are asked in one order, then one order holds both, priced together', async () => {
    const r = await call(h, 'POST', `/events/${E}/holds`, await h.fan('mixed-seats', E), {
      seats: [seat('E', 1)],
      standing: { categoryId: 'standing', quantity: 2 },
    });
    expect(r.status).toBe(201);
    const items = r.body.items as Item[];
    expect(items.map((i) => i.categoryId).sort()).toEqual(['stalls', 'standing', 'standing']);
    expect(r.body.amountMinor).toBe(5000 + 2 * 3000);
  });

  it('when the standing places run out, then 409 not_enough_available for that category and the seats are not held', async () => {
    const hold = (u: string, seats: string[], q: number) =>
      h.fan(u, small.eventId).then((c) =>
        call(h, 'POST', `/events/${small.eventId}/holds`, c, {
          seats,
          standing: { categoryId: 'standing', quantity: q },
        }),
      );
    const r = await hold('mixed-short', ['box/Left/B/4'], 3);
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ type: expect.stringMatching(/not_enough_available/), available: 2 });
    const [u] = await h.sql<{ status: string }>(
      `SELECT status FROM units WHERE event_id = $1 AND unit_id = 'box/Left/B/4'`,
      [small.eventId],
    );
    expect(u!.status).toBe('available');
  });

  it('when a best-available block with standing places is paid, then every place gets a valid ticket', async () => {
    const fan = await h.fan('mixed-pay', E);
    const r = await call(h, 'POST', `/events/${E}/holds`, fan, {
      together: { categoryId: 'stalls', quantity: 2 },
      standing: { categoryId: 'standing', quantity: 2 },
    });
    expect(r.status).toBe(201);
    const o = r.body as { orderId: string; amountMinor: number };
    expect(o.amountMinor).toBe(2 * 5000 + 2 * 3000);
    await h.publish('payment.authorized', {
      orderId: o.orderId,
      eventId: E,
      paymentIntentId: `pi_${o.orderId.slice(0, 8)}`,
      amountMinor: o.amountMinor,
      currency: 'EUR',
    });
    await eventually(
      async () => (await call(h, 'GET', `/orders/${o.orderId}`, fan)).body.status === 'confirmed',
    );
    const t = await call(h, 'GET', '/tickets', fan);
    const tickets = t.body.tickets as { unitId: string; status: string }[];
    expect(tickets.map((x) => x.status)).toEqual(['valid', 'valid', 'valid', 'valid']);
    expect(tickets.map((x) => x.unitId).sort()).toEqual(unitsOf(r.body).sort());
    expect(tickets.filter((x) => x.unitId.startsWith('standing/'))).toHaveLength(2);
  });
});

describe('POST /purchase/api/events/:id/holds { together } under contention', () => {
  it('when 60 fans on two instances ask for 4 together at once, then every hold is 4 adjacent seats, none shared, none oversold', async () => {
    const race = snapshot({ perUserLimit: 4 });
    await h.publishEvent(race);
    const other: RunningService = await h.startAnother();
    try {
      const fans = await Promise.all(
        Array.from({ length: 60 }, async (_, i) => ({ i, cookie: await h.fan(`race-${i}`, race.eventId) })),
      );
      const outcomes = await Promise.all(
        fans.map(({ i, cookie }) =>
          fetch(`${(i % 2 ? other : h.svc).url}/purchase/api/events/${race.eventId}/holds`, {
            method: 'POST',
            headers: { cookie, 'content-type': 'application/json' },
            body: JSON.stringify({ together: { categoryId: 'stalls', quantity: 4 } }),
          }).then(async (res) => ({
            status: res.status,
            body: (await res.json()) as Record<string, unknown>,
          })),
        ),
      );
      const held = outcomes.filter((o) => o.status === 201);
      const refused = outcomes.filter((o) => o.status !== 201);
      expect(refused.map((o) => [o.status, o.body.type])).toEqual(
        refused.map(() => [409, expect.stringMatching(/no_adjacent_seats/)]),
      );
      // 100 seats = 25 blocks of 4 at most; centred blocks pack a 20-seat row exactly.
      expect(held.length).toBeLessThanOrEqual(25);
      expect(held.length).toBeGreaterThanOrEqual(20);
      for (const o of held) {
        const items = o.body.items as Item[];
        expect(items).toHaveLength(4);
        expect(new Set(items.map((x) => x.row)).size).toBe(1);
        const seats = items.map((x) => x.seat!).sort((a, b) => a - b);
        expect(seats[3]! - seats[0]!).toBe(3);
      }
      const all = held.flatMap((o) => unitsOf(o.body));
      expect(new Set(all).size).toBe(all.length);
      const db = await h.sql<{ unit_id: string; order_id: string }>(
        `SELECT unit_id, order_id FROM units WHERE event_id = $1 AND category_id = 'stalls' AND status = 'held'`,
        [race.eventId],
      );
      expect(db.map((u) => u.unit_id).sort()).toEqual(all.sort());
      expect(await orders(race.eventId)).toBe(held.length);
    } finally {
      await other.stop();
    }
  });
});
