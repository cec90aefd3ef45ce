import { randomUUID } from 'node:crypto';
import { TOKENS, queryRows, type RunningService } from '@ticketslave/common';
import { FIRST_HOLD_SECONDS } from '../src/domain/admission-rules';
import { eventually, readTopic } from '@ticketslave/dev/test-support';
import { connectFan, createHarness, newEventId, snapshot, type Harness } from './queue-harness';

describe('queue: fans, turns and claims', () => {
  let h: Harness;
  let svc: RunningService;

  beforeAll(async () => {
    h = await createHarness('qfans');
    // COOKIE_SECURE overrides NODE_ENV (test here) for the admission cookie too.
    svc = await h.start({ QUEUE_MIN_CLAIM_SECONDS: '2', COOKIE_SECURE: 'true' });
  });
  afterAll(async () => h.close());

  const fans = (eventId: string) =>
    queryRows<{ user_id: string; status: string; queue_number: number }>(
      svc.kit.ds,
      `SELECT user_id, status, queue_number FROM fans WHERE event_id = $1 ORDER BY queue_number`,
      [eventId],
    );
  const cookies = async (userId: string, eventId: string, qn: number) =>
    `${await h.identity.queueTicketCookie(userId, eventId, qn)}; ${await h.identity.sessionCookie({ id: userId })}`;

  async function openEvent(eventId: string, n: number, queue = {}) {
    // Paused first so nobody's number comes up before the test has connected its fans.
    await h.publish('event.published', snapshot(eventId, queue));
    await eventually(
      async () =>
        (await queryRows(svc.kit.ds, `SELECT 1 FROM queue_events WHERE event_id = $1`, [eventId])).length,
    );
    await svc.kit.ds.query(`UPDATE queue_events SET paused = true WHERE event_id = $1`, [eventId]);
    await h.publish('queue.assigned', {
      eventId,
      late: false,
      assignments: Array.from({ length: n }, (_, i) => ({ userId: `u${i + 1}`, queueNumber: i + 1 })),
    });
    await eventually(async () => (await fans(eventId)).length === n);
  }
  const resume = (eventId: string) =>
    svc.kit.ds.query(`UPDATE queue_events SET paused = false WHERE event_id = $1`, [eventId]);

  describe('queue.assigned', () => {
    it('assigns the numbers of both message forms: { first, userIds } and the earlier assignments list', async () => {
      const compact = newEventId();
      const listed = newEventId();
      for (const eventId of [compact, listed]) {
        await h.publish('event.published', snapshot(eventId, {}));
        await eventually(
          async () =>
            (await queryRows(svc.kit.ds, `SELECT 1 FROM queue_events WHERE event_id = $1`, [eventId])).length,
        );
      }
      await h.publish('queue.assigned', { eventId: compact, late: false, first: 1, userIds: ['u1', 'u2'] });
      await h.publish('queue.assigned', { eventId: compact, late: true, first: 3, userIds: ['u3'] });
      await h.publish('queue.assigned', {
        eventId: listed,
        late: false,
        assignments: [
          { userId: 'u1', queueNumber: 1 },
          { userId: 'u2', queueNumber: 2 },
        ],
      });
      await eventually(async () => (await fans(compact)).length === 3 && (await fans(listed)).length === 2);
      expect((await fans(compact)).map((f) => [f.user_id, f.queue_number])).toEqual([
        ['u1', 1],
        ['u2', 2],
        ['u3', 3],
      ]);
      expect((await fans(listed)).map((f) => [f.user_id, f.queue_number])).toEqual([
        ['u1', 1],
        ['u2', 2],
      ]);
      const counter = await queryRows<{ last_number: number }>(
        svc.kit.ds,
        'SELECT last_number FROM queue_counters WHERE event_id = $1',
        [compact],
      );
      expect(counter[0]?.last_number).toBe(3);
    });
  });

  describe('WebSocket /queue/ws authentication', () => {
    it('refuses a missing, forged, expired or other-event queue ticket', async () => {
      const eventId = newEventId();
      const other = newEventId();
      const none = await connectFan(svc, eventId, '');
      expect((await none.closed).code).toBe(4401);

      const forged = (await h.identity.queueTicketCookie('u1', eventId, 1)).replace(/.{6}$/, 'AAAAAA');
      expect((await (await connectFan(svc, eventId, forged)).closed).code).toBe(4401);

      const expiredJwt = await h.identity.buffer.signer.sign(
        { evt: eventId, qn: 1 },
        {
          issuer: TOKENS.queueTicket.issuer,
          audience: TOKENS.queueTicket.audience,
          subject: 'u1',
          expiresAt: new Date(Date.now() - 1000),
          issuedAt: new Date(Date.now() - 60_000),
        },
      );
      expect((await (await connectFan(svc, eventId, `ts_qt_${eventId}=${expiredJwt}`)).closed).code).toBe(
        4401,
      );

      // A ticket for another event, planted under this event's cookie name.
      const otherJwt = (await h.identity.queueTicketCookie('u1', other, 1)).split('=')[1];
      expect((await (await connectFan(svc, eventId, `ts_qt_${eventId}=${otherJwt}`)).closed).code).toBe(4403);

      // A ticket signed by the queue's key, not buffer's, is not a queue ticket.
      const wrongIssuer = await h.identity.queue.signer.sign(
        { evt: eventId, qn: 1 },
        {
          issuer: TOKENS.queueTicket.issuer,
          audience: TOKENS.queueTicket.audience,
          subject: 'u1',
          expiresAt: new Date(Date.now() + 60_000),
        },
      );
      expect((await (await connectFan(svc, eventId, `ts_qt_${eventId}=${wrongIssuer}`)).closed).code).toBe(
        4401,
      );
    });

    it('refuses the same on the claim API, with problem+json and nothing changed', async () => {
      const eventId = newEventId();
      await openEvent(eventId, 1);
      const session = await h.identity.sessionCookie({ id: 'u1' });
      const otherJwt = (await h.identity.queueTicketCookie('u1', newEventId(), 1)).split('=')[1];
      const r = await fetch(`${svc.url}/queue/api/events/${eventId}/admission`, {
        method: 'POST',
        headers: { cookie: `${session}; ts_qt_${eventId}=${otherJwt}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(r.status).toBe(403);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      const me = await fetch(`${svc.url}/queue/api/events/${eventId}/me`, { headers: { cookie: session } });
      expect(me.status).toBe(401);
      // Someone else's ticket with my session.
      const theirs = await h.identity.queueTicketCookie('u2', eventId, 1);
      const r2 = await fetch(`${svc.url}/queue/api/events/${eventId}/admission`, {
        method: 'POST',
        headers: { cookie: `${session}; ${theirs}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(r2.status).toBe(403);
      expect((await fans(eventId)).map((f) => f.status)).toEqual(['waiting']);
    });
  });

  describe('GET /queue/api/places/me', () => {
    const placesOf = async (userId: string) => {
      const r = await fetch(`${svc.url}/queue/api/places/me`, {
        headers: { cookie: await h.identity.sessionCookie({ id: userId }) },
      });
      return { status: r.status, body: (await r.json()) as { places: Record<string, unknown>[] } };
    };
    async function place(eventId: string, status: string, set = '') {
      await h.publish('event.published', snapshot(eventId));
      await h.publish('queue.assigned', {
        eventId,
        late: false,
        assignments: [
          { userId: 'mq-other', queueNumber: 1 },
          { userId: 'mq-fan', queueNumber: 2 },
        ],
      });
      await eventually(async () => (await fans(eventId)).length === 2);
      await eventually(
        async () =>
          (await queryRows(svc.kit.ds, `SELECT 1 FROM queue_events WHERE event_id = $1`, [eventId])).length,
      );
      // Paused so the admitter leaves the statuses this test sets.
      await svc.kit.ds.query(`UPDATE queue_events SET paused = true WHERE event_id = $1`, [eventId]);
      await svc.kit.ds.query(`UPDATE fans SET status = $3 ${set} WHERE event_id = $1 AND user_id = $2`, [
        eventId,
        'mq-fan',
        status,
      ]);
    }

    it("when a fan is in several queues, lists each place with the queue's numbers: waiting, turn with its claim deadline, shopping with its end, a lapsed turn, an ended admission; never a cancelled event or another fan's place", async () => {
      const [waiting, turn, shopping, lapsed, ended, cancelled] = ['', '', '', '', '', ''].map(() =>
        newEventId(),
      );
      if (!waiting || !turn || !shopping || !lapsed || !ended || !cancelled) throw new Error('six event ids');
      await place(waiting, 'waiting');
      await place(turn, 'turn', ', turn_at = now()');
      await place(
        shopping,
        'admitted',
        `, turn_at = now(), admission_id = gen_random_uuid()::text, admission_expires_at = now() + interval '10 minutes'`,
      );
      await place(lapsed, 'lapsed', ', turn_at = now()');
      await place(
        ended,
        'admitted',
        `, turn_at = now(), admission_id = gen_random_uuid()::text, admission_expires_at = now() - interval '1 minute'`,
      );
      await place(cancelled, 'waiting');
      await svc.kit.ds.query(`UPDATE queue_events SET cancelled = true WHERE event_id = $1`, [cancelled]);
      await svc.kit.ds.query(`UPDATE queue_events SET serving = 1 WHERE event_id = $1`, [waiting]);

      const mine = await placesOf('mq-fan');
      expect(mine.status).toBe(200);
      const byEvent = new Map(mine.body.places.map((p) => [p.eventId, p]));
      expect([...byEvent.keys()].sort()).toEqual([waiting, turn, shopping, lapsed, ended].sort());
      expect(byEvent.get(waiting)).toMatchObject({
        queueNumber: 2,
        status: 'waiting',
        servingNumber: 1,
        lastNumber: 2,
        claimBy: null,
        admissionExpiresAt: null,
        paused: true,
      });
      expect(byEvent.get(turn)).toMatchObject({ status: 'turn', admissionExpiresAt: null });
      expect(Date.parse(byEvent.get(turn)!.claimBy as string)).toBeGreaterThan(Date.now());
      expect(byEvent.get(shopping)).toMatchObject({ status: 'admitted', claimBy: null });
      expect(Date.parse(byEvent.get(shopping)!.admissionExpiresAt as string)).toBeGreaterThan(Date.now());
      expect(byEvent.get(lapsed)).toMatchObject({
        status: 'lapsed',
        claimBy: null,
        admissionExpiresAt: null,
      });
      expect(byEvent.get(ended)).toMatchObject({ status: 'admitted' });
      expect(Date.parse(byEvent.get(ended)!.admissionExpiresAt as string)).toBeLessThan(Date.now());
      expect((await placesOf('mq-nowhere')).body.places).toEqual([]);
    });

    it('when the session is missing, answers 401 problem+json', async () => {
      const r = await fetch(`${svc.url}/queue/api/places/me`);
      expect(r.status).toBe(401);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
    });
  });

  it('gives turns in number order, parks the absent, and one claim makes one admission', async () => {
    const eventId = newEventId();
    await openEvent(eventId, 4, { admitRatePerMinute: 6000, awayGraceSeconds: 60 });
    const f1 = await connectFan(svc, eventId, await cookies('u1', eventId, 1));
    const f2 = await connectFan(svc, eventId, await cookies('u2', eventId, 2));
    const f4 = await connectFan(svc, eventId, await cookies('u4', eventId, 4));
    const hello = await f1.waitFor('hello');
    expect(hello).toMatchObject({ queueNumber: 1, status: 'waiting', servingNumber: 0, paused: true });
    await resume(eventId);

    const turn = await f1.waitFor('your_turn');
    await f2.waitFor('your_turn');
    await f4.waitFor('your_turn');
    expect(typeof turn.claimBy).toBe('string');
    expect((await fans(eventId)).map((f) => f.status)).toEqual(['turn', 'turn', 'parked', 'turn']);

    // Two tabs claim at once: exactly one admission, the same for both answers.
    const claim = () =>
      fetch(`${svc.url}/queue/api/events/${eventId}/admission`, {
        method: 'POST',
        headers: { cookie: f1Cookie, 'content-type': 'application/json', origin: 'http://localhost:8080' },
        body: '{}',
      });
    const f1Cookie = await cookies('u1', eventId, 1);
    const [a, b] = await Promise.all([claim(), claim()]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const [ja, jb] = (await Promise.all([a.json(), b.json()])) as {
      admissionId: string;
      redirectTo: string;
    }[];
    expect(ja!.admissionId).toBe(jb!.admissionId);
    expect(ja!.redirectTo).toBe(`/purchase/?event=${eventId}`);
    const setCookie = a.headers.get('set-cookie') ?? '';
    expect(setCookie).toContain(`ts_adm_${eventId}=`);
    expect(setCookie).toContain('Path=/purchase');
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('Secure');
    const admitted = await readTopic<{ payload: { admissionId: string; userId: string } }>(
      h.kafka.brokers,
      `${h.kafka.prefix}queue.admitted`,
      { until: (m) => m.length >= 1, timeoutMs: 5000 },
    );
    expect(admitted.map((m) => m.payload)).toEqual([
      expect.objectContaining({ userId: 'u1', admissionId: ja!.admissionId }),
    ]);

    // Claiming before one's turn is refused.
    const early = await fetch(`${svc.url}/queue/api/events/${eventId}/me`, {
      headers: { cookie: await cookies('u3', eventId, 3) },
    });
    expect(((await early.json()) as { status: string }).status).toBe('parked');
    [f1, f2, f4].forEach((f) => f.ws.close());
  });

  /** One shopping slot, two fans: u1's turn comes and u1 claims it, u2 waits. */
  async function oneSlotTwoFansFirstClaimed() {
    const eventId = newEventId();
    await openEvent(eventId, 2, { admitRatePerMinute: 6000, maxActiveShoppers: 1, awayGraceSeconds: 60 });
    const f1 = await connectFan(svc, eventId, await cookies('u1', eventId, 1));
    const f2 = await connectFan(svc, eventId, await cookies('u2', eventId, 2));
    await f1.waitFor('hello');
    await f2.waitFor('hello');
    await resume(eventId);
    await f1.waitFor('your_turn');
    const claimed = await fetch(`${svc.url}/queue/api/events/${eventId}/admission`, {
      method: 'POST',
      headers: {
        cookie: await cookies('u1', eventId, 1),
        'content-type': 'application/json',
        origin: 'http://localhost:8080',
      },
      body: '{}',
    });
    expect(claimed.status).toBe(200);
    const { admissionId } = (await claimed.json()) as { admissionId: string };
    return { eventId, f1, f2, admissionId };
  }

  it("keeps the shopping slot for a fan who held again within their admission: a late end of their older order frees nothing, the newer order's end does", async () => {
    const { eventId, f1, f2, admissionId } = await oneSlotTwoFansFirstClaimed();
    const order = (orderId: string) => ({
      orderId,
      eventId,
      userId: 'u1',
      admissionId,
      amountMinor: 5000,
      currency: 'EUR',
    });
    const [older, newer] = [randomUUID(), randomUUID()];
    const slot = async () =>
      (
        await queryRows<{ slot_released: boolean; current_order_id: string | null }>(
          svc.kit.ds,
          `SELECT slot_released, current_order_id FROM fans WHERE admission_id = $1`,
          [admissionId],
        )
      )[0];
    // The older order lapsed and the fan held again; the older order's end arrives last.
    await h.publish('order.created', {
      ...order(older),
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
    });
    await eventually(async () => (await slot())?.current_order_id === older);
    await h.publish('order.created', {
      ...order(newer),
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
    });
    await eventually(async () => (await slot())?.current_order_id === newer);
    await h.publish('order.expired', order(older));
    await new Promise((r) => setTimeout(r, 1500));
    expect(await slot()).toEqual({ slot_released: false, current_order_id: newer });
    expect((await fans(eventId)).map((f) => f.status)).toEqual(['admitted', 'waiting']);

    await h.publish('order.completed', order(newer));
    await f2.waitFor('your_turn');
    expect(await slot()).toEqual({ slot_released: true, current_order_id: newer });
    [f1, f2].forEach((f) => f.ws.close());
  });

  it('gives the slot of an admitted fan who never held to the next fan after FIRST_HOLD_SECONDS, not at the end of their window', async () => {
    const { eventId, f1, f2 } = await oneSlotTwoFansFirstClaimed();
    // u1 found nothing to hold and left: while the first-hold window runs, u1 keeps the one slot.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await fans(eventId)).map((f) => f.status)).toEqual(['admitted', 'waiting']);
    // The window has passed (the admission itself runs on, hold + 5 minutes): u2's turn comes.
    await svc.kit.ds.query(
      `UPDATE fans SET admitted_at = admitted_at - make_interval(secs => $2) WHERE event_id = $1 AND user_id = 'u1'`,
      [eventId, FIRST_HOLD_SECONDS + 1],
    );
    await f2.waitFor('your_turn');
    const [u1] = await queryRows<{ admission_expires_at: Date }>(
      svc.kit.ds,
      `SELECT admission_expires_at FROM fans WHERE event_id = $1 AND user_id = 'u1'`,
      [eventId],
    );
    expect(new Date(u1!.admission_expires_at).getTime()).toBeGreaterThan(Date.now() + 60_000);
    [f1, f2].forEach((f) => f.ws.close());
  });

  it('gives a parked fan who comes back within the grace the turn, and lapses one who does not', async () => {
    const eventId = newEventId();
    await openEvent(eventId, 3, { awayGraceSeconds: 2 });
    const f3 = await connectFan(svc, eventId, await cookies('u3', eventId, 3));
    await f3.waitFor('hello');
    await resume(eventId);
    await f3.waitFor('your_turn');
    expect((await fans(eventId)).map((f) => f.status)).toEqual(['parked', 'parked', 'turn']);

    const back = await connectFan(svc, eventId, await cookies('u1', eventId, 1));
    expect(await back.waitFor('hello')).toMatchObject({ status: 'turn' });
    await back.waitFor('your_turn');

    // u2 never returns: lapsed after the grace; connecting then is told so and closed with 4410.
    await eventually(async () => (await fans(eventId))[1]!.status === 'lapsed', { timeoutMs: 8000 });
    const late = await connectFan(svc, eventId, await cookies('u2', eventId, 2));
    await late.waitFor('lapsed');
    expect((await late.closed).code).toBe(4410);

    // u3 had the turn but never claimed: it lapses too, live on the open socket.
    await f3.waitFor('lapsed', 8000);
    expect((await f3.closed).code).toBe(4410);
    back.ws.close();
  });

  it('greets a crowd connecting at once (one batch): each their own number and presence, the newer tab of a fan wins', async () => {
    const eventId = newEventId();
    const n = 60;
    await openEvent(eventId, n);
    const crowd = await Promise.all(
      Array.from({ length: n }, async (_, i) =>
        connectFan(svc, eventId, await cookies(`u${i + 1}`, eventId, i + 1)),
      ),
    );
    const hellos = await Promise.all(crowd.map((f) => f.waitFor('hello')));
    expect(hellos.map((m) => m.queueNumber)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(hellos.every((m) => m.status === 'waiting')).toBe(true);
    const present = await queryRows<{ n: number }>(
      svc.kit.ds,
      `SELECT count(*)::int AS n FROM fans WHERE event_id = $1 AND conn_id IS NOT NULL AND last_seen_at IS NOT NULL`,
      [eventId],
    );
    expect(present[0]!.n).toBe(n);

    // Two tabs of one fan opened together: the later replaces the earlier, and the presence is the later's.
    const [a, b] = await Promise.all([
      connectFan(svc, eventId, await cookies('u1', eventId, 1)),
      connectFan(svc, eventId, await cookies('u1', eventId, 1)),
    ]);
    expect((await crowd[0]!.closed).code).toBe(4409);
    const [older, newer] = await Promise.race([
      a.closed.then(() => [a, b] as const),
      b.closed.then(() => [b, a] as const),
    ]);
    expect((await older.closed).code).toBe(4409);
    await newer.waitFor('hello');
    const u1Present = async () =>
      (
        await queryRows<{ conn_id: string | null }>(
          svc.kit.ds,
          `SELECT conn_id FROM fans WHERE event_id = $1 AND user_id = 'u1'`,
          [eventId],
        )
      )[0]?.conn_id !== null;
    // The older tabs closing (and taking back only their own presence) leaves the newer's in
    // place for as long as it is open; the newer closing takes it back: the presence was the newer's.
    for (let i = 0; i < 10; i++) {
      expect(await u1Present()).toBe(true);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(newer.ws.readyState).toBe(newer.ws.OPEN);
    newer.ws.close();
    await eventually(async () => !(await u1Present()));
    for (const f of crowd.slice(1)) f.ws.close();
  });

  it('replaces an older connection of the same fan with 4409', async () => {
    const eventId = newEventId();
    await openEvent(eventId, 1);
    const first = await connectFan(svc, eventId, await cookies('u1', eventId, 1));
    await first.waitFor('hello');
    const second = await connectFan(svc, eventId, await cookies('u1', eventId, 1));
    expect((await first.closed).code).toBe(4409);
    await second.waitFor('hello');
    second.ws.close();
  });

  it('tells everyone when the event sells out, and pauses while all that is left is in carts', async () => {
    const eventId = newEventId();
    await openEvent(eventId, 3);
    const f3 = await connectFan(svc, eventId, await cookies('u3', eventId, 3));
    await f3.waitFor('hello');
    await f3.waitFor('progress', 15_000);
    await h.publish('inventory.changed', { eventId, available: 0, held: 5, sold: 95 });
    await eventually(
      async () =>
        (
          await queryRows(svc.kit.ds, `SELECT 1 FROM queue_events WHERE event_id = $1 AND in_carts`, [
            eventId,
          ])
        ).length,
    );
    await resume(eventId);
    const again = await connectFan(svc, eventId, await cookies('u2', eventId, 2));
    expect(await again.waitFor('hello')).toMatchObject({ paused: true, pauseReason: 'in_carts' });
    await new Promise((r) => setTimeout(r, 500));
    expect((await fans(eventId)).map((f) => f.status)).toEqual(['waiting', 'waiting', 'waiting']);
    await h.publish('inventory.changed', { eventId, available: 0, held: 0, sold: 100 });
    await f3.waitFor('sold_out', 8000);
    await again.waitFor('sold_out', 8000);
    // Carts expire and seats come back: admission resumes in order.
    await h.publish('inventory.changed', { eventId, available: 5, held: 0, sold: 95 });
    await f3.waitFor('resumed', 8000);
    await f3.waitFor('your_turn', 8000);
    const types = f3.messages.map((m) => m.type);
    expect(types.indexOf('resumed')).toBeGreaterThan(types.indexOf('sold_out'));
    again.ws.close();
    f3.ws.close();
  });
});
