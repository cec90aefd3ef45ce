import { TokenVerifier } from '@ticketslave/common';
import { entrantHash } from '@ticketslave/draw';
import { JOIN_MANY_SQL } from '../src/data/pg-buffer-store';
import { numbersPartition } from '../src/data/close-copy';
import {
  signedAltchaChallenge,
  solveAltcha,
  TEST_POW_HMAC_KEY,
  type AltchaChallengeJson,
} from '@ticketslave/dev/test-support';
import { fan, join, joinProof, startHarness, type Harness } from './harness';

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
      body: { altcha: await joinProof(h, event.eventId) },
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
    const nowhere = '00000000-0000-4000-8000-000000000000';
    expect((await h.api(`/buffer/api/events/${nowhere}/challenge`)).status).toBe(404);
    const other = await h.createEvent();
    const unknown = await h.api(`/buffer/api/events/${nowhere}/entries`, {
      method: 'POST',
      cookie: await fan(h, 'fan-b'),
      body: { altcha: await joinProof(h, other.eventId) },
    });
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
        (
          await h.api(`/buffer/api/events/${event.eventId}/entries`, {
            method: 'POST',
            cookie,
            body: { altcha: await joinProof(h, event.eventId) },
          })
        ).status,
      );
    expect(statuses.slice(0, 10).every((s) => s === 201)).toBe(true);
    expect(statuses).toContain(429);
  });
});

describe('one person, one place', () => {
  it('when a second account of the same inbox (plus tag, Gmail dots) joins, refuses it with 409 and keeps one entry', async () => {
    const event = await h.createEvent();
    const as = async (id: string, email: string) =>
      h.api(`/buffer/api/events/${event.eventId}/entries`, {
        method: 'POST',
        cookie: await h.identity.sessionCookie({ id, email }),
        body: { altcha: await joinProof(h, event.eventId) },
      });
    expect((await as('person-a1', 'Jo.Fan+presale@gmail.com')).status).toBe(201);
    for (const [id, email] of [
      ['person-a2', 'jofan+other@googlemail.com'],
      ['person-a3', 'j.o.f.a.n@gmail.com'],
    ] as const) {
      const res = await as(id, email);
      expect(res.status).toBe(409);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.type).toMatch(/person_already_joined$/);
      expect(res.body.detail).toMatch(/one person, one place/);
    }
    // The first account joining again keeps its place; someone else's inbox is another person.
    expect((await as('person-a1', 'jofan@gmail.com')).status).toBe(201);
    expect((await as('person-b', 'jofan@example.org')).status).toBe(201);
    const { rows } = await h.pg.query('SELECT user_id FROM entries WHERE event_id = $1 ORDER BY user_id', [
      event.eventId,
    ]);
    expect(rows.map((r: { user_id: string }) => r.user_id)).toEqual(['person-a1', 'person-b']);
    const { rows: persons } = await h.pg.query(
      'SELECT person FROM entry_persons WHERE event_id = $1 ORDER BY person',
      [event.eventId],
    );
    expect(persons.map((r: { person: string }) => r.person)).toEqual([
      'jofan@example.org',
      'jofan@gmail.com',
    ]);
  });
});

