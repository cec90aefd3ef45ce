import { Kafka, logLevel } from 'kafkajs';
import { envelope } from '@ticketslave/common';
import { eventually } from '@ticketslave/dev/test-support';
import { startS3 } from '@ticketslave/dev/standins';
import { demoEventInput, organiser, startFeedHarness, type Browser, type FeedHarness } from './support';

let h: FeedHarness;
let s3: { url: string; stop(): Promise<void> };
let org: Browser;
beforeAll(async () => {
  s3 = await startS3({ port: 0, buckets: ['ticketslave-images'] });
  h = await startFeedHarness('feedpub', {
    S3_ENDPOINT: s3.url,
    S3_PUBLIC_BASE_URL: `${s3.url}/ticketslave-images`,
    S3_FORCE_PATH_STYLE: 'true',
    S3_ACCESS_KEY_ID: 'S3RVER',
    S3_SECRET_ACCESS_KEY: 'S3RVER',
    // Pages stay cached far longer than any test here: a fresh answer proves the invalidation.
    FEED_CACHE_MAX_AGE_MS: '60000',
  });
  org = (await organiser(h)).b;
});
afterAll(async () => {
  await h?.stop();
  await s3?.stop();
});

const day = 24 * 3600_000;
async function published(overrides: Record<string, unknown>): Promise<string> {
  const res = await org.post('/feed/api/organiser/events', demoEventInput(overrides));
  const { id } = (await res.json()) as { id: string };
  expect((await org.post(`/feed/api/organiser/events/${id}/publish`)).status).toBe(200);
  return id;
}

interface Page {
  items: { id: string; title: string; priceRange: unknown; status: string }[];
  nextCursor: string | null;
}

