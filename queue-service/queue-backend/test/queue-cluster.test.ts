import { queryOne, queryRows, type RunningService } from '@ticketslave/common';
import { eventually, readTopic } from '@ticketslave/dev/test-support';
import { randomUUID } from 'node:crypto';
import { admitterTick, eventsToTick } from '../src/data/admitter-tick';
import { connectFans } from '../src/data/fan-store';
import { connectFan, createHarness, newEventId, snapshot, type Fan, type Harness } from './queue-harness';

describe('queue: several instances, rate and organiser controls', () => {
  let h: Harness;
  let a: RunningService;
  let b: RunningService;

  beforeAll(async () => {
    h = await createHarness('qcluster');
    [a, b] = await Promise.all([h.start(), h.start()]);
  });
  afterAll(async () => h.close());

  const seed = async (eventId: string, n: number, queue = {}) => {
    await h.publish('event.published', snapshot(eventId, queue));
    await eventually(
      async () =>
        (await queryRows(b.kit.ds, `SELECT 1 FROM queue_events WHERE event_id = $1`, [eventId])).length,
    );
    await b.kit.ds.query(`UPDATE queue_events SET paused = true WHERE event_id = $1`, [eventId]);
    await h.publish('queue.assigned', {
      eventId,
      late: false,
      assignments: Array.from({ length: n }, (_, i) => ({ userId: `u${i + 1}`, queueNumber: i + 1 })),
    });
    await eventually(
      async () =>
        Number(
          (
            await queryOne<{ n: string }>(b.kit.ds, `SELECT count(*) n FROM fans WHERE event_id = $1`, [
              eventId,
            ])
          )?.n,
        ) === n,
    );
  };
  const cookie = async (u: number, eventId: string) =>
    `${await h.identity.queueTicketCookie(`u${u}`, eventId, u)}; ${await h.identity.sessionCookie({ id: `u${u}` })}`;

  it('keeps admitting on the other instance when the admitting one dies, nobody twice, in number order', async () => {
    const eventId = newEventId();
    const N = 24;
    await seed(eventId, N, { admitRatePerMinute: 480 });
    const admitted = new Map<number, string>();
    // Fans whose socket died with the instance: a turn given while they were away is parked and
    // given back when they return, after later numbers (as specified), so they are not ordered.
    const reconnected = new Set<number>();
    // Each fan claims as soon as told, on whichever instance its socket is on; fans of a dead instance reconnect to the survivor.
    const join = async (u: number, svc: RunningService): Promise<void> => {
      const cookies = await cookie(u, eventId);
      const fan: Fan = await connectFan(svc, eventId, cookies);
      // A claim sent to the instance as it dies fails at the socket; the fan's page claims again, on the survivor.
      const claim = async (on: RunningService): Promise<Response> => {
        try {
          return await fetch(`${on.url}/queue/api/events/${eventId}/admission`, {
            method: 'POST',
            headers: { cookie: cookies, 'content-type': 'application/json' },
            body: '{}',
          });
        } catch (err) {
          if (on === b) throw err;
          return claim(b);
        }
      };
      const turn = fan.waitFor('your_turn', 30_000).then(async () => {
        const r = await claim(svc);
        if (r.status !== 200) throw new Error(`claim ${u}: ${r.status}`);
        admitted.set(u, ((await r.json()) as { admissionId: string }).admissionId);
        fan.ws.close();
      });
      const closed = fan.closed.then(async ({ code }) => {
        if (code === 1001 && !admitted.has(u)) {
          reconnected.add(u);
          await join(u, b);
        }
      });
      await Promise.race([turn, closed.then(() => (admitted.has(u) ? undefined : turn))]);
    };
    const all = Promise.all(Array.from({ length: N }, (_, i) => join(i + 1, i % 2 ? a : b)));
    await new Promise((r) => setTimeout(r, 500));
    await b.kit.ds.query(`UPDATE queue_events SET paused = false WHERE event_id = $1`, [eventId]);
    await eventually(() => admitted.size >= 6, { timeoutMs: 15_000 });
    await a.stop();
    await all;
    expect(admitted.size).toBe(N);
    expect(new Set(admitted.values()).size).toBe(N);
    const rows = await queryRows<{ queue_number: number; turn_at: Date; status: string }>(
      b.kit.ds,
      `SELECT queue_number, turn_at, status FROM fans WHERE event_id = $1 ORDER BY queue_number`,
      [eventId],
    );
    expect(rows.every((r) => r.status === 'admitted')).toBe(true);
    const ordered = rows.filter((r) => !reconnected.has(r.queue_number));
    expect(ordered.length).toBeGreaterThan(N / 2);
    for (let i = 1; i < ordered.length; i++)
      expect(new Date(ordered[i]!.turn_at).getTime()).toBeGreaterThanOrEqual(
        new Date(ordered[i - 1]!.turn_at).getTime(),
      );
    const messages = await readTopic<{ payload: { eventId: string; userId: string } }>(
      h.kafka.brokers,
      `${h.kafka.prefix}queue.admitted`,
      {
        until: (m) => m.filter((x) => x.payload.eventId === eventId).length >= N,
        timeoutMs: 8000,
      },
    );
    const mine = messages.filter((m) => m.payload.eventId === eventId).map((m) => m.payload.userId);
    expect(new Set(mine).size).toBe(N);
    expect(mine.length).toBe(N);
  });

  it('never advances serving past the fans it turned, even with concurrent ticks and no lock', async () => {
    const eventId = newEventId();
    await seed(eventId, 200, { admitRatePerMinute: 100_000, maxActiveShoppers: 100_000 });
    await b.kit.ds.query(`UPDATE queue_events SET tokens = 1000 WHERE event_id = $1`, [eventId]);
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, () =>
        b.kit.ds.transaction(async (em) => {
          await em.query(`UPDATE queue_events SET paused = false WHERE event_id = $1`, [eventId]);
          return admitterTick(em, eventId, { minClaimSeconds: 30, skipLock: true });
        }),
      ),
    );
    expect(results.some((r) => r.status === 'fulfilled')).toBe(true);
    const state = await queryOne<{ serving: number; turned: string; max_turned: number }>(
      b.kit.ds,
      `SELECT e.serving, (SELECT count(*) FROM fans f WHERE f.event_id = e.event_id AND f.status <> 'waiting') AS turned,
              (SELECT COALESCE(max(queue_number), 0) FROM fans f WHERE f.event_id = e.event_id AND f.status <> 'waiting') AS max_turned
       FROM queue_events e WHERE e.event_id = $1`,
      [eventId],
    );
    expect(state!.serving).toBeGreaterThan(0);
    expect(Number(state!.turned)).toBe(state!.serving);
    expect(state!.max_turned).toBe(state!.serving);
  });

  it("does not run a parked fan's grace while no admitter ran (a queue outage)", async () => {
    const eventId = newEventId();
    await seed(eventId, 2, { awayGraceSeconds: 10 });
    const tickAfter = (awaySeconds: number, sinceLastTick: number) =>
      b.kit.ds.transaction(async (em) => {
        await em.query(
          `UPDATE fans SET status = 'parked', turn_at = clock_timestamp() - make_interval(secs => $2)
           WHERE event_id = $1 AND queue_number = 1`,
          [eventId, awaySeconds],
        );
        await em.query(
          `UPDATE queue_events SET tokens_at = clock_timestamp() - make_interval(secs => $2) WHERE event_id = $1`,
          [eventId, sinceLastTick],
        );
        return admitterTick(em, eventId, { minClaimSeconds: 30, skipLock: true });
      });
    // Parked 65 s ago, but no admitter ran for the last 60 s: away 7 s of its 10 s grace.
    const afterOutage = (await tickAfter(65, 60))!;
    expect(afterOutage.lapsed).toEqual([]);
    // The outage beyond the 2 s of scheduling jitter is credited, and reported (the admitter logs it).
    expect(afterOutage.outageSeconds).toBeGreaterThan(57);
    expect(afterOutage.outageSeconds).toBeLessThan(59);
    const fan = await queryOne<{ status: string }>(
      b.kit.ds,
      `SELECT status FROM fans WHERE event_id = $1 AND queue_number = 1`,
      [eventId],
    );
    expect(fan!.status).toBe('parked');
    // With the admitter ticking all along, 16 s away is past the grace and its 5 s greeting slack.
    const ticking = (await tickAfter(16, 0))!;
    expect(ticking.lapsed).toEqual(['u1']);
    expect(ticking.outageSeconds).toBeUndefined();
  });

  it('decides a returning parked fan by when their socket connected, not by when the greeting reached the database', async () => {
    const eventId = newEventId();
    await seed(eventId, 3, { awayGraceSeconds: 10 });
    // All three parked 12 s ago: 2 s past the grace by the database's clock now.
    await b.kit.ds.query(
      `UPDATE fans SET status = 'parked', turn_at = clock_timestamp() - interval '12 seconds' WHERE event_id = $1`,
      [eventId],
    );
    const at = Date.now();
    // u1's socket connected 3 s ago (9 s after the turn) and its greeting waited behind others;
    // u2's connected just now, 12 s after the turn.
    const greeted = await connectFans(b.kit.ds, eventId, [
      { userId: 'u1', connId: randomUUID(), connectedAt: at - 3000 },
      { userId: 'u2', connId: randomUUID(), connectedAt: at },
    ]);
    expect(greeted.get('u1')!.status).toBe('turn');
    expect(greeted.get('u2')!.status).toBe('parked');
    // The instances' admitters tick this event all along: inside the slack they lapse nobody
    // (without it u1 and u2 would have been lapsed before their greetings ran); past it, u2
    // (back too late) and u3 (never back) lapse, and u1 keeps the turn it was given.
    const statuses = async () =>
      Object.fromEntries(
        (
          await queryRows<{ user_id: string; status: string }>(
            b.kit.ds,
            `SELECT user_id, status FROM fans WHERE event_id = $1`,
            [eventId],
          )
        ).map((r) => [r.user_id, r.status]),
      );
    expect(await statuses()).toEqual({ u1: 'turn', u2: 'parked', u3: 'parked' });
    await eventually(async () => (await statuses()).u3 === 'lapsed', { timeoutMs: 10_000 });
    expect(await statuses()).toEqual({ u1: 'turn', u2: 'lapsed', u3: 'lapsed' });
  });

  it('stops ticking an event whose queue ran dry once its final progress is out; a late joiner brings it back', async () => {
    const eventId = newEventId();
    await seed(eventId, 2, { admitRatePerMinute: 6000 });
    // Both fans were served and let their turns lapse: nobody waits, nobody has an open turn.
    await b.kit.ds.query(
      `UPDATE fans SET status = 'lapsed', turn_at = clock_timestamp() WHERE event_id = $1`,
      [eventId],
    );
    // As the tick that served them left it: serving moved, tokens_at stamped.
    await b.kit.ds.query(
      `UPDATE queue_events SET serving = 2, paused = false, tokens_at = clock_timestamp() WHERE event_id = $1`,
      [eventId],
    );
    await eventually(async () => !(await eventsToTick(b.kit.ds)).includes(eventId), { timeoutMs: 10_000 });
    const state = await queryOne<{ progress_serving: number; tokens_at: Date }>(
      b.kit.ds,
      `SELECT progress_serving, tokens_at FROM queue_events WHERE event_id = $1`,
      [eventId],
    );
    expect(state!.progress_serving).toBe(2);
    const progress = await readTopic<{
      payload: { eventId: string; servingNumber: number; waiting: number };
    }>(h.kafka.brokers, `${h.kafka.prefix}queue.progress`, {
      until: (m) => m.some((x) => x.payload.eventId === eventId && x.payload.servingNumber === 2),
    });
    const last = progress.filter((m) => m.payload.eventId === eventId).pop();
    expect(last!.payload).toMatchObject({ servingNumber: 2, waiting: 0 });
    // Idle: no instance ticks it any more.
    await new Promise((r) => setTimeout(r, 1000));
    const after = await queryOne<{ tokens_at: Date }>(
      b.kit.ds,
      `SELECT tokens_at FROM queue_events WHERE event_id = $1`,
      [eventId],
    );
    expect(new Date(after!.tokens_at).getTime()).toBe(new Date(state!.tokens_at).getTime());

    await h.publish('queue.assigned', {
      eventId,
      late: true,
      assignments: [{ userId: 'u3', queueNumber: 3 }],
    });
    await eventually(
      async () =>
        (
          await queryOne<{ status: string }>(
            b.kit.ds,
            `SELECT status FROM fans WHERE event_id = $1 AND user_id = 'u3'`,
            [eventId],
          )
        )?.status === 'parked',
      { timeoutMs: 10_000 },
    );
  });

  it('respects the admission rate, and the organiser changes it live, audited', async () => {
    const eventId = newEventId();
    await seed(eventId, 500, { admitRatePerMinute: 120, organiserId: 'org-7' });
    const org = await h.identity.sessionCookie({ id: 'org-7', role: 'organiser' });
    const stranger = await h.identity.sessionCookie({ id: 'org-8', role: 'organiser' });
    const call = (path: string, method: string, cookieHeader: string, body?: unknown) =>
      fetch(`${b.url}/queue/api/events/${eventId}/${path}`, {
        method,
        headers: {
          cookie: cookieHeader,
          'content-type': 'application/json',
          origin: 'http://localhost:8080',
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    expect((await call('resume', 'POST', stranger, {})).status).toBe(403);
    expect((await call('resume', 'POST', org, {})).status).toBe(200);
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 3000));
    const stats = (await (await call('stats', 'GET', org)).json()) as {
      servingNumber: number;
      parked: number;
    };
    const seconds = (Date.now() - started) / 1000;
    // 2 per second, plus a bucket of at most one second.
    expect(stats.servingNumber).toBeLessThanOrEqual(Math.ceil(seconds * 2) + 2);
    expect(stats.servingNumber).toBeGreaterThanOrEqual(Math.floor((seconds - 1) * 2));
    expect(stats.parked).toBe(stats.servingNumber);

    const bad = await call('settings', 'PATCH', org, { admitRatePerMinute: 0 });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('problem+json');
    expect((await call('settings', 'PATCH', org, { admitRatePerMinute: 6000 })).status).toBe(200);
    expect((await call('pause', 'POST', org, {})).status).toBe(200);
    const audit = await queryRows<{ action: string; actor_id: string }>(
      b.kit.ds,
      `SELECT action, actor_id FROM organiser_actions WHERE event_id = $1 ORDER BY id`,
      [eventId],
    );
    expect(audit.map((x) => x.action)).toEqual(['resume', 'settings', 'pause']);
    expect(audit.every((x) => x.actor_id === 'org-7')).toBe(true);
  });
});
