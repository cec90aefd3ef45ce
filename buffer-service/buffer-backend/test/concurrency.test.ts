import { Client } from 'pg';
import { assignmentsOf, lockKeySql, type Envelope, type RunningService } from '@ticketslave/common';
import { firstRoundAtOrAfter, runDraw, type FairnessDocumentV2 } from '@ticketslave/draw';
import { randomBeaconSecretKey } from '@ticketslave/dev/standins';
import { eventually, readTopic, viewerHeaders } from '@ticketslave/dev/test-support';
import { bulkJoin, fan, joinProof, numbersOf, startHarness, type Harness } from './harness';

let h: Harness;
let second: RunningService;
beforeAll(async () => {
  h = await startHarness('bufrace');
  // Two instances on one database: both run the closer, both take joins.
  second = await h.startAnother();
});
afterAll(() => h?.stop());

const stateOf = async (eventId: string) =>
  (await h.api(`/buffer/api/events/${eventId}`)).body.state as string;
const untilClosed = (eventId: string) =>
  eventually(async () => (await stateOf(eventId)) === 'closed', {
    timeoutMs: 25_000,
    message: 'never closed',
  });

async function closedMessages(eventId: string) {
  const closed = await readTopic<Envelope<'buffer.closed'>>(
    h.kafka.brokers,
    `${h.kafka.prefix}buffer.closed`,
    {
      until: (m) => m.some((x) => x.payload.eventId === eventId),
    },
  );
  return closed.filter((m) => m.payload.eventId === eventId);
}

describe('joins racing the close', () => {
  // Four waves of joins over both instances, and the close on the second: A answered before
  // the close is sent, B sent in the same tick as the close (a barrier: every request of B and
  // the close are in flight together), C while the buffer is closing (the draw waits for a
  // beacon round), D once it is closed. Every ack must agree with the numbers: buffered means
  // numbered within the draw, late means numbered after it, and nobody is left without one.
  it('puts each acknowledged join either in the draw or behind it, never both or neither', async () => {
    const event = await h.createEvent({ organiserId: 'org-race' });
    type Ack = { user: string; wave: string; late: boolean; sentAt: number; answeredAt: number };
    let next = 0;
    const cookies = await Promise.all(Array.from({ length: 400 }, (_, i) => fan(h, `racer-${i}`)));
    // 400 fans at 400 addresses, as through CloudFront: from one address their 800 requests in a
    // few seconds would meet the per-address join limit (600, 100/s), which is not under test here.
    const from = Array.from({ length: 400 }, (_, i) => viewerHeaders(`10.0.${i >> 8}.${i & 255}`));
    // Solved beforehand, so every join leaves the moment the test sends it.
    const proofs = await Promise.all(
      Array.from({ length: 400 }, (_, i) => joinProof(h, event.eventId, h.service.url, from[i])),
    );
    const join = (wave: string): Promise<Ack> => {
      const i = next++;
      const user = `racer-${i}`;
      const base = i % 2 ? second.url : h.service.url;
      const sentAt = performance.now();
      return fetch(`${base}/buffer/api/events/${event.eventId}/entries`, {
        method: 'POST',
        headers: { cookie: cookies[i]!, 'content-type': 'application/json', ...from[i] },
        body: JSON.stringify({ altcha: proofs[i] }),
      }).then(async (res) => {
        expect(res.status).toBe(201);
        const body = (await res.json()) as { entry: { late: boolean } };
        return { user, wave, late: body.entry.late, sentAt, answeredAt: performance.now() };
      });
    };
    const wave = (name: string, n: number) => Array.from({ length: n }, () => join(name));

    const a = await Promise.all(wave('A', 40));
    const organiser = await h.identity.sessionCookie({ id: 'org-race', role: 'organiser' });
    // The barrier: the close and wave B leave in one synchronous block.
    const closeSentAt = performance.now();
    const closing = fetch(`${second.url}/buffer/api/events/${event.eventId}/close`, {
      method: 'POST',
      headers: { cookie: organiser, 'content-type': 'application/json' },
      body: '{}',
    }).then((res) => ({ status: res.status, answeredAt: performance.now() }));
    const b = wave('B', 80);
    const close = await closing;
    expect(close.status).toBe(202);
    const c: Promise<Ack>[] = [];
    while ((await stateOf(event.eventId)) !== 'closed' && next < 360) {
      c.push(...wave('C', 2));
      await new Promise((r) => setTimeout(r, 20));
    }
    await untilClosed(event.eventId);
    const d = wave('D', 400 - next);
    const acks = [...a, ...(await Promise.all([...b, ...c, ...d]))];

    // The race happened: every join of B was in flight while the close was, and the close
    // landed inside the stream (A all buffered, some joins after it late).
    const inFlightWithClose = acks.filter((x) => x.sentAt <= close.answeredAt && x.answeredAt >= closeSentAt);
    expect(inFlightWithClose.filter((x) => x.wave === 'B')).toHaveLength(80);
    expect(a.filter((x) => x.late)).toEqual([]);
    const lateOf = (w: string) => acks.filter((x) => x.wave === w && x.late).length;
    expect(acks.filter((x) => x.wave === 'C' || x.wave === 'D').every((x) => x.late)).toBe(true);
    expect(lateOf('C') + lateOf('D')).toBeGreaterThan(0);
    console.log(
      `race: B ${80 - lateOf('B')} buffered / ${lateOf('B')} late with the close in flight; ` +
        `${lateOf('C')} joined while closing, ${lateOf('D')} after`,
    );

    const numbers = await numbersOf(h, event.eventId);
    const total = (await h.api(`/buffer/api/events/${event.eventId}`)).body.total as number;
    const buffered = acks.filter((x) => !x.late);
    expect(buffered.length).toBe(total);
    for (const x of acks) {
      const n = numbers.get(x.user)!;
      expect({ user: x.user, late: n.late }).toEqual({ user: x.user, late: x.late });
      expect(n.n).not.toBeNull();
      if (x.late) expect(n.n!).toBeGreaterThan(total);
      else expect(n.n!).toBeLessThanOrEqual(total);
    }
    expect(new Set([...numbers.values()].map((v) => v.n)).size).toBe(acks.length);
    expect(Math.max(...[...numbers.values()].map((v) => v.n!))).toBe(acks.length);
    expect(await closedMessages(event.eventId)).toHaveLength(1);
  }, 120_000);
});

