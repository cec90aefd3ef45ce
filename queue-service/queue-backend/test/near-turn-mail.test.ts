import { envelope, queryRows, type Envelope, type RunningService } from '@ticketslave/common';
import { startSmtp, type InboxMessage, type SmtpStandIn } from '@ticketslave/dev/standins/smtp';
import {
  createTestDatabase,
  eventually,
  readTopic,
  serviceTestEnv,
  testSigningKeys,
  type TestDatabase,
} from '@ticketslave/dev/test-support';
import { loadPurchaseConfig } from '../../../purchase-service/purchase-backend/src/config';
import { startPurchaseService } from '../../../purchase-service/purchase-backend/src/start';
import { createHarness, newEventId, snapshot, type Harness } from './queue-harness';

/**
 * "E-mail me when I'm nearly there" (issue 20.8) through the real services: two queue
 * instances decide who is near their turn and publish `queue.turn_near`; purchase (its own
 * database, the same broker namespace) turns each into one mail through its mail outbox to
 * the SMTP stand-in. At 600 admissions a minute and a 1 s lead the threshold is 10 fans ahead.
 */
const RATE = 600;
const AHEAD_AT_MOST = 10;

let h: Harness;
let queues: RunningService[];
let purchaseDb: TestDatabase;
let purchase: RunningService;
let smtp: SmtpStandIn;

const startPurchase = async () =>
  startPurchaseService(
    loadPurchaseConfig(
      serviceTestEnv('purchase', purchaseDb, h.kafka, {
        FEED_JWKS_URL: h.identity.feed.jwksUrl,
        QUEUE_JWKS_URL: h.identity.queue.jwksUrl,
        TICKET_SIGNING_JWKS: JSON.stringify(await testSigningKeys('near-turn-ticket')),
        SMTP_URL: smtp.url,
      }),
    ),
    { port: 0 },
  );

beforeAll(async () => {
  h = await createHarness('qnear');
  [purchaseDb, smtp] = await Promise.all([
    createTestDatabase('qnearpur'),
    startSmtp({ port: 0, httpPort: 0 }),
  ]);
  queues = [
    await h.start({ QUEUE_NEAR_TURN_LEAD_SECONDS: '1' }),
    await h.start({ QUEUE_NEAR_TURN_LEAD_SECONDS: '1' }),
  ];
  purchase = await startPurchase();
});

afterAll(async () => {
  await purchase?.stop().catch(() => undefined);
  await smtp?.stop();
  await h?.close();
  await purchaseDb?.drop();
});

const q = () => queues[0]!;
const session = (userId: string, over: { emailVerified?: boolean } = {}) =>
  h.identity.sessionCookie({ id: userId, ...over });
