import { Client } from 'pg';
import { readTopic } from '@ticketslave/dev/test-support';
import type { Envelope } from '@ticketslave/common';
import {
  admin,
  demoEventInput,
  organiser,
  startFeedHarness,
  verifiedFan,
  type Browser,
  type FeedHarness,
} from './support';

let h: FeedHarness;
beforeAll(async () => {
  h = await startFeedHarness('feedorg');
});
afterAll(() => h?.stop());

const topic = (name: string) => h.kafka.prefix + name;
async function create(b: Browser, overrides: Record<string, unknown> = {}) {
  const res = await b.post('/feed/api/organiser/events', demoEventInput(overrides));
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; status: string; version: number };
}
async function rowOf(id: string) {
  const c = new Client({ connectionString: h.db.url });
  await c.connect();
  try {
    return (await c.query(`SELECT status, version, categories FROM feed.events WHERE id = $1`, [id])).rows[0];
  } finally {
    await c.end();
  }
}

describe('POST /feed/api/organiser/events', () => {
  it('creates a draft that nobody else can see', async () => {
    const { b } = await organiser(h);
    const e = await create(b);
    expect(e).toMatchObject({ status: 'draft', version: 0 });
    expect((await h.browser().get(`/feed/api/events/${e.id}`)).status).toBe(404);
    const mine = (await (await b.get('/feed/api/organiser/events')).json()) as { items: { id: string }[] };
    expect(mine.items.map((i) => i.id)).toContain(e.id);
  });

  it('refuses a fan (403) and an anonymous caller (401)', async () => {
    const fan = await verifiedFan(h);
    expect((await fan.b.post('/feed/api/organiser/events', demoEventInput())).status).toBe(403);
    expect((await h.browser().post('/feed/api/organiser/events', demoEventInput())).status).toBe(401);
  });

  it.each([
    ['a missing title', { title: '' }, 'title'],
    [
      'an unknown category kind',
      { categories: [{ id: 'x', name: 'X', kind: 'vip', priceMinor: 1, currency: 'EUR' }] },
      'categories',
    ],
    [
      'a category id with capitals',
      { categories: [{ id: 'Floor', name: 'F', kind: 'ga', priceMinor: 1, currency: 'EUR', capacity: 5 }] },
      'categories.0.id',
    ],
    [
      'a negative price',
      { categories: [{ id: 'a', name: 'A', kind: 'ga', priceMinor: -1, currency: 'EUR', capacity: 5 }] },
      'categories.0.priceMinor',
    ],
    [
      'a bad currency',
      { categories: [{ id: 'a', name: 'A', kind: 'ga', priceMinor: 1, currency: 'euro', capacity: 5 }] },
      'categories.0.currency',
    ],
    [
      'a backwards row range',
      {
        categories: [
          {
            id: 'a',
            name: 'A',
            kind: 'reserved',
            priceMinor: 1,
            currency: 'EUR',
            sections: [{ name: 'S', rows: [{ from: 'J', to: 'A', seats: 5 }] }],
          },
        ],
      },
      'categories.0.sections',
    ],
    [
      'duplicate category ids',
      {
        categories: [
          { id: 'a', name: 'A', kind: 'ga', priceMinor: 1, currency: 'EUR', capacity: 5 },
          { id: 'a', name: 'B', kind: 'ga', priceMinor: 1, currency: 'EUR', capacity: 5 },
        ],
      },
      'categories.1.id',
    ],
    ['a non-date start', { startsAt: 'next friday' }, 'startsAt'],
    [
      'a zero admit rate',
      { queue: { admitRatePerMinute: 0, maxActiveShoppers: 1, awayGraceSeconds: 0 } },
      'queue.admitRatePerMinute',
    ],
    ['a hold under 30 s', { holdSeconds: 10 }, 'holdSeconds'],
    ['an unknown time zone', { timeZone: 'Mars/Olympus_Mons' }, 'timeZone'],
    ['an offset instead of a time zone', { timeZone: '+01:00' }, 'timeZone'],
    ['a non-date doors time', { doorsAt: 'at eight' }, 'doorsAt'],
    [
      'a join proof of work easier than 1,000',
      {
        queue: {
          admitRatePerMinute: 100,
          maxActiveShoppers: 200,
          awayGraceSeconds: 120,
          joinPowMaxNumber: 10,
        },
      },
      'queue.joinPowMaxNumber',
    ],
  ])('refuses %s with a problem naming the field', async (_name, overrides, field) => {
    const { b } = await organiser(h);
    const res = await b.post('/feed/api/organiser/events', demoEventInput(overrides));
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await res.json()) as { errors: { path: string }[] };
    expect(problem.errors.map((e) => e.path).join(' ')).toContain(field);
    expect(
      ((await (await b.get('/feed/api/organiser/events')).json()) as { items: unknown[] }).items,
    ).toHaveLength(0);
  });
});