describe('a join arriving while a closer holds the exclusive lock', () => {
  // The random race above rarely lands in the microseconds a join is in flight; this
  // one opens the window on purpose. A join that skipped the shared lock, or read the
  // state with a snapshot taken before the lock was granted, would answer "buffered"
  // after the close and never get a number.
  it('waits for the close to commit, then joins as late and is numbered after the draw', async () => {
    const event = await h.createEvent({ organiserId: 'org-lock' });
    const closer = new Client({ connectionString: h.db.url });
    await closer.connect();
    try {
      await closer.query('BEGIN');
      await closer.query(`SELECT pg_advisory_xact_lock(${lockKeySql('buffer.event', '$1::uuid::text')})`, [
        event.eventId,
      ]);
      let settled = false;
      const pending = fan(h, 'lock-waiter').then(async (cookie) => {
        const res = await fetch(`${h.service.url}/buffer/api/events/${event.eventId}/entries`, {
          method: 'POST',
          headers: { cookie, 'content-type': 'application/json' },
          body: JSON.stringify({ altcha: await joinProof(h, event.eventId) }),
        });
        settled = true;
        return { status: res.status, body: (await res.json()) as { entry: { late: boolean } } };
      });
      await new Promise((r) => setTimeout(r, 500));
      expect(settled).toBe(false);
      await closer.query(
        `UPDATE buffer.buffer_events SET state = 'closing', closed_at = now() WHERE event_id = $1`,
        [event.eventId],
      );
      await closer.query('COMMIT');
      const joined = await pending;
      expect(joined.status).toBe(201);
      expect(joined.body.entry.late).toBe(true);
    } finally {
      await closer.end();
    }
    await untilClosed(event.eventId);
    const mine = (await numbersOf(h, event.eventId)).get('lock-waiter');
    expect(mine).toEqual({ n: 1, late: true });
  });
});

describe('the scheduled close with two instances', () => {
  it('is run by exactly one of them: one buffer.closed, every number once', async () => {
    const event = await h.createEvent({ saleStartsAt: new Date(Date.now() + 1500).toISOString() });
    const users = Array.from({ length: 12_000 }, (_, i) => `two-${i}`);
    await bulkJoin(h, event.eventId, users);
    await untilClosed(event.eventId);
    expect(await closedMessages(event.eventId)).toHaveLength(1);
    const assigned = await readTopic<Envelope<'queue.assigned'>>(
      h.kafka.brokers,
      `${h.kafka.prefix}queue.assigned`,
      {
        until: (m) =>
          m
            .filter((x) => x.payload.eventId === event.eventId)
            .flatMap((x) => assignmentsOf(x.payload).userIds).length >= users.length,
      },
    );
    const mine = assigned.filter((m) => m.payload.eventId === event.eventId);
    // 12,000 numbers in batches of at most 5,000.
    expect(mine.map((m) => assignmentsOf(m.payload).userIds.length)).toEqual([5000, 5000, 2000]);
    const numbers = mine.flatMap((m) => assignmentsOf(m.payload).queueNumbers);
    expect(numbers).toHaveLength(users.length);
    expect(new Set(numbers).size).toBe(users.length);
  });
});

