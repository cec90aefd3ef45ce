import { TokenVerifier } from '@ticketslave/common';
import { entrantHash } from '@ticketslave/draw';
import { JOIN_MANY_SQL } from '../src/data/pg-buffer-store';
import { fan, join, startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('bufjoin');
});
afterAll(() => h?.stop());

describe('POST /buffer/api/events/:id/entries', () => {
  it('when the same fan joins twice, returns the same entry and a receipt anyone can verify', async () => {
    const event = await h.createEvent();
    const first = await join(h, event.eventId, 'fan-a');
    expect(first.status).toBe(201);
    expect(first.body.entry).toMatchObject({ eventId: event.eventId, late: false, queueNumber: null });
    const second = await join(h, event.eventId, 'fan-a');
    expect(second.status).toBe(201);
    expect(second.body.entry).toEqual(first.body.entry);

    const claims = await new TokenVerifier(`${h.service.url}/buffer/.well-known/jwks.json`).verify(
      'joinReceipt',
      second.body.receipt,
    );
    const { rows } = await h.pg.query('SELECT salt FROM buffer_events WHERE event_id = $1', [event.eventId]);
    expect(claims).toMatchObject({
      sub: 'fan-a',
      evt: event.eventId,
      jat: Date.parse(first.body.entry.joinedAt),
      eh: entrantHash(rows[0].salt, 'fan-a'),
    });
    const { rows: count } = await h.pg.query('SELECT count(*)::int AS n FROM entries WHERE event_id = $1', [
      event.eventId,
    ]);
    expect(count[0].n).toBe(1);
  });

  it('when the same fan joins many times at once, keeps exactly one entry', async () => {
    const event = await h.createEvent();
    const answers = await Promise.all(Array.from({ length: 8 }, () => join(h, event.eventId, 'fan-burst')));
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([201]));
    expect(new Set(answers.map((a) => a.body.entry.joinedAt)).size).toBe(1);
  });

  it('when many fans join at once (batched), gives each their own entry and receipt', async () => {
    const event = await h.createEvent();
    const users = Array.from({ length: 150 }, (_, i) => `fan-many-${i}`);
    const answers = await Promise.all(users.map((u) => join(h, event.eventId, u)));
    expect(answers.map((a) => a.status)).toEqual(users.map(() => 201));
    const { rows } = await h.pg.query('SELECT salt FROM buffer_events WHERE event_id = $1', [event.eventId]);
    const verifier = new TokenVerifier(`${h.service.url}/buffer/.well-known/jwks.json`);
    for (const [i, a] of answers.entries()) {
      const claims = await verifier.verify('joinReceipt', a.body.receipt);
      expect(claims).toMatchObject({ sub: users[i], eh: entrantHash(rows[0].salt, users[i]!) });
      expect(a.body.entry).toMatchObject({ late: false, queueNumber: null });
    }
    const { rows: count } = await h.pg.query('SELECT count(*)::int AS n FROM entries WHERE event_id = $1', [
      event.eventId,
    ]);
    expect(count[0].n).toBe(users.length);
  });

  it('refuses an account whose e-mail is not verified, and records nothing', async () => {
    const event = await h.createEvent();
    const res = await h.api(`/buffer/api/events/${event.eventId}/entries`, {
      method: 'POST',
      cookie: await fan(h, 'fan-unverified', { emailVerified: false }),
      body: {},
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.type).toMatch(/email_not_verified$/);
    const { rows } = await h.pg.query('SELECT 1 FROM entries WHERE user_id = $1', ['fan-unverified']);
    expect(rows).toHaveLength(0);
  });

  it('refuses without a session (401) and with a malformed event id (400)', async () => {
    const event = await h.createEvent();
    const anon = await h.api(`/buffer/api/events/${event.eventId}/entries`, { method: 'POST', body: {} });
    expect(anon.status).toBe(401);
    const bad = await h.api('/buffer/api/events/not-a-uuid/entries', {
      method: 'POST',
      cookie: await fan(h, 'fan-x'),
      body: {},
    });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(/UUID/);
  });

  it('answers 404 for an unknown event and 409 for a draft or a cancelled one', async () => {
    const unknown = await join(h, '00000000-0000-4000-8000-000000000000', 'fan-b');
    expect(unknown.status).toBe(404);
    expect(unknown.body.detail).toMatch(/No such event/);

    const draft = await h.createEvent({ status: 'draft' });
    const toDraft = await join(h, draft.eventId, 'fan-b');
    expect(toDraft.status).toBe(409);
    expect(toDraft.body.type).toMatch(/event_not_joinable$/);

    const cancelled = await h.createEvent();
    await h.publish('event.cancelled', { eventId: cancelled.eventId, reason: 'venue flooded' });
    let res = await join(h, cancelled.eventId, 'fan-b');
    for (let i = 0; i < 100 && res.status === 201; i++) {
      // The cancellation arrives through Kafka; until then the join is legitimately accepted.
      await h.pg.query('DELETE FROM entries WHERE event_id = $1', [cancelled.eventId]);
      await new Promise((r) => setTimeout(r, 200));
      res = await join(h, cancelled.eventId, 'fan-b');
    }
    expect(res.status).toBe(409);
    expect(res.body.type).toMatch(/event_cancelled$/);
    const state = await h.api(`/buffer/api/events/${cancelled.eventId}`);
    expect(state.body.cancelled).toBe(true);
  });

  it('rate-limits one fan hammering the join', async () => {
    const event = await h.createEvent();
    const cookie = await fan(h, 'fan-hammer');
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++)
      statuses.push(
        (await h.api(`/buffer/api/events/${event.eventId}/entries`, { method: 'POST', cookie, body: {} }))
          .status,
      );
    expect(statuses.slice(0, 10).every((s) => s === 201)).toBe(true);
    expect(statuses).toContain(429);
  });
});