describe('the proof of work of a join', () => {
  const entriesOf = async (eventId: string) =>
    (await h.pg.query('SELECT count(*)::int AS n FROM entries WHERE event_id = $1', [eventId])).rows[0].n;
  const post = async (eventId: string, userId: string, body: unknown) =>
    h.api(`/buffer/api/events/${eventId}/entries`, { method: 'POST', cookie: await fan(h, userId), body });
  const expectRefused = (
    res: { status: number; body: { type: string; detail: string }; headers: Headers },
    code: string,
    detail: RegExp,
  ) => {
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.type).toMatch(new RegExp(`${code}$`));
    expect(res.body.detail).toMatch(detail);
  };

  it('when the solution is missing, refuses with 400 saying a proof of work is needed, and records nothing', async () => {
    const event = await h.createEvent();
    expectRefused(await post(event.eventId, 'pow-none', {}), 'invalid_request', /altcha.*proof of work/);
    expectRefused(await post(event.eventId, 'pow-none', { altcha: '' }), 'invalid_request', /proof of work/);
    expect(await entriesOf(event.eventId)).toBe(0);
  });

  it('when the number does not solve the challenge, refuses with 400 pow_invalid, and records nothing', async () => {
    const event = await h.createEvent();
    const solved = JSON.parse(Buffer.from(await joinProof(h, event.eventId), 'base64').toString()) as {
      number: number;
    };
    const wrong = Buffer.from(JSON.stringify({ ...solved, number: solved.number + 1 })).toString('base64');
    expectRefused(await post(event.eventId, 'pow-wrong', { altcha: wrong }), 'pow_invalid', /wrong/);
    expectRefused(
      await post(event.eventId, 'pow-wrong', { altcha: 'bm90IGpzb24=' }),
      'pow_malformed',
      /ALTCHA/,
    );
    expect(await entriesOf(event.eventId)).toBe(0);
  });

  it('when a solution is replayed, refuses it with 400 pow_spent, for the same fan and for another', async () => {
    const event = await h.createEvent();
    const altcha = await joinProof(h, event.eventId);
    expect((await post(event.eventId, 'pow-first', { altcha })).status).toBe(201);
    expectRefused(await post(event.eventId, 'pow-first', { altcha }), 'pow_spent', /used already/);
    expectRefused(await post(event.eventId, 'pow-second', { altcha }), 'pow_spent', /used already/);
    expect(await entriesOf(event.eventId)).toBe(1);
    const second = await h.startAnother();
    const res = await fetch(`${second.url}/buffer/api/events/${event.eventId}/entries`, {
      method: 'POST',
      headers: { cookie: await fan(h, 'pow-third'), 'content-type': 'application/json' },
      body: JSON.stringify({ altcha }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { type: string }).type).toMatch(/pow_spent$/);
  });

  it('when the challenge has expired, refuses with 400 pow_expired, and records nothing', async () => {
    const event = await h.createEvent();
    const expired = await signedAltchaChallenge(
      TEST_POW_HMAC_KEY,
      { for: 'join', event: event.eventId },
      { expiresInMs: -1000 },
    );
    expectRefused(
      await post(event.eventId, 'pow-late', { altcha: solveAltcha(expired) }),
      'pow_expired',
      /expired/,
    );
    expect(await entriesOf(event.eventId)).toBe(0);
  });

  it('when the solution was issued for another event, or signed with another key, refuses it', async () => {
    const event = await h.createEvent();
    const other = await h.createEvent();
    expectRefused(
      await post(event.eventId, 'pow-scope', { altcha: await joinProof(h, other.eventId) }),
      'pow_wrong_scope',
      /something else/,
    );
    const forged = await signedAltchaChallenge(
      'another-key-another-key-another-key',
      { for: 'join', event: event.eventId },
      { expiresInMs: 60_000 },
    );
    expectRefused(
      await post(event.eventId, 'pow-forged', { altcha: solveAltcha(forged) }),
      'pow_invalid',
      /wrong/,
    );
    expect(await entriesOf(event.eventId)).toBe(0);
  });

  it("issues challenges at the event's difficulty; once the organiser raises it, easier solutions are refused", async () => {
    const event = await h.createEvent({
      queue: {
        admitRatePerMinute: 100,
        maxActiveShoppers: 100,
        awayGraceSeconds: 60,
        joinPowMaxNumber: 1000,
      },
    });
    const easy = (await h.api(`/buffer/api/events/${event.eventId}/challenge`)).body as AltchaChallengeJson;
    expect(easy.maxnumber).toBe(1000);
    const easyAltcha = solveAltcha(easy);
    await h.publish('event.updated', {
      ...event,
      version: 2,
      queue: { ...event.queue, joinPowMaxNumber: 2000 },
    });
    // The new difficulty reaches the buffer through Kafka and its 2-second memory.
    let hard: AltchaChallengeJson | undefined;
    for (let i = 0; i < 100 && hard?.maxnumber !== 2000; i++) {
      await new Promise((r) => setTimeout(r, 200));
      hard = (await h.api(`/buffer/api/events/${event.eventId}/challenge`)).body as AltchaChallengeJson;
    }
    expect(hard!.maxnumber).toBe(2000);
    expectRefused(await post(event.eventId, 'pow-easy', { altcha: easyAltcha }), 'pow_too_easy', /raised/);
    expect((await post(event.eventId, 'pow-hard', { altcha: solveAltcha(hard!) })).status).toBe(201);
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

describe('GET /buffer/api/entries/me', () => {
  it("when a fan is in several queues, lists their current places only: numbered or waiting for the draw, never another fan's, a cancelled event's or a past show's", async () => {
    const [open, numbered, cancelled, past] = await Promise.all([
      h.createEvent(),
      h.createEvent(),
      h.createEvent(),
      h.createEvent(),
    ]);
    for (const e of [open, numbered, cancelled, past])
      expect((await join(h, e.eventId, 'fan-list')).status).toBe(201);
    await join(h, open.eventId, 'fan-other');
    // A number as a close writes it: in the event's own partition of `numbers`.
    await h.pg.query(
      `CREATE TABLE "${numbersPartition(numbered.eventId)}" PARTITION OF numbers FOR VALUES IN ('${numbered.eventId}')`,
    );
    await h.pg.query(`INSERT INTO numbers (event_id, queue_number, user_id) VALUES ($1, 7, 'fan-list')`, [
      numbered.eventId,
    ]);
    await h.pg.query(`UPDATE buffer_events SET status = 'cancelled' WHERE event_id = $1`, [
      cancelled.eventId,
    ]);
    await h.pg.query(`UPDATE buffer_events SET starts_at = now() - interval '1 hour' WHERE event_id = $1`, [
      past.eventId,
    ]);

    const mine = await h.api('/buffer/api/entries/me', { cookie: await fan(h, 'fan-list') });
    expect(mine.status).toBe(200);
    expect(
      (mine.body.entries as { eventId: string; queueNumber: number | null }[])
        .map((e) => [e.eventId, e.queueNumber])
        .sort(),
    ).toEqual(
      [
        [open.eventId, null],
        [numbered.eventId, 7],
      ].sort(),
    );
    const none = await h.api('/buffer/api/entries/me', { cookie: await fan(h, 'fan-nowhere') });
    expect(none).toMatchObject({ status: 200, body: { entries: [] } });
  });

  it('when the session is missing or the e-mail unverified, answers problem+json', async () => {
    const anonymous = await h.api('/buffer/api/entries/me');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const unverified = await h.api('/buffer/api/entries/me', {
      cookie: await fan(h, 'fan-unverified', { emailVerified: false }),
    });
    expect(unverified.status).toBe(403);
    expect(unverified.body.type).toMatch(/email_not_verified$/);
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