describe('GET /feed/api/events', () => {
  it('lists published upcoming events by start, searches, filters by date, pages with a cursor, and sends ETags', async () => {
    const base = Date.now() + 40 * day;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(
        await published({
          title: `Pager ${i}`,
          city: i === 2 ? 'Reykjavík' : 'Porto',
          startsAt: new Date(base + i * day).toISOString(),
        }),
      );
    await org.post(
      '/feed/api/organiser/events',
      demoEventInput({ title: 'Pager draft', startsAt: new Date(base).toISOString() }),
    );

    const anon = h.browser();
    const first = (await (await anon.get('/feed/api/events?q=pager&limit=2')).json()) as Page;
    expect(first.items.map((i) => i.id)).toEqual(ids.slice(0, 2));
    expect(first.items.map((i) => (i as { startsAt?: string }).startsAt)).toEqual([
      new Date(base).toISOString(),
      new Date(base + day).toISOString(),
    ]);
    expect(first.items[0]!.priceRange).toEqual({ minMinor: 4900, maxMinor: 8900, currency: 'EUR' });
    expect(first.items[0]).toMatchObject({ timeZone: 'Europe/Lisbon' });
    const details = (await (await anon.get(`/feed/api/events/${ids[0]}`)).json()) as {
      timeZone: string;
      doorsAt: string;
    };
    expect(details.timeZone).toBe('Europe/Lisbon');
    expect(Date.parse(details.doorsAt)).toBeLessThan(base);
    const second = (await (
      await anon.get(`/feed/api/events?q=pager&limit=2&cursor=${first.nextCursor}`)
    ).json()) as Page;
    expect(second.items.map((i) => i.id)).toEqual(ids.slice(2, 4));
    const third = (await (
      await anon.get(`/feed/api/events?q=pager&limit=2&cursor=${second.nextCursor}`)
    ).json()) as Page;
    expect(third.items.map((i) => i.id)).toEqual(ids.slice(4));
    expect(third.nextCursor).toBeNull();

    const city = (await (await anon.get('/feed/api/events?q=reykjav')).json()) as Page;
    expect(city.items.map((i) => i.id)).toEqual([ids[2]]);
    const from = new Date(base + 3 * day - 1000).toISOString();
    const dated = (await (
      await anon.get(`/feed/api/events?q=pager&from=${encodeURIComponent(from)}`)
    ).json()) as Page;
    expect(dated.items.map((i) => i.id)).toEqual(ids.slice(3));
    expect(((await (await anon.get('/feed/api/events?q=100%25')).json()) as Page).items).toEqual([]);

    const res = await anon.get('/feed/api/events?q=pager');
    const etag = res.headers.get('etag')!;
    expect(etag).toBeTruthy();
    // undici's fetch adds `Cache-Control: no-cache` to conditional requests unless one is set.
    const again = await anon.fetch('/feed/api/events?q=pager', {
      headers: { 'if-none-match': etag, 'cache-control': 'max-age=0' },
    });
    expect(again.status).toBe(304);
  });

  it('shows an organiser’s edit and cancellation at once, in the list and on the event page', async () => {
    const tag = `Cachetest${Date.now().toString(36)}`;
    const id = await published({ title: `${tag} before` });
    const anon = h.browser();
    const list = async (q: string) =>
      ((await (await anon.get(`/feed/api/events?q=${encodeURIComponent(q)}`)).json()) as Page).items;
    const page = async () =>
      (await (await anon.get(`/feed/api/events/${id}`)).json()) as { title: string; status: string };
    expect((await list(`${tag} before`)).map((i) => i.id)).toEqual([id]);
    expect((await page()).title).toBe(`${tag} before`);
    const etag = (await anon.get(`/feed/api/events/${id}`)).headers.get('etag');

    const edit = await org.fetch(`/feed/api/organiser/events/${id}`, {
      method: 'PUT',
      json: demoEventInput({ title: `${tag} after` }),
    });
    expect(edit.status).toBe(200);
    expect(await list(`${tag} before`)).toEqual([]);
    expect((await list(`${tag} after`)).map((i) => i.title)).toEqual([`${tag} after`]);
    expect((await page()).title).toBe(`${tag} after`);
    const revalidated = await anon.fetch(`/feed/api/events/${id}`, {
      headers: { 'if-none-match': etag!, 'cache-control': 'max-age=0' },
    });
    expect(revalidated.status).toBe(200);

    expect(
      (await org.post(`/feed/api/organiser/events/${id}/cancel`, { reason: 'the band split' })).status,
    ).toBe(200);
    expect(await list(tag)).toEqual([]);
    expect((await page()).status).toBe('cancelled');
  });

  it('turns a listed event to on_sale the moment its sale opens, with no write in between', async () => {
    const tag = `Opening${Date.now().toString(36)}`;
    const opensAt = Date.now() + 2500;
    const id = await published({ title: tag, saleStartsAt: new Date(opensAt).toISOString() });
    const status = async () =>
      ((await (await h.browser().get(`/feed/api/events?q=${tag}`)).json()) as Page).items[0]?.status;
    expect(await status()).toBe('published');
    expect(await status()).toBe('published');
    await new Promise((r) => setTimeout(r, opensAt - Date.now() + 50));
    expect(await status()).toBe('on_sale');
    expect(
      ((await (await h.browser().get(`/feed/api/events/${id}`)).json()) as { status: string }).status,
    ).toBe('on_sale');
  });

  it.each([
    ['a bad cursor', 'cursor=nope', 'cursor'],
    ['a bad date', 'from=yesterday', 'from'],
    ['a limit over 100', 'limit=1000', 'limit'],
  ])('refuses %s with problem+json', async (_n, qs, field) => {
    const res = await h.browser().get(`/feed/api/events?${qs}`);
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain(field);
  });
});