describe('GET /buffer/api/events/:id', () => {
  it('publishes the commitment from first sight and counts entrants', async () => {
    const event = await h.createEvent({ bufferGraceSeconds: 90 });
    await join(h, event.eventId, 'fan-c');
    const res = await h.api(`/buffer/api/events/${event.eventId}`);
    expect(res.body).toMatchObject({ eventId: event.eventId, state: 'open', entrants: 1, cancelled: false });
    expect(res.body.commitment).toMatch(/^[0-9a-f]{64}$/);
    expect(Date.parse(res.body.closesAt)).toBe(Date.parse(event.saleStartsAt) + 90_000);
    expect(res.body.total).toBeUndefined();
  });

  it('keeps the commitment when feed updates the event', async () => {
    const event = await h.createEvent();
    const before = (await h.api(`/buffer/api/events/${event.eventId}`)).body;
    const later = new Date(Date.parse(event.saleStartsAt) + 3600_000).toISOString();
    await h.publish('event.updated', { ...event, version: 2, saleStartsAt: later });
    await h.publish('event.updated', { ...event, version: 1, saleStartsAt: event.startsAt });
    let after = before;
    for (let i = 0; i < 100 && after.closesAt === before.closesAt; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = (await h.api(`/buffer/api/events/${event.eventId}`)).body;
    }
    expect(after.closesAt).toBe(later);
    expect(after.commitment).toBe(before.commitment);
  });
});

describe('GET /buffer/api/events/:id/entries/me', () => {
  it('answers 404 before I join and gives no ticket before the draw', async () => {
    const event = await h.createEvent();
    const cookie = await fan(h, 'fan-d');
    expect((await h.api(`/buffer/api/events/${event.eventId}/entries/me`, { cookie })).status).toBe(404);
    await join(h, event.eventId, 'fan-d');
    const me = await h.api(`/buffer/api/events/${event.eventId}/entries/me`, { cookie });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ late: false, queueNumber: null });
    expect(me.headers.get('set-cookie')).toBeNull();
  });
});

describe('a join batch in PostgreSQL', () => {
  it('reads back only its own fans, however big the event grew after the connection planned it', async () => {
    const event = await h.createEvent();
    const { rows } = await h.pg.query('SELECT salt FROM buffer_events WHERE event_id = $1', [event.eventId]);
    const salt = rows[0].salt as string;
    const joinMany = (users: string[]) =>
      h.pg.query(JOIN_MANY_SQL, [
        event.eventId,
        users,
        users.map((u) => entrantHash(salt, u)),
        ['published'],
      ]);
    // The function's plans are made on this connection's first call, with the event empty:
    // that is how a service's pooled connections meet a sale.
    await joinMany(['first-fan']);
    await h.pg.query(
      `INSERT INTO entries (event_id, user_id, entrant_hash, late)
       SELECT $1, 'crowd-' || i, encode(sha256(('crowd-' || i)::bytea), 'hex'), false
       FROM generate_series(1, 20000) i`,
      [event.eventId],
    );

    const plans: string[] = [];
    const onNotice = (n: { message?: string }) => plans.push(n.message ?? '');
    h.pg.on('notice', onNotice);
    try {
      await h.pg.query("LOAD 'auto_explain'");
      await h.pg.query(
        'SET auto_explain.log_min_duration = 0; SET auto_explain.log_analyze = on; ' +
          'SET auto_explain.log_nested_statements = on; SET client_min_messages = log',
      );
      const res = await joinMany(['late-a', 'late-b', 'crowd-7']);
      const entries = (res.rows[0].joined as { entries: { entry: { user_id: string }; created: boolean }[] })
        .entries;
      expect(entries.map((e) => [e.entry.user_id, e.created]).sort()).toEqual([
        ['crowd-7', false],
        ['late-a', true],
        ['late-b', true],
      ]);
    } finally {
      await h.pg.query('RESET client_min_messages; RESET auto_explain.log_min_duration');
      h.pg.off('notice', onNotice);
    }
    const readBack = plans.filter((p) => p.includes('FROM entries e'));
    expect(readBack.length).toBeGreaterThan(0);
    // Rows read per statement stay in the tens (index lookups of three fans), never the event's 20,000.
    for (const plan of plans) {
      const scanned = [
        ...plan.matchAll(/(?:Rows Removed by Filter|actual time=[\d.]+\.\.[\d.]+ rows)[:=] ?(\d+)/g),
      ];
      for (const m of scanned) expect(Number(m[1])).toBeLessThan(100);
    }
  });
});