describe('a close interrupted by a crash', () => {
  it('resumes on restart from the stored beacon, with the same deterministic numbers', async () => {
    const event = await h.createEvent({ organiserId: 'org-crash' });
    const users = Array.from({ length: 300 }, (_, i) => `crash-${i}`);
    // Both instances down: the state a SIGKILL between "closing" and "closed" leaves behind.
    await second.stop();
    await h.service.stop();
    await bulkJoin(h, event.eventId, users);
    await bulkJoin(h, event.eventId, ['crash-late-1', 'crash-late-2'], true);
    // A verified round stored by the closer that crashed.
    const stored = (await (await fetch(`${h.beaconUrl}/public/latest`)).json()) as {
      round: number;
      randomness: string;
      signature: string;
    };
    const beacon = stored.randomness;
    await h.pg.query(
      `UPDATE buffer_events SET state = 'closing', closed_at = now(), beacon = $2, beacon_round = $3,
         beacon_signature = $4, beacon_chain = $5::jsonb WHERE event_id = $1`,
      [event.eventId, beacon, stored.round, stored.signature, JSON.stringify(h.beaconInfo)],
    );
    h.service = await h.startAnother();
    second = await h.startAnother();
    await untilClosed(event.eventId);

    const { rows } = await h.pg.query(
      'SELECT seed, entrant_hash, user_id FROM entries JOIN buffer_events USING (event_id) WHERE event_id = $1 AND NOT late',
      [event.eventId],
    );
    const expected = await runDraw({
      version: 'draw-v2',
      seed: rows[0].seed,
      beacon,
      entrantHashes: rows.map((r) => r.entrant_hash),
    });
    const userOf = new Map(rows.map((r) => [r.entrant_hash as string, r.user_id as string]));
    const numbers = await numbersOf(h, event.eventId);
    expected.order.forEach((hash, i) => expect(numbers.get(userOf.get(hash)!)!.n).toBe(i + 1));
    expect(numbers.get('crash-late-1')!.n).toBe(301);
    expect(numbers.get('crash-late-2')!.n).toBe(302);
    expect(await closedMessages(event.eventId)).toHaveLength(1);
  });

  it('fetches the beacon itself when the crash came before it was stored', async () => {
    const event = await h.createEvent();
    await bulkJoin(h, event.eventId, ['pre-1', 'pre-2', 'pre-3']);
    await h.pg.query(`UPDATE buffer_events SET state = 'closing', closed_at = now() WHERE event_id = $1`, [
      event.eventId,
    ]);
    await untilClosed(event.eventId);
    const doc = (await h.api(`/buffer/api/events/${event.eventId}/fairness`)).body;
    expect(doc.beacon.randomness).toMatch(/^[0-9a-f]{64}$/);
    expect((await h.verify(doc)).ok).toBe(true);
    expect([...(await numbersOf(h, event.eventId)).values()].map((v) => v.n).sort()).toEqual([1, 2, 3]);
  });
});

describe('a close while the beacon is down, with two instances', () => {
  it('waits and retries, refuses a beacon of another key, then draws on the due round once it is back', async () => {
    const event = await h.createEvent({ organiserId: 'org-dark' });
    const receipts: string[] = [];
    for (let i = 0; i < 6; i++) {
      const base = i % 2 ? second.url : h.service.url;
      const res = await fetch(`${base}/buffer/api/events/${event.eventId}/entries`, {
        method: 'POST',
        headers: { cookie: await fan(h, `dark-${i}`), 'content-type': 'application/json' },
        body: JSON.stringify({ altcha: await joinProof(h, event.eventId, base) }),
      });
      expect(res.status).toBe(201);
      receipts.push(JSON.stringify({ receipt: ((await res.json()) as { receipt: string }).receipt }));
    }
    await h.stopBeacon();
    try {
      const close = await h.api(`/buffer/api/events/${event.eventId}/close`, {
        method: 'POST',
        cookie: await h.identity.sessionCookie({ id: 'org-dark', role: 'organiser' }),
        body: {},
      });
      expect(close.status).toBe(202);
      // Several rounds (period 1 s) come due while the beacon is dark: nothing is drawn.
      await new Promise((r) => setTimeout(r, 3000));
      expect(await stateOf(event.eventId)).toBe('closing');
      const pending = await h.api(`/buffer/api/events/${event.eventId}/fairness`);
      expect(pending.status).toBe(409);
      const { rows: early } = await h.pg.query('SELECT count(*)::int AS n FROM numbers WHERE event_id = $1', [
        event.eventId,
      ]);
      expect(early[0].n).toBe(0);
      // A beacon that comes back with another key is another chain: still nothing drawn.
      await h.startBeacon(randomBeaconSecretKey());
      await new Promise((r) => setTimeout(r, 2000));
      expect(await stateOf(event.eventId)).toBe('closing');
    } finally {
      await h.startBeacon();
    }
    await untilClosed(event.eventId);
    const doc = (await h.api(`/buffer/api/events/${event.eventId}/fairness`)).body as FairnessDocumentV2;
    // The round due at the close, not the one current when the beacon came back.
    expect(doc.beacon.round).toBe(firstRoundAtOrAfter(h.beaconInfo, Date.parse(doc.closedAt)));
    const verified = await h.verify(doc, receipts);
    expect(verified.checks.filter((c) => c.status !== 'pass')).toEqual([]);
    expect(verified.subjects.map((s) => s.number).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await closedMessages(event.eventId)).toHaveLength(1);
  });
});