describe('GET /feed/api/events/:id', () => {
  it('shows stock from inventory.changed and the commitment from buffer.closed, and says sold out', async () => {
    const id = await published({ title: 'Stock show' });
    const before = (await (await h.browser().get(`/feed/api/events/${id}`)).json()) as Record<
      string,
      unknown
    >;
    expect(before).toMatchObject({ stock: null, buffer: null, capacity: 700, status: 'published' });
    const listedBefore = (await (await h.browser().get('/feed/api/events?q=stock%20show')).json()) as Page;
    expect(listedBefore.items.find((i) => i.id === id)?.status).toBe('published');
    expect(before.description).toBe('Loud. <script>alert(1)</script> stays text.');

    const kafka = new Kafka({ clientId: 'feed-test', brokers: h.kafka.brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const send = async (topic: 'inventory.changed' | 'buffer.closed', payload: never) =>
      producer.send({
        topic: h.kafka.prefix + topic,
        messages: [{ key: id, value: JSON.stringify(envelope(topic, payload)) }],
      });
    await send('inventory.changed', { eventId: id, available: 650, held: 30, sold: 20 } as never);
    const commitment = 'a'.repeat(64);
    await send('buffer.closed', {
      eventId: id,
      total: 1234,
      commitment,
      seed: 'b'.repeat(64),
      beacon: '',
      entrantsDigest: 'c'.repeat(64),
    } as never);
    const after = await eventually(async () => {
      const body = (await (await h.browser().get(`/feed/api/events/${id}`)).json()) as {
        stock?: object;
        buffer?: object;
      };
      return body.stock && body.buffer ? body : undefined;
    });
    expect(after.stock).toMatchObject({ available: 650, held: 30, sold: 20 });
    expect(after.buffer).toMatchObject({ total: 1234, commitment });

    await send('inventory.changed', { eventId: id, available: 0, held: 0, sold: 700 } as never);
    await eventually(
      async () =>
        ((await (await h.browser().get(`/feed/api/events/${id}`)).json()) as { status: string }).status ===
        'sold_out',
    );
    // The list page read before the message was consumed is not served any more either.
    const listed = (await (await h.browser().get('/feed/api/events?q=stock%20show')).json()) as Page;
    expect(listed.items.find((i) => i.id === id)?.status).toBe('sold_out');
    await producer.disconnect();
  });

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    expect((await h.browser().get('/feed/api/events/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await h.browser().get('/feed/api/events/not-a-uuid')).status).toBe(400);
  });
});

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.alloc(64, 7),
]);

describe('POST /feed/api/organiser/events/:id/poster', () => {
  const upload = (id: string, body: Buffer, type = 'image/png') =>
    org.fetch(`/feed/api/organiser/events/${id}/poster`, {
      method: 'POST',
      body: new Uint8Array(body),
      headers: { 'content-type': type },
    });

  it('stores a PNG in S3 and puts its public URL on the event', async () => {
    const res = await org.post('/feed/api/organiser/events', demoEventInput({ title: 'Poster show' }));
    const { id } = (await res.json()) as { id: string };
    const up = await upload(id, PNG);
    expect(up.status).toBe(200);
    const { posterUrl } = (await up.json()) as { posterUrl: string };
    expect(posterUrl.startsWith(`${s3.url}/ticketslave-images/images/posters/${id}/`)).toBe(true);
    const img = await fetch(posterUrl);
    expect(Buffer.from(await img.arrayBuffer()).equals(PNG)).toBe(true);
  });

  it.each([
    ['text that claims to be an image', Buffer.from('hello, not an image'), 'image/png', 400],
    ['a JSON body', Buffer.from('{}'), 'application/json', 400],
    ['an image over 5 MB', Buffer.concat([PNG, Buffer.alloc(5 * 1024 * 1024)]), 'image/png', 413],
  ])('refuses %s and keeps the poster', async (_n, body, type, status) => {
    const res = await org.post('/feed/api/organiser/events', demoEventInput({ title: 'Poster refusal' }));
    const { id } = (await res.json()) as { id: string };
    const up = await upload(id, body, type);
    expect(up.status).toBe(status);
    expect(up.headers.get('content-type')).toContain('application/problem+json');
    const event = (await (await org.get(`/feed/api/organiser/events/${id}`)).json()) as {
      posterUrl: unknown;
    };
    expect(event.posterUrl).toBeNull();
  });

  it('refuses an upload from someone who is not an organiser', async () => {
    const res = await h
      .browser()
      .fetch(`/feed/api/organiser/events/00000000-0000-4000-8000-000000000000/poster`, {
        method: 'POST',
        body: new Uint8Array(PNG),
        headers: { 'content-type': 'image/png' },
      });
    expect(res.status).toBe(401);
  });
});
