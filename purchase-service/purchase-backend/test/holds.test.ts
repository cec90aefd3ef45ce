import { randomUUID } from 'node:crypto';
import {
  generateSigningJwks,
  preparedStatements,
  systemClock,
  TokenSigner,
  TOKENS,
  type AppError,
  type Envelope,
  type PreparedStatements,
} from '@ticketslave/common';
import { PgHoldStore } from '../src/data/hold-store';
import { holdSeats } from '../src/domain/holds';
import type { OrderView } from '../src/domain/orders';
import { eventually, readTopic } from '@ticketslave/dev/test-support';
import { call, queriesWhile, seat, snapshot, startHarness, type Harness } from './harness';

let h: Harness;
const snap = snapshot();
const E = snap.eventId;

beforeAll(async () => {
  h = await startHarness('holds');
  await h.publishEvent(snap);
}, 60_000);
afterAll(() => h?.stop());

const heldCount = async () =>
  (
    await h.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM units WHERE event_id = $1 AND status <> 'available'`,
      [E],
    )
  )[0]!.n;

describe('GET /purchase/api/events/:id/seatmap', () => {
  it('describes every seat of the published layout with categories, prices and counts', async () => {
    const r = await call(h, 'GET', `/events/${E}/seatmap`);
    expect(r.status).toBe(200);
    const sections = r.body.sections as { name: string; rows: { label: string; seats: string }[] }[];
    expect(sections).toHaveLength(1);
    expect(sections[0]!.rows.map((x) => x.label)).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect(sections[0]!.rows[0]!.seats).toBe('a'.repeat(20));
    const cats = r.body.categories as {
      id: string;
      capacity: number;
      available: number;
      priceMinor: number;
    }[];
    expect(cats.map((c) => [c.id, c.capacity, c.available, c.priceMinor])).toEqual([
      ['stalls', 100, 100, 5000],
      ['standing', 50, 50, 3000],
    ]);
  });

  it('answers 404 problem+json for an unknown event', async () => {
    const r = await call(h, 'GET', `/events/${randomUUID()}/seatmap`);
    expect(r.status).toBe(404);
    expect(r.body.type).toMatch(/event_not_found/);
  });
});

describe('POST /purchase/api/events/:id/holds', () => {
  it('holds chosen seats, creates a pending order with its expiry and emits order.created', async () => {
    const cookie = await h.fan('u-hold', E);
    const r = await call(h, 'POST', `/events/${E}/holds`, cookie, { seats: [seat('A', 2), seat('A', 1)] });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ status: 'pending_payment', amountMinor: 10000, currency: 'EUR' });
    expect((r.body.items as { unitId: string }[]).map((i) => i.unitId)).toEqual([seat('A', 1), seat('A', 2)]);
    const left = new Date(r.body.expiresAt as string).getTime() - Date.now();
    expect(left).toBeGreaterThan(290_000);
    expect(left).toBeLessThanOrEqual(300_000);
    const map = await call(h, 'GET', `/events/${E}/seatmap`);
    expect((map.body.sections as { rows: { seats: string }[] }[])[0]!.rows[0]!.seats.slice(0, 3)).toBe('hha');
    const msgs = await readTopic<Envelope<'order.created'>>(
      h.kafka.brokers,
      `${h.kafka.prefix}order.created`,
      {
        until: (m) => m.some((x) => x.payload.orderId === r.body.orderId),
      },
    );
    expect(msgs.find((x) => x.payload.orderId === r.body.orderId)!.payload).toMatchObject({
      eventId: E,
      userId: 'u-hold',
      amountMinor: 10000,
      expiresAt: r.body.expiresAt,
    });
  });

  it('refuses seats someone holds with 409 listing them, and holds none of the others', async () => {
    const before = await heldCount();
    const r = await call(h, 'POST', `/events/${E}/holds`, await h.fan('u-late', E), {
      seats: [seat('A', 2), seat('A', 3)],
    });
    expect(r.status).toBe(409);
    expect(r.body.taken).toEqual([seat('A', 2)]);
    expect(await heldCount()).toBe(before);
    expect(await h.sql(`SELECT 1 FROM orders WHERE user_id = 'u-late'`)).toHaveLength(0);
  });

  it('picks the best available places of a general-admission category', async () => {
    const r = await call(h, 'POST', `/events/${E}/holds`, await h.fan('u-ga', E), {
      categoryId: 'standing',
      quantity: 3,
    });
    expect(r.status).toBe(201);
    expect((r.body.items as { unitId: string }[]).map((i) => i.unitId).sort()).toEqual(
      ['standing/ga/1', 'standing/ga/2', 'standing/ga/3'].sort(),
    );
    expect(r.body.amountMinor).toBe(9000);
  });

  it('when a second account of the same inbox (plus tag) holds seats, refuses it with 409: the limit is per person', async () => {
    const as = async (id: string, email: string) =>
      call(h, 'POST', `/events/${E}/holds`, await h.fan(id, E, { email }), {
        categoryId: 'standing',
        quantity: 1,
      });
    const before = await heldCount();
    expect((await as('u-person-1', 'Pat.Fan+one@example.org')).status).toBe(201);
    const second = await as('u-person-2', 'pat.fan+two@EXAMPLE.org');
    expect(second.status).toBe(409);
    expect(second.body.type).toMatch(/person_has_account$/);
    expect(second.body.detail).toMatch(/one person, one place/);
    expect(await heldCount()).toBe(before + 1);
    // The first account goes on buying; another inbox is another person.
    expect((await as('u-person-1', 'pat.fan@example.org')).status).toBe(201);
    expect((await as('u-person-3', 'pat.fan@example.com')).status).toBe(201);
    expect(
      await h.sql(
        `SELECT person, user_id FROM order_persons WHERE event_id = $1 AND person LIKE 'pat.fan@%' ORDER BY person`,
        [E],
      ),
    ).toEqual([
      { person: 'pat.fan@example.com', user_id: 'u-person-3' },
      { person: 'pat.fan@example.org', user_id: 'u-person-1' },
    ]);
  });

  it('when a hold is refused, claims nothing for the person (found by the robustness run)', async () => {
    const cookie = await h.fan('u-person-refused', E, { email: 'refused.person@example.org' });
    const r = await call(h, 'POST', `/events/${E}/holds`, cookie, { seats: ['no/such/seat'] });
    expect(r.status).toBe(400);
    expect(
      await h.sql(
        `SELECT 1 FROM order_persons WHERE event_id = $1 AND person = 'refused.person@example.org'`,
        [E],
      ),
    ).toEqual([]);
  });

  it('when two accounts of one inbox hold at the same moment, one gets the seats and the other 409', async () => {
    const answers = await Promise.all(
      ['u-person-race-1', 'u-person-race-2', 'u-person-race-3'].map(async (id, i) =>
        call(h, 'POST', `/events/${E}/holds`, await h.fan(id, E, { email: `race.person+${i}@example.org` }), {
          categoryId: 'standing',
          quantity: 1,
        }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409]);
    const claims = await h.sql<{ user_id: string }>(
      `SELECT user_id FROM order_persons WHERE event_id = $1 AND person = 'race.person@example.org'`,
      [E],
    );
    expect(claims).toHaveLength(1);
    const winner = answers.findIndex((a) => a.status === 201);
    expect(claims[0]!.user_id).toBe(`u-person-race-${winner + 1}`);
  });

  it('enforces the per-user limit across orders of the same fan', async () => {
    const first = await call(h, 'POST', `/events/${E}/holds`, await h.fan('u-limit', E), {
      categoryId: 'standing',
      quantity: 5,
    });
    expect(first.status).toBe(201);
    const second = await call(h, 'POST', `/events/${E}/holds`, await h.fan('u-limit', E), {
      seats: [seat('E', 1), seat('E', 2)],
    });
    expect(second.status).toBe(409);
    expect(second.body.type).toMatch(/limit_exceeded/);
    expect(
      await h.sql(`SELECT 1 FROM units WHERE event_id = $1 AND unit_id = $2 AND status = 'available'`, [
        E,
        seat('E', 1),
      ]),
    ).toHaveLength(1);
  });

  describe('refuses without a valid admission of this fan, holding nothing', () => {
    const attempt = async (cookie: string | undefined) => {
      const before = await heldCount();
      const r = await call(h, 'POST', `/events/${E}/holds`, cookie, { seats: [seat('D', 10)] });
      expect(await heldCount()).toBe(before);
      return r;
    };
    it('no session', async () => {
      expect((await attempt(undefined)).status).toBe(401);
    });
    it('no admission cookie', async () => {
      const r = await attempt(await h.identity.sessionCookie({ id: 'u-x' }));
      expect(r.status).toBe(401);
      expect(r.body.type).toMatch(/missing_admission/);
    });
    it('forged admission (signed by a key queue does not publish)', async () => {
      const forger = await TokenSigner.fromJwks(await generateSigningJwks('test-queue'));
      const jwt = await forger.sign(
        { evt: E, aid: randomUUID() },
        {
          issuer: TOKENS.admission.issuer,
          audience: TOKENS.admission.audience,
          subject: 'u-x',
          expiresAt: new Date(Date.now() + 60_000),
        },
      );
      const r = await attempt(`${await h.identity.sessionCookie({ id: 'u-x' })}; ts_adm_${E}=${jwt}`);
      expect(r.status).toBe(401);
      expect(r.body.type).toMatch(/invalid_token/);
    });
    it('expired admission', async () => {
      const adm = await h.identity.admissionCookie('u-x', E, randomUUID(), -10);
      const r = await attempt(`${await h.identity.sessionCookie({ id: 'u-x' })}; ${adm}`);
      expect(r.status).toBe(401);
      expect(r.body.type).toMatch(/token_expired/);
    });
    it("another fan's admission", async () => {
      const adm = await h.identity.admissionCookie('u-owner', E, randomUUID());
      const r = await attempt(`${await h.identity.sessionCookie({ id: 'u-thief' })}; ${adm}`);
      expect(r.status).toBe(403);
      expect(r.body.type).toMatch(/not_your_admission/);
    });
    it('an admission for another event, presented under this event’s cookie name', async () => {
      const other = (await h.identity.admissionCookie('u-x', randomUUID(), randomUUID())).split('=')[1];
      const r = await attempt(`${await h.identity.sessionCookie({ id: 'u-x' })}; ts_adm_${E}=${other}`);
      expect(r.status).toBe(403);
      expect(r.body.type).toMatch(/wrong_event/);
    });
    it('an admission already used for an order', async () => {
      const aid = randomUUID();
      const cookie = await h.fan('u-twice', E, { admissionId: aid });
      expect((await call(h, 'POST', `/events/${E}/holds`, cookie, { seats: [seat('C', 1)] })).status).toBe(
        201,
      );
      const r = await attempt(cookie);
      expect(r.status).toBe(409);
      expect(r.body.type).toMatch(/admission_used/);
    });
  });

  it("shows the fan's purchase window before a hold: when the admission ends, how long a hold lasts, and the order in progress", async () => {
    const aid = randomUUID();
    const session = await h.identity.sessionCookie({ id: 'u-window' });
    const cookie = `${session}; ${await h.identity.admissionCookie('u-window', E, aid, 600)}`;
    const before = await call(h, 'GET', `/events/${E}/admission`, cookie);
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ admissionId: aid, holdSeconds: 300, orderId: null });
    const endsIn = Date.parse(String(before.body.expiresAt)) - Date.now();
    expect(endsIn).toBeGreaterThan(590_000);
    expect(endsIn).toBeLessThanOrEqual(600_000);

    const held = await call(h, 'POST', `/events/${E}/holds`, cookie, { seats: [seat('D', 15)] });
    expect(held.status).toBe(201);
    const after = await call(h, 'GET', `/events/${E}/admission`, cookie);
    expect(after.body).toMatchObject({ orderId: (held.body as { orderId: string }).orderId });

    const none = await call(h, 'GET', `/events/${E}/admission`, session);
    expect(none.status).toBe(401);
    expect(none.body.type).toMatch(/missing_admission/);
    const theirs = await call(
      h,
      'GET',
      `/events/${E}/admission`,
      `${await h.identity.sessionCookie({ id: 'u-thief' })}; ${await h.identity.admissionCookie('u-window', E, aid)}`,
    );
    expect(theirs.status).toBe(403);
  });

  it('rejects malformed bodies and unknown seats with 400 problem+json', async () => {
    const cookie = await h.fan('u-bad', E);
    for (const body of [{}, { seats: [] }, { seats: 'A1' }, { categoryId: 'standing', quantity: 0 }]) {
      const r = await call(h, 'POST', `/events/${E}/holds`, cookie, body);
      expect(r.status).toBe(400);
    }
    const r = await call(h, 'POST', `/events/${E}/holds`, cookie, { seats: ['stalls/Main/Z/99'] });
    expect(r.status).toBe(400);
    expect(r.body.detail).toMatch(/stalls\/Main\/Z\/99/);
    expect(await h.sql(`SELECT 1 FROM orders WHERE user_id = 'u-bad'`)).toHaveLength(0);
  });
});

describe('DELETE /purchase/api/orders/:id/hold', () => {
  it('lets the owner release early: seats free, order cancelled, order.cancelled emitted once (a repeated release answers 204 and changes nothing); others get 404', async () => {
    const cookie = await h.fan('u-rel', E);
    const held = await call(h, 'POST', `/events/${E}/holds`, cookie, { seats: [seat('B', 5)] });
    const id = held.body.orderId as string;
    expect((await call(h, 'DELETE', `/orders/${id}/hold`, await h.fan('u-other', E))).status).toBe(404);
    expect((await call(h, 'DELETE', `/orders/${id}/hold`, cookie)).status).toBe(204);
    expect((await call(h, 'GET', `/orders/${id}`, cookie)).body).toMatchObject({
      status: 'cancelled',
      reason: 'released',
    });
    expect(
      await h.sql(`SELECT 1 FROM units WHERE event_id = $1 AND unit_id = $2 AND status = 'available'`, [
        E,
        seat('B', 5),
      ]),
    ).toHaveLength(1);
    // The answer lost and the page retrying: released already, so done again.
    expect((await call(h, 'DELETE', `/orders/${id}/hold`, cookie)).status).toBe(204);
    const other = (await call(h, 'POST', `/events/${E}/holds`, cookie, { seats: [seat('B', 6)] })).body
      .orderId as string;
    expect((await call(h, 'DELETE', `/orders/${other}/hold`, cookie)).status).toBe(204);
    // Both releases' messages are out once the second order's is; the first order has one.
    const msgs = await readTopic<Envelope<'order.cancelled'>>(
      h.kafka.brokers,
      `${h.kafka.prefix}order.cancelled`,
      {
        until: (m) => m.some((x) => x.payload.orderId === other),
      },
    );
    expect(msgs.filter((x) => x.payload.orderId === id).map((x) => x.payload.reason)).toEqual(['released']);
  });

  it('refuses to release an order that is no longer held, with 409', async () => {
    const cookie = await h.fan('u-rel-late', E);
    const held = await call(h, 'POST', `/events/${E}/holds`, cookie, { seats: [seat('B', 7)] });
    const id = held.body.orderId as string;
    await h.sql(`UPDATE orders SET status = 'expired', reason = 'hold_expired' WHERE order_id = $1`, [id]);
    const r = await call(h, 'DELETE', `/orders/${id}/hold`, cookie);
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({
      type: expect.stringMatching(/\/not_pending$/),
      detail: 'This order is expired; its seats cannot be released.',
    });
  });

  it('publishes coalesced inventory.changed counts', async () => {
    await eventually(
      async () => {
        const msgs = await readTopic<Envelope<'inventory.changed'>>(
          h.kafka.brokers,
          `${h.kafka.prefix}inventory.changed`,
          { timeoutMs: 3000 },
        );
        const last = msgs.filter((m) => m.payload.eventId === E).at(-1);
        const [counts] = await h.sql<{ held: number }>(
          `SELECT count(*) FILTER (WHERE status = 'held')::int AS held FROM units WHERE event_id = $1`,
          [E],
        );
        return (
          last &&
          last.payload.held === counts!.held &&
          last.payload.available + last.payload.held + last.payload.sold === 150
        );
      },
      { timeoutMs: 20_000 },
    );
  });
});

describe('holds in batches (hold_units_batch)', () => {
  /** A hold store on the service's own database, recording how many holds each statement ran. */
  const recorded = () => {
    const statements: number[] = [];
    const prepared = preparedStatements(h.svc.kit.ds);
    const db: Pick<PreparedStatements, 'transactionInTwo'> = {
      transactionInTwo: (first, then) => {
        if (/hold_units_batch/.test(first)) statements.push(first.match(/"admission":/g)?.length ?? 0);
        return prepared.transactionInTwo(first, then);
      },
    };
    return { statements, holds: new PgHoldStore(db, systemClock) };
  };
  const hold = (
    holds: PgHoldStore,
    eventId: string,
    userId: string,
    seats: string[],
    admissionId = randomUUID(),
  ) =>
    holdSeats(holds, {
      eventId,
      userId,
      email: `${userId}@example.com`,
      admissionId,
      selection: { seats },
    }).then(
      (order) => ({ ok: order }),
      (err: AppError) => ({ refused: err }),
    );

  it('when holds arrive together, then they share one statement and commit, each with its own answer in order', async () => {
    const snapB = snapshot();
    await h.publishEvent(snapB);
    const { statements, holds } = recorded();
    const sameAdmission = randomUUID();
    const [first, ...rest] = await Promise.all([
      hold(holds, snapB.eventId, 'b-first', [seat('A', 1)]),
      // These four arrive while the first is in flight and go as one batch.
      hold(holds, snapB.eventId, 'b-one', [seat('B', 1), seat('B', 2)], sameAdmission),
      hold(holds, snapB.eventId, 'b-two', [seat('B', 2), seat('B', 3)]),
      hold(holds, snapB.eventId, 'b-one', [seat('C', 1)], sameAdmission),
      hold(holds, snapB.eventId, 'b-three', [seat('C', 2), seat('C', 3), seat('C', 4)]),
    ]);
    expect(statements).toEqual([1, 4]);
    expect(first).toHaveProperty('ok');
    const [one, two, oneAgain, three] = rest;
    expect(one).toHaveProperty('ok');
    // B/2 was taken by the hold before it in the same batch: refused, and B/3 not held.
    expect(two).toMatchObject({
      refused: { status: 409, code: 'seats_taken', extensions: { taken: [seat('B', 2)] } },
    });
    expect(oneAgain).toMatchObject({ refused: { status: 409, code: 'admission_used' } });
    expect(three).toHaveProperty('ok');
    const held = await h.sql<{ unit_id: string; user_id: string }>(
      `SELECT u.unit_id, o.user_id FROM units u JOIN orders o USING (order_id)
       WHERE u.event_id = $1 AND u.status = 'held' ORDER BY u.unit_id`,
      [snapB.eventId],
    );
    expect(held.map((r) => [r.unit_id, r.user_id])).toEqual([
      [seat('A', 1), 'b-first'],
      [seat('B', 1), 'b-one'],
      [seat('B', 2), 'b-one'],
      [seat('C', 2), 'b-three'],
      [seat('C', 3), 'b-three'],
      [seat('C', 4), 'b-three'],
    ]);
    // Each order the batch made has its order.created, built from the order it wrote.
    const orders = [first, one, three].map((r) => (r as { ok: OrderView }).ok);
    const msgs = await readTopic<Envelope<'order.created'>>(
      h.kafka.brokers,
      `${h.kafka.prefix}order.created`,
      {
        until: (m) => orders.every((o) => m.some((x) => x.payload.orderId === o.orderId)),
      },
    );
    for (const o of orders)
      expect(msgs.find((x) => x.payload.orderId === o.orderId)!.payload).toEqual({
        orderId: o.orderId,
        eventId: snapB.eventId,
        userId: expect.stringMatching(/^b-/),
        admissionId: expect.any(String),
        amountMinor: o.amountMinor,
        currency: o.currency,
        expiresAt: o.expiresAt,
      });
  });

  it('when a batch fails, then its holds run one by one and only the failing hold fails', async () => {
    const snapC = snapshot();
    await h.publishEvent(snapC);
    const { statements, holds } = recorded();
    const [, good, bad, alsoGood] = await Promise.all([
      hold(holds, snapC.eventId, 'c-first', [seat('A', 1)]),
      hold(holds, snapC.eventId, 'c-good', [seat('A', 2)]),
      // Its message cannot be built: the batch's transaction rolls every hold of it back.
      holds
        .hold(
          {
            eventId: snapC.eventId,
            seats: [seat('A', 3)],
            category: null,
            together: false,
            standing: null,
            quantity: 1,
            userId: 'c-bad',
            email: 'c-bad@example.com',
            person: 'c-bad@example.com',
            admissionId: randomUUID(),
            orderId: randomUUID(),
          },
          () => {
            throw new Error('no message for this order');
          },
        )
        .then(
          (ok) => ({ ok }),
          (failed: Error) => ({ failed: failed.message }),
        ),
      hold(holds, snapC.eventId, 'c-good-too', [seat('A', 4)]),
    ]);
    expect(statements).toEqual([1, 3, 1, 1, 1]);
    expect(good).toHaveProperty('ok');
    expect(alsoGood).toHaveProperty('ok');
    expect(bad).toEqual({ failed: 'no message for this order' });
    const held = await h.sql<{ unit_id: string }>(
      `SELECT unit_id FROM units WHERE event_id = $1 AND status = 'held' ORDER BY unit_id`,
      [snapC.eventId],
    );
    expect(held.map((r) => r.unit_id)).toEqual([seat('A', 1), seat('A', 2), seat('A', 4)]);
  });

  it('when a batch holds, then its transaction is two round trips: BEGIN with the holds, the messages with COMMIT', async () => {
    const snapD = snapshot();
    await h.publishEvent(snapD);
    const holds = new PgHoldStore(preparedStatements(h.svc.kit.ds), systemClock);
    const { result, sent } = await queriesWhile(h, () => hold(holds, snapD.eventId, 'd-one', [seat('A', 1)]));
    expect(result).toHaveProperty('ok');
    const trips = sent.find((qs) => qs.some((q) => /hold_units_batch/.test(q)));
    expect(trips).toEqual([
      expect.stringMatching(/^BEGIN; SELECT hold_units_batch/),
      expect.stringMatching(/^INSERT INTO outbox/),
    ]);
  });
});