describe("the join's proof-of-work difficulty", () => {
  it('defaults to 50,000, and what the organiser raises it to reaches the buffer in the snapshot', async () => {
    const { b } = await organiser(h);
    // No queue settings sent: the defaults apply.
    const plain = await create(b, { queue: undefined });
    const stored = (await (await b.get(`/feed/api/organiser/events/${plain.id}`)).json()) as {
      queue: { joinPowMaxNumber: number };
    };
    expect(stored.queue.joinPowMaxNumber).toBe(50_000);
    const hot = await create(b, {
      queue: {
        admitRatePerMinute: 100,
        maxActiveShoppers: 200,
        awayGraceSeconds: 120,
        joinPowMaxNumber: 400_000,
      },
    });
    expect((await b.post(`/feed/api/organiser/events/${hot.id}/publish`)).status).toBe(200);
    const [published] = (
      await readTopic<Envelope<'event.published'>>(h.kafka.brokers, topic('event.published'), {
        until: (ms) => ms.some((m) => m.payload.eventId === hot.id),
      })
    ).filter((m) => m.payload.eventId === hot.id);
    expect(published!.payload.queue.joinPowMaxNumber).toBe(400_000);
  });
});

describe('the event lifecycle and the messages it emits', () => {
  it('publish → event.published v1, edit → event.updated v2, cancel → event.cancelled; each step audited', async () => {
    const { b, id: organiserId, organisationId } = await organiser(h);
    const e = await create(b);
    const pub = await b.post(`/feed/api/organiser/events/${e.id}/publish`);
    expect(pub.status).toBe(200);
    expect(await pub.json()).toMatchObject({ status: 'published', version: 1 });
    // Saving the form unchanged (the dashboard does before publishing) is no edit: no
    // new version, no event.updated, nothing in the audit log.
    const current = (await (await b.get(`/feed/api/organiser/events/${e.id}`)).json()) as Record<
      string,
      unknown
    >;
    const unchanged = await b.fetch(`/feed/api/organiser/events/${e.id}`, {
      method: 'PUT',
      json: Object.fromEntries(Object.keys(demoEventInput()).map((k) => [k, current[k]])),
    });
    expect(unchanged.status).toBe(200);
    expect(await unchanged.json()).toMatchObject({ version: 1 });
    const edited = await b.fetch(`/feed/api/organiser/events/${e.id}`, {
      method: 'PUT',
      json: demoEventInput({
        title: 'Night of Tests (extra date)',
        categories: [
          ...demoEventInput().categories.slice(0, 1),
          { id: 'ga', name: 'Standing', kind: 'ga', priceMinor: 4900, currency: 'EUR', capacity: 800 },
        ],
      }),
    });
    expect(edited.status).toBe(200);
    const cancel = await b.post(`/feed/api/organiser/events/${e.id}/cancel`, { reason: 'Band unwell' });
    expect(cancel.status).toBe(200);

    const [published] = await readTopic<Envelope<'event.published'>>(
      h.kafka.brokers,
      topic('event.published'),
      {
        until: (ms) => ms.some((m) => m.payload.eventId === e.id),
      },
    ).then((ms) => ms.filter((m) => m.payload.eventId === e.id));
    expect(published!.payload).toMatchObject({
      version: 1,
      organiserId,
      status: 'published',
      title: 'Night of Tests',
      timeZone: 'Europe/Lisbon',
      organisationId,
    });
    expect(Date.parse(published!.payload.doorsAt!)).toBe(
      Date.parse(published!.payload.startsAt) - 60 * 60_000,
    );
    expect(published!.payload.categories).toHaveLength(2);
    const updated = (
      await readTopic<Envelope<'event.updated'>>(h.kafka.brokers, topic('event.updated'), {
        until: (ms) => ms.some((m) => m.payload.eventId === e.id),
      })
    ).filter((m) => m.payload.eventId === e.id);
    expect(updated.map((m) => m.payload.version)).toEqual([2]);
    expect(updated[0]!.payload.title).toBe('Night of Tests (extra date)');
    const cancelled = (
      await readTopic<Envelope<'event.cancelled'>>(h.kafka.brokers, topic('event.cancelled'), {
        until: (ms) => ms.some((m) => m.payload.eventId === e.id),
      })
    ).filter((m) => m.payload.eventId === e.id);
    expect(cancelled.map((m) => m.payload)).toEqual([{ eventId: e.id, reason: 'Band unwell' }]);

    const audit = (await (await b.get(`/feed/api/organiser/events/${e.id}/audit`)).json()) as {
      items: { action: string }[];
    };
    expect(audit.items.map((a) => a.action)).toEqual(['cancelled', 'edited', 'published', 'created']);
  });

  it('refuses to publish an incomplete draft, listing every missing field, and emits nothing', async () => {
    const { b } = await organiser(h);
    const e = await create(b, { saleStartsAt: null, venue: '', categories: [] });
    const res = await b.post(`/feed/api/organiser/events/${e.id}/publish`);
    expect(res.status).toBe(400);
    const problem = (await res.json()) as { errors: { path: string }[] };
    expect(problem.errors.map((x) => x.path).sort()).toEqual(['categories', 'saleStartsAt', 'venue']);
    expect(await rowOf(e.id)).toMatchObject({ status: 'draft', version: 0 });
  });

  it('refuses doors that open after the show starts or before the sale, naming doorsAt', async () => {
    const { b } = await organiser(h);
    const input = demoEventInput();
    const late = await create(b, {
      doorsAt: new Date(Date.parse(input.startsAt) + 60_000).toISOString(),
    });
    const res = await b.post(`/feed/api/organiser/events/${late.id}/publish`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { path: string }[] }).errors.map((x) => x.path)).toEqual([
      'doorsAt',
    ]);
    const early = await create(b, {
      doorsAt: new Date(Date.parse(input.saleStartsAt) - 60_000).toISOString(),
    });
    const res2 = await b.post(`/feed/api/organiser/events/${early.id}/publish`);
    expect(((await res2.json()) as { errors: { path: string }[] }).errors.map((x) => x.path)).toEqual([
      'doorsAt',
    ]);
    expect(await rowOf(late.id)).toMatchObject({ status: 'draft' });
  });

  it('refuses a sale start in the past and a show before its sale', async () => {
    const { b } = await organiser(h);
    const past = await create(b, { saleStartsAt: new Date(Date.now() - 60_000).toISOString() });
    expect((await b.post(`/feed/api/organiser/events/${past.id}/publish`)).status).toBe(400);
    const early = await create(b, { startsAt: new Date(Date.now() + 60_000).toISOString() });
    const res = await b.post(`/feed/api/organiser/events/${early.id}/publish`);
    expect(((await res.json()) as { errors: { path: string }[] }).errors[0]!.path).toBe('startsAt');
  });

  it('refuses removing seats or shrinking capacity once published, changing nothing', async () => {
    const { b } = await organiser(h);
    const e = await create(b);
    await b.post(`/feed/api/organiser/events/${e.id}/publish`);
    const fewerRows = demoEventInput({
      categories: [
        {
          id: 'floor',
          name: 'Floor',
          kind: 'reserved',
          priceMinor: 8900,
          currency: 'EUR',
          sections: [{ name: 'Floor', rows: [{ from: 'A', to: 'I', seats: 20 }] }],
        },
        { id: 'ga', name: 'Standing', kind: 'ga', priceMinor: 4900, currency: 'EUR', capacity: 500 },
      ],
    });
    const res = await b.fetch(`/feed/api/organiser/events/${e.id}`, { method: 'PUT', json: fewerRows });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/remove 20 seat/);
    const smaller = demoEventInput({
      categories: [
        demoEventInput().categories[0],
        { id: 'ga', name: 'S', kind: 'ga', priceMinor: 1, currency: 'EUR', capacity: 10 },
      ],
    });
    expect(
      (await b.fetch(`/feed/api/organiser/events/${e.id}`, { method: 'PUT', json: smaller })).status,
    ).toBe(400);
    expect(await rowOf(e.id)).toMatchObject({ status: 'published', version: 1 });
  });

  it("when another organisation's member or a fan asks for an event, answers 404 as if it did not exist; an admin may act", async () => {
    const owner = await organiser(h);
    const other = await organiser(h);
    const fan = await verifiedFan(h);
    const e = await create(owner.b);
    for (const b of [other.b, fan.b]) {
      expect((await b.post(`/feed/api/organiser/events/${e.id}/publish`)).status).toBe(404);
      expect((await b.get(`/feed/api/organiser/events/${e.id}`)).status).toBe(404);
      expect((await b.get(`/feed/api/organiser/events/${e.id}/audit`)).status).toBe(404);
      expect((await b.fetch(`/feed/api/organiser/events/${e.id}`, { method: 'DELETE' })).status).toBe(404);
    }
    expect(await rowOf(e.id)).toMatchObject({ status: 'draft', version: 0 });
    const mine = (await (await other.b.get('/feed/api/organiser/events')).json()) as {
      items: { id: string }[];
    };
    expect(mine.items.map((i) => i.id)).not.toContain(e.id);
    const { b: adminB } = await admin(h);
    expect((await adminB.post(`/feed/api/organiser/events/${e.id}/publish`)).status).toBe(200);
    const audit = (await (await owner.b.get(`/feed/api/organiser/events/${e.id}/audit`)).json()) as {
      items: { action: string; actorEmail: string; actorRole: string }[];
    };
    expect(audit.items.map((a) => [a.action, a.actorEmail, a.actorRole])).toEqual([
      ['published', (await admin(h)).email, 'admin'],
      ['created', owner.email, 'owner'],
    ]);
  });

  it('answers 409 to publishing twice and to cancelling a cancelled event', async () => {
    const { b } = await organiser(h);
    const e = await create(b);
    await b.post(`/feed/api/organiser/events/${e.id}/publish`);
    expect((await b.post(`/feed/api/organiser/events/${e.id}/publish`)).status).toBe(409);
    await b.post(`/feed/api/organiser/events/${e.id}/cancel`, { reason: 'Venue flooded' });
    expect((await b.post(`/feed/api/organiser/events/${e.id}/cancel`, { reason: 'again' })).status).toBe(409);
    expect((await b.post(`/feed/api/organiser/events/${e.id}/cancel`, {})).status).toBe(400);
  });
});