const api = async (method: string, eventId: string, cookie: string | undefined, body?: unknown) => {
  const res = await fetch(`${q().url}/queue/api/events/${eventId}/near-turn-mail`, {
    method,
    headers: {
      ...(cookie ? { cookie } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    body: (await res.json()) as Record<string, unknown>,
  };
};
const optIns = (eventId: string) =>
  queryRows<{ user_id: string; sent_at: Date | null }>(
    q().kit.ds,
    `SELECT user_id, sent_at FROM near_turn_mails WHERE event_id = $1 ORDER BY user_id`,
    [eventId],
  );
const inbox = async (to: string): Promise<InboxMessage[]> =>
  (await (await fetch(`${smtp.inboxUrl}/messages?to=${encodeURIComponent(to)}`)).json()) as InboxMessage[];
const turnNear = (eventId: string, until: (m: Envelope<'queue.turn_near'>[]) => boolean, timeoutMs = 3000) =>
  readTopic<Envelope<'queue.turn_near'>>(h.kafka.brokers, `${h.kafka.prefix}queue.turn_near`, {
    until: (all) => until(all.filter((m) => m.payload.eventId === eventId)),
    timeoutMs,
  }).then((all) => all.filter((m) => m.payload.eventId === eventId));

/** An event paused with fans u1…un numbered 1…n, known to queue and purchase. */
async function pausedEvent(n: number): Promise<string> {
  const eventId = newEventId();
  await h.publish('event.published', {
    ...snapshot(eventId, { admitRatePerMinute: RATE, maxActiveShoppers: 1000 }),
    title: 'Night Owls Live',
    venue: 'Harbour Hall',
    timeZone: 'Europe/Berlin',
  });
  await eventually(
    async () =>
      (await queryRows(q().kit.ds, `SELECT 1 FROM queue_events WHERE event_id = $1`, [eventId])).length > 0,
  );
  await q().kit.ds.query(`UPDATE queue_events SET paused = true WHERE event_id = $1`, [eventId]);
  await h.publish('queue.assigned', {
    eventId,
    late: false,
    first: 1,
    userIds: Array.from({ length: n }, (_, i) => `u${i + 1}`),
  });
  await eventually(
    async () =>
      (await queryRows(q().kit.ds, `SELECT 1 FROM fans WHERE event_id = $1`, [eventId])).length === n,
  );
  await eventually(
    async () =>
      (await queryRows(purchase.kit.ds, `SELECT 1 FROM events WHERE event_id = $1`, [eventId])).length > 0,
  );
  return eventId;
}
const resume = (eventId: string) =>
  q().kit.ds.query(`UPDATE queue_events SET paused = false WHERE event_id = $1`, [eventId]);
const servedAll = (eventId: string, n: number) =>
  eventually(
    async () =>
      (
        await queryRows<{ serving: number }>(
          q().kit.ds,
          `SELECT serving FROM queue_events WHERE event_id = $1`,
          [eventId],
        )
      )[0]?.serving === n,
    { timeoutMs: 15_000 },
  );

describe('PUT /queue/api/events/:id/near-turn-mail', () => {
  it('when a fan asks, then it is off by default, on after the opt-in and off again after the opt-out', async () => {
    const eventId = await pausedEvent(30);
    const me = await session('u25');
    expect((await api('GET', eventId, me)).body).toEqual({
      enabled: false,
      sent: false,
      email: null,
      aheadAtMost: AHEAD_AT_MOST,
      leadSeconds: 1,
    });
    const on = await api('PUT', eventId, me, { enabled: true });
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ enabled: true, sent: false, email: 'u25@fans.test' });
    expect((await api('GET', eventId, me)).body).toMatchObject({ enabled: true });
    const off = await api('PUT', eventId, me, { enabled: false });
    expect(off.body).toMatchObject({ enabled: false, sent: false, email: null });
    expect(await optIns(eventId)).toEqual([]);
  });

  it('when the input or the caller is wrong, then it answers problem+json and changes nothing', async () => {
    const eventId = await pausedEvent(3);
    const cases = [
      { cookie: await session('u2'), body: { enabled: 'yes' }, status: 400 },
      { cookie: await session('u2'), body: '{"enabled": tru', status: 400 },
      { cookie: await session('u2'), body: {}, status: 400 },
      { cookie: undefined, body: { enabled: true }, status: 401 },
      { cookie: await session('u2', { emailVerified: false }), body: { enabled: true }, status: 403 },
      { cookie: await session('stranger'), body: { enabled: true }, status: 404 },
    ];
    for (const c of cases) {
      const r = await api('PUT', eventId, c.cookie, c.body);
      expect([r.status, r.type]).toEqual([c.status, expect.stringContaining('application/problem+json')]);
    }
    expect((await api('PUT', newEventId(), await session('u2'), { enabled: true })).status).toBe(404);
    expect(await optIns(eventId)).toEqual([]);
  });
});

describe('queue.turn_near → one e-mail', () => {
  it('when the queue moves an opted-in fan within the threshold, then they get exactly one mail; a fan who did not opt in, or whose turn came first and who was admitted, gets none', async () => {
    const eventId = await pausedEvent(40);
    // u25 and u35 opt in far back. u1 opts in at the front while the queue is paused (nothing
    // is decided while it stands still); the first tick after the pause gives u1 the turn (the
    // bucket has filled meanwhile), so u1 is never waiting near the front while the queue moves.
    // u20 does not opt in.
    for (const u of ['u1', 'u25', 'u35'])
      expect((await api('PUT', eventId, await session(u), { enabled: true })).status).toBe(200);
    await resume(eventId);
    await servedAll(eventId, 40);

    const facts = await turnNear(eventId, (m) => m.length >= 2);
    expect(facts.map((m) => m.payload.userId).sort()).toEqual(['u25', 'u35']);
    for (const m of facts) {
      expect(m.payload.ahead).toBeLessThanOrEqual(AHEAD_AT_MOST);
      expect(m.payload.email).toBe(`${m.payload.userId}@fans.test`);
    }

    await eventually(
      async () => (await inbox('u25@fans.test')).length === 1 && (await inbox('u35@fans.test')).length === 1,
    );
    const [mail] = await inbox('u25@fans.test');
    const ahead = facts.find((m) => m.payload.userId === 'u25')!.payload.ahead;
    expect(mail!.subject).toBe('Your turn is near: Night Owls Live');
    expect(mail!.text).toContain(
      ahead === 0
        ? 'You are next in the queue for Night Owls Live'
        : `About ${ahead} ${ahead === 1 ? 'fan is' : 'fans are'} ahead of you in the queue for Night Owls Live`,
    );
    expect(mail!.text).toContain('Harbour Hall');
    expect(mail!.text).toMatch(/\(Europe\/Berlin\)/);
    expect(mail!.text).toContain(`Back to the queue: http://localhost:8080/queue/?event=${eventId}`);
    expect(mail!.text).toContain("E-mail me when I'm nearly there");
    expect(mail!.html).toContain(`<a href="http://localhost:8080/queue/?event=${eventId}"`);
    expect(mail!.html).toContain('Back to the queue</a>');
    expect(mail!.html).toContain('Night Owls Live');
    expect((await api('GET', eventId, await session('u25'))).body).toMatchObject({
      enabled: true,
      sent: true,
    });
    // After the mail, neither an opt-out nor a new opt-in brings a second one.
    expect((await api('PUT', eventId, await session('u25'), { enabled: false })).body).toMatchObject({
      sent: true,
    });
    expect((await api('PUT', eventId, await session('u25'), { enabled: true })).body).toMatchObject({
      sent: true,
    });

    // u1 claims the turn: admitted, and a new opt-in is refused (409), changing nothing.
    const cookie = `${await h.identity.queueTicketCookie('u1', eventId, 1)}; ${await session('u1')}`;
    const claim = await fetch(`${q().url}/queue/api/events/${eventId}/admission`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', origin: 'http://localhost:8080' },
      body: '{}',
    });
    expect(claim.status).toBe(200);
    const again = await api('PUT', eventId, await session('u1'), { enabled: true });
    expect([again.status, again.body.type]).toEqual([409, expect.stringMatching(/not_waiting$/)]);
    expect((await optIns(eventId)).find((r) => r.user_id === 'u1')).toEqual({ user_id: 'u1', sent_at: null });

    // Nobody else of this event got anything: not u20 (no opt-in), not u1 (turn first, admitted).
    await new Promise((r) => setTimeout(r, 500));
    for (const u of ['u1', 'u20']) expect(await inbox(`${u}@fans.test`)).toEqual([]);
    expect((await turnNear(eventId, () => false, 1000)).map((m) => m.payload.userId).sort()).toEqual([
      'u25',
      'u35',
    ]);
  });

  it('when the fact is delivered twice, or purchase and the queue restart, then the fan still has one mail', async () => {
    const eventId = await pausedEvent(20);
    expect((await api('PUT', eventId, await session('u18'), { enabled: true })).status).toBe(200);
    await resume(eventId);
    await servedAll(eventId, 20);
    const [fact] = await turnNear(eventId, (m) => m.length >= 1);
    await eventually(async () => (await inbox('u18@fans.test')).length === 1);

    // The same envelope again (a redelivery) and a second fact about the same place (a producer
    // that published twice): processOnce absorbs the one, the outbox's one-per-place index the other.
    const second = envelope('queue.turn_near', { ...fact!.payload, ahead: 3 });
    await h.bus.publish([
      { topic: 'queue.turn_near', envelope: fact! },
      { topic: 'queue.turn_near', envelope: second },
    ]);
    // Same key (the event), same partition: once the second is processed, so is the redelivery.
    await eventually(
      async () =>
        (
          await queryRows(
            purchase.kit.ds,
            `SELECT 1 FROM processed_messages WHERE consumer = 'purchase.queue-mails' AND message_id = $1`,
            [second.id],
          )
        ).length === 1,
    );
    // Every instance restarts: the queue keeps the place marked sent, purchase its outbox row.
    await purchase.stop();
    for (const s of queues) await s.stop();
    queues = [
      await h.start({ QUEUE_NEAR_TURN_LEAD_SECONDS: '1' }),
      await h.start({ QUEUE_NEAR_TURN_LEAD_SECONDS: '1' }),
    ];
    purchase = await startPurchase();
    await new Promise((r) => setTimeout(r, 2000));

    expect(await inbox('u18@fans.test')).toHaveLength(1);
    expect(
      await queryRows(
        purchase.kit.ds,
        `SELECT 1 FROM mail_outbox WHERE kind = 'turn_near' AND event_id = $1`,
        [eventId],
      ),
    ).toHaveLength(1);
    // The queue published the fact once (the redelivery and the second fact are this test's own).
    expect((await turnNear(eventId, () => false, 1500)).map((m) => m.id)).toEqual([
      fact!.id,
      fact!.id,
      second.id,
    ]);
  });
});
