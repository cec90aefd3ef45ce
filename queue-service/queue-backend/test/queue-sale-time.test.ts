import { Kafka, logLevel } from 'kafkajs';
import { queryRows, type RunningService } from '@ticketslave/common';
import { eventually } from '@ticketslave/dev/test-support';
import { connectFan, createHarness, newEventId, snapshot, type Harness } from './queue-harness';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const inFromNow = (ms: number) => new Date(Date.now() + ms).toISOString();

/**
 * Closing the buffer early draws the numbers early; it never opens the sale early.
 * The numbers arrive (queue.assigned) while the announced sale time is ahead, and
 * the admitter holds every turn until it comes.
 */
describe('queue: nobody is admitted before the sale time', () => {
  let h: Harness;
  let svc: RunningService;

  beforeAll(async () => {
    h = await createHarness('qsale');
    svc = await h.start();
  });
  afterAll(async () => h.close());

  const fans = (eventId: string) =>
    queryRows<{ user_id: string; status: string; turn_at: Date | null }>(
      svc.kit.ds,
      `SELECT user_id, status, turn_at FROM fans WHERE event_id = $1 ORDER BY queue_number`,
      [eventId],
    );
  const serving = async (eventId: string) =>
    (
      await queryRows<{ serving: number }>(
        svc.kit.ds,
        `SELECT serving FROM queue_events WHERE event_id = $1`,
        [eventId],
      )
    )[0]?.serving;
  const cookies = async (userId: string, eventId: string, qn: number) =>
    `${await h.identity.queueTicketCookie(userId, eventId, qn)}; ${await h.identity.sessionCookie({ id: userId })}`;

  async function drawEarly(eventId: string, saleStartsAt: string, n = 2, queue = {}) {
    await h.publish('event.published', snapshot(eventId, { ...queue, saleStartsAt }));
    await eventually(
      async () =>
        (await queryRows(svc.kit.ds, `SELECT 1 FROM queue_events WHERE event_id = $1`, [eventId])).length,
    );
    await h.publish('queue.assigned', {
      eventId,
      late: false,
      assignments: Array.from({ length: n }, (_, i) => ({ userId: `u${i + 1}`, queueNumber: i + 1 })),
    });
    await eventually(async () => (await fans(eventId)).length === n);
  }

  it('gives no turn while the sale is ahead, and starts when the organiser moves it into the past', async () => {
    const eventId = newEventId();
    const later = inFromNow(3_600_000);
    await drawEarly(eventId, later);
    const fan = await connectFan(svc, eventId, await cookies('u1', eventId, 1));
    const hello = await fan.waitFor('hello');
    expect(hello).toMatchObject({ status: 'waiting', servingNumber: 0, saleStartsAt: later });
    const progress = await fan.waitFor('progress');
    expect(progress.saleStartsAt).toBe(later);

    const me = await fetch(`${svc.url}/queue/api/events/${eventId}/me`, {
      headers: { cookie: await cookies('u1', eventId, 1) },
    });
    expect(((await me.json()) as { saleStartsAt: string }).saleStartsAt).toBe(later);

    // Dozens of 50 ms ticks: the rate and the free slots would admit both fans at once.
    await sleep(1500);
    expect(fan.messages.map((m) => m.type)).not.toContain('your_turn');
    expect(await serving(eventId)).toBe(0);
    expect((await fans(eventId)).map((f) => f.status)).toEqual(['waiting', 'waiting']);

    const now = inFromNow(-1000);
    await h.publish('event.updated', snapshot(eventId, { version: 2, saleStartsAt: now }));
    await fan.waitFor('your_turn');
    await eventually(async () => (await fans(eventId)).every((f) => f.status !== 'waiting'));
    // The page learns the new sale time from the progress stream.
    await eventually(async () => fan.messages.some((m) => m.type === 'progress' && m.saleStartsAt === now));
    fan.ws.close();
  });

  it('starts turns on its own when a near sale time comes, not before', async () => {
    const eventId = newEventId();
    const saleAt = new Date(Date.now() + 9000);
    await drawEarly(eventId, saleAt.toISOString(), 1, {
      admitRatePerMinute: 100,
      maxActiveShoppers: 200,
      awayGraceSeconds: 120,
    });
    const fan = await connectFan(svc, eventId, await cookies('u1', eventId, 1));
    await fan.waitFor('your_turn', 25_000);
    const [f] = await fans(eventId);
    expect(f!.status).toBe('turn');
    expect(new Date(f!.turn_at!).getTime()).toBeGreaterThanOrEqual(saleAt.getTime());
    fan.ws.close();
  });

  // The browser opens the queue page as soon as the buffer tells the number, which is
  // often before queue.assigned reaches queue: the socket connects with no fan row to
  // record its presence on. It must still count as present when the sale opens.
  it('gives the turn to a fan whose socket connected before their number reached queue', async () => {
    const eventId = newEventId();
    const saleAt = new Date(Date.now() + 9000);
    await h.publish(
      'event.published',
      snapshot(eventId, {
        saleStartsAt: saleAt.toISOString(),
        admitRatePerMinute: 100,
        maxActiveShoppers: 200,
        awayGraceSeconds: 120,
      }),
    );
    await eventually(
      async () =>
        (await queryRows(svc.kit.ds, `SELECT 1 FROM queue_events WHERE event_id = $1`, [eventId])).length,
    );
    const fan = await connectFan(svc, eventId, await cookies('u1', eventId, 1));
    expect(await fan.waitFor('hello')).toMatchObject({ status: 'waiting', queueNumber: 1 });
    await h.publish('queue.assigned', {
      eventId,
      late: false,
      assignments: [{ userId: 'u1', queueNumber: 1 }],
    });
    await fan.waitFor('your_turn', 25_000);
    const [f] = await queryRows<{ status: string; conn_id: string | null; turn_at: Date }>(
      svc.kit.ds,
      `SELECT status, conn_id, turn_at FROM fans WHERE event_id = $1`,
      [eventId],
    );
    expect(f).toMatchObject({ status: 'turn', conn_id: expect.any(String) });
    expect(new Date(f!.turn_at).getTime()).toBeGreaterThanOrEqual(saleAt.getTime());
    expect(fan.ws.readyState).toBe(fan.ws.OPEN);
    fan.ws.close();
  });

  it('deletes its own progress consumer group when it stops', async () => {
    const admin = new Kafka({
      clientId: 'qsale-test',
      brokers: h.kafka.brokers,
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    try {
      const mine = async () =>
        (await admin.listGroups()).groups
          .map((g) => g.groupId)
          .filter((g) => g.startsWith(`${h.kafka.prefix}queue.progress.`));
      const before = await mine();
      const extra = await h.start();
      const started = await eventually(async () => {
        const now = await mine();
        const added = now.filter((g) => !before.includes(g));
        return added.length === 1 ? added[0] : undefined;
      });
      await extra.stop();
      expect(await mine()).not.toContain(started);
      expect(await mine()).toEqual(expect.arrayContaining(before));
    } finally {
      await admin.disconnect();
    }
  });
});
