import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { TokenVerifier, assignmentsOf, type Envelope } from '@ticketslave/common';
import {
  decodeReceipt,
  firstRoundAtOrAfter,
  type FairnessDocumentV2,
  type DrawVerification,
} from '@ticketslave/draw';
import { eventually, readTopic } from '@ticketslave/dev/test-support';
import { loadBufferConfig } from '../src/config';
import { MAX_QUEUE_TICKETS } from '../src/http/queue-ticket-cookies';
import { startBufferService } from '../src/start';
import { bulkJoin, fan, join, startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('bufclose');
});
afterAll(() => h?.stop());

const soon = (ms: number) => new Date(Date.now() + ms).toISOString();
const closed = (eventId: string) =>
  eventually(async () => (await h.api(`/buffer/api/events/${eventId}`)).body.state === 'closed', {
    timeoutMs: 20_000,
    message: 'the buffer never closed',
  });

describe('closing the buffer at saleStartsAt + bufferGraceSeconds', () => {
  const buffered = ['fan-a', 'fan-b', 'fan-c', 'fan-d', 'fan-e'];
  let eventId: string;
  let doc: FairnessDocumentV2;
  /** Each fan's receipt file, as "Save my receipt" writes it. */
  const receipts = new Map<string, string>();
  let commitmentBefore: string;
  let verified: DrawVerification;

  beforeAll(async () => {
    const event = await h.createEvent({ saleStartsAt: soon(2500), bufferGraceSeconds: 1 });
    eventId = event.eventId;
    commitmentBefore = (await h.api(`/buffer/api/events/${eventId}`)).body.commitment;
    for (const u of buffered) {
      const joined = await join(h, eventId, u);
      expect(joined.body.entry.late).toBe(false);
      receipts.set(
        u,
        JSON.stringify({ kind: 'ticketslave-join-receipt', eventId, receipt: joined.body.receipt }),
      );
    }
    const early = await h.api(`/buffer/api/events/${eventId}/fairness`);
    expect(early.status).toBe(409);
    expect(early.body.commitment).toMatch(/^[0-9a-f]{64}$/);
    expect(early.body.seed).toBeUndefined();
    await closed(eventId);
    doc = (await h.api(`/buffer/api/events/${eventId}/fairness`)).body;
    verified = await h.verify(doc, [...receipts.values()]);
  });

  it('signs into every join receipt the event, entrant hash, join time, commitment and draw version', () => {
    for (const [u, file] of receipts) {
      const { claims } = decodeReceipt(JSON.parse(file).receipt);
      expect(claims).toMatchObject({
        sub: u,
        evt: eventId,
        cmt: commitmentBefore,
        dv: 'draw-v2',
        late: false,
      });
      expect(claims.eh).toMatch(/^[0-9a-f]{64}$/);
      expect(claims.jat).toBeLessThanOrEqual(Date.parse(doc.closedAt));
    }
  });

  it('publishes a draw-v2 document on the authenticated beacon round that every receipt verifies', async () => {
    expect(verified.checks.filter((c) => c.status !== 'pass')).toEqual([]);
    expect(verified.ok).toBe(true);
    expect(doc).toMatchObject({
      version: 'draw-v2',
      eventId,
      total: buffered.length,
      commitment: commitmentBefore,
    });
    expect(doc.beacon.chain).toEqual(h.beaconInfo);
    expect(doc.beacon.round).toBe(firstRoundAtOrAfter(h.beaconInfo, Date.parse(doc.closedAt)));
    expect(doc.receiptKeys).toMatchObject({
      issuer: 'ticketslave-buffer',
      jwksUrl: expect.stringMatching(/\/buffer\/\.well-known\/jwks\.json$/),
    });
    const jwks = (await h.api('/buffer/.well-known/jwks.json')).body;
    expect(doc.receiptKeys.keys).toEqual(jwks.keys);
    for (const u of buffered) {
      const me = await h.api(`/buffer/api/events/${eventId}/entries/me`, { cookie: await fan(h, u) });
      const mine = verified.subjects.find(
        (s) => s.entrantHash === decodeReceipt(JSON.parse(receipts.get(u)!).receipt).claims.eh,
      );
      expect(me.body.queueNumber).toBe(mine!.number);
    }
    const state = await h.api(`/buffer/api/events/${eventId}`);
    expect(state.body).toMatchObject({ state: 'closed', total: 5, commitment: doc.commitment });
  });

  it('numbers late joiners after every buffered fan, in join order', async () => {
    const late1 = await join(h, eventId, 'late-1');
    const late2 = await join(h, eventId, 'late-2');
    expect(late1.body.entry).toMatchObject({ late: true, queueNumber: 6 });
    expect(late2.body.entry).toMatchObject({ late: true, queueNumber: 7 });
    const again = await join(h, eventId, 'fan-a');
    expect(again.body.entry.late).toBe(false);
    expect(again.body.entry.queueNumber).toBeLessThanOrEqual(5);
  });

  it('sets the queue ticket cookie once I have a number', async () => {
    const me = await h.api(`/buffer/api/events/${eventId}/entries/me`, { cookie: await fan(h, 'fan-c') });
    const setCookie = me.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(new RegExp(`^ts_qt_${eventId}=`));
    expect(setCookie).toMatch(/Path=\/queue/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    expect(setCookie).not.toMatch(/Secure/);
    const token = /=([^;]+)/.exec(setCookie)![1];
    const claims = await new TokenVerifier(`${h.service.url}/buffer/.well-known/jwks.json`).verify(
      'queueTicket',
      token,
    );
    expect(claims).toMatchObject({ sub: 'fan-c', evt: eventId, qn: me.body.queueNumber });
  });

  it('emits buffer.closed and queue.assigned for everyone, late joiners flagged', async () => {
    const closedMsgs = await readTopic<Envelope<'buffer.closed'>>(
      h.kafka.brokers,
      `${h.kafka.prefix}buffer.closed`,
      {
        until: (m) => m.some((x) => x.payload.eventId === eventId),
      },
    );
    const mine = closedMsgs.filter((m) => m.payload.eventId === eventId);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.payload).toMatchObject({
      total: 5,
      seed: doc.seed,
      commitment: doc.commitment,
      beacon: doc.beacon.randomness,
      entrantsDigest: doc.entrantsDigest,
    });
    const assigned = await readTopic<Envelope<'queue.assigned'>>(
      h.kafka.brokers,
      `${h.kafka.prefix}queue.assigned`,
      {
        until: (m) =>
          m.filter((x) => x.payload.eventId === eventId).flatMap((x) => assignmentsOf(x.payload).userIds)
            .length >= 7,
      },
    );
    const all = assigned
      .filter((m) => m.payload.eventId === eventId)
      .flatMap((m) => {
        const { userIds, queueNumbers } = assignmentsOf(m.payload);
        return userIds.map((userId, i) => ({ userId, queueNumber: queueNumbers[i]!, late: m.payload.late }));
      });
    expect(all.map((a) => a.queueNumber).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(all.filter((a) => a.late).map((a) => a.userId)).toEqual(['late-1', 'late-2']);
  });

  it('serves the document built once at the close from S3: strong ETag, a year of caching, 304 on If-None-Match', async () => {
    const url = `${h.service.url}/buffer/api/events/${eventId}/fairness`;
    const first = await fetch(url);
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(first.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await first.json()).toEqual(doc);
    const { rows } = await h.pg.query('SELECT fairness_etag FROM buffer_events WHERE event_id = $1', [
      eventId,
    ]);
    expect(rows[0].fairness_etag).toBe(etag);
    const again = await fetch(url, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    // Not rebuilt per request: a row slipped into entries after the close changes nothing served.
    await h.pg.query(
      `INSERT INTO entries (event_id, user_id, entrant_hash, late) VALUES ($1, 'slipped-in', $2, false)`,
      [eventId, 'e'.repeat(64)],
    );
    const plain = await fetch(url, { headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(plain.headers.get('etag')).toBe(etag);
    expect(await plain.json()).toEqual(doc);
    await h.pg.query(`DELETE FROM entries WHERE event_id = $1 AND user_id = 'slipped-in'`, [eventId]);
  });

  it('when FAIRNESS_PUBLIC_BASE_URL is set, redirects to the stored object, which is the document byte for byte and answers 304 itself', async () => {
    const served = await (await fetch(`${h.service.url}/buffer/api/events/${eventId}/fairness`)).text();
    const another = await startBufferService(
      loadBufferConfig({ ...h.env, FAIRNESS_PUBLIC_BASE_URL: `${h.s3Url}/ticketslave-fairness/` }),
      { port: 0 },
    );
    try {
      const url = `${another.url}/buffer/api/events/${eventId}/fairness`;
      const redirect = await fetch(url, { redirect: 'manual' });
      expect(redirect.status).toBe(302);
      const location = `${h.s3Url}/ticketslave-fairness/fairness/${eventId}.json.gz`;
      expect(redirect.headers.get('location')).toBe(location);
      expect(redirect.headers.get('etag')).toBeNull();
      // What fetch, browsers and verify-draw do: follow it, and take the stored gzip bytes.
      const followed = await fetch(url);
      expect(followed.status).toBe(200);
      expect(followed.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(await followed.text()).toBe(served);
      // Stored gzip-compressed (fetch inflates it, as browsers do).
      const raw = await fetch(location);
      expect(raw.headers.get('content-encoding')).toBe('gzip');
      expect(await raw.text()).toBe(served);
      const etag = raw.headers.get('etag')!;
      expect((await fetch(location, { headers: { 'if-none-match': etag } })).status).toBe(304);
      // A client holding the buffer's own ETag still gets its 304 from the buffer.
      const { rows } = await h.pg.query('SELECT fairness_etag FROM buffer_events WHERE event_id = $1', [
        eventId,
      ]);
      expect((await fetch(url, { headers: { 'if-none-match': rows[0].fairness_etag } })).status).toBe(304);
    } finally {
      await another.stop();
    }
  });

  it('lets a fan check their number with npm run verify-draw and their receipt', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'buffer-receipt-'));
    const receiptFile = path.join(dir, 'fan-b.json');
    writeFileSync(receiptFile, receipts.get('fan-b')!);
    const me = await h.api(`/buffer/api/events/${eventId}/entries/me`, { cookie: await fan(h, 'fan-b') });
    const { stdout } = await promisify(execFile)(
      'npm',
      [
        'run',
        '--silent',
        'verify-draw',
        '--',
        `${h.service.url}/buffer/api/events/${eventId}/fairness`,
        '--chain-info',
        `${h.beaconUrl}/info`,
        '--receipt',
        receiptFile,
        '--expect',
        String(me.body.queueNumber),
      ],
      { cwd: path.resolve(__dirname, '../../..') },
    );
    expect(stdout).toContain(`queue number ${me.body.queueNumber}`);
    expect(stdout).toMatch(/PASS +expected-number/);
    expect(stdout).toContain('VERIFIED: all 5 queue numbers recomputed');
  });
});

describe('POST /buffer/api/events/:id/close', () => {
  it('closes only for the owning organiser or an admin, exactly once', async () => {
    const event = await h.createEvent({ organiserId: 'org-owner' });
    await join(h, event.eventId, 'fan-z');
    const close = async (cookie: string) =>
      h.api(`/buffer/api/events/${event.eventId}/close`, { method: 'POST', cookie, body: {} });
    expect((await close(await fan(h, 'fan-z'))).status).toBe(403);
    const other = await close(await fan(h, 'org-other', { role: 'organiser' }));
    expect(other.status).toBe(403);
    expect(other.body.type).toMatch(/not_event_organiser$/);
    expect((await h.api(`/buffer/api/events/${event.eventId}`)).body.state).toBe('open');

    const first = await close(await fan(h, 'org-owner', { role: 'organiser' }));
    expect(first.status).toBe(202);
    expect(first.body.state).toMatch(/closing|closed/);
    const second = await close(await fan(h, 'admin-1', { role: 'admin' }));
    expect(second.status).toBe(409);
    expect(second.body.type).toMatch(/buffer_already_closed$/);
    await closed(event.eventId);
    const me = await h.api(`/buffer/api/events/${event.eventId}/entries/me`, {
      cookie: await fan(h, 'fan-z'),
    });
    expect(me.body.queueNumber).toBe(1);
  });

  it('closes an empty buffer cleanly', async () => {
    const event = await h.createEvent({ saleStartsAt: soon(0) });
    await closed(event.eventId);
    const doc = (await h.api(`/buffer/api/events/${event.eventId}/fairness`)).body as FairnessDocumentV2;
    expect(doc.total).toBe(0);
    expect((await h.verify(doc)).ok).toBe(true);
  });
});

describe('queue ticket cookies across many events', () => {
  it('when a fan collects tickets for more events than the bound, drops the least recent', async () => {
    // A browser's cookie jar for this origin: name → value (deletions remove the name).
    const jar = new Map<string, string>();
    const keep = (headers: Headers) => {
      for (const line of headers.getSetCookie()) {
        const [pair, ...attrs] = line.split(';');
        const [name, value] = [pair!.slice(0, pair!.indexOf('=')), pair!.slice(pair!.indexOf('=') + 1)];
        const expired = attrs.some(
          (a) => /^\s*Expires=/i.test(a) && new Date(a.split('=')[1]!) <= new Date(),
        );
        if (expired || value === '') jar.delete(name);
        else jar.set(name, value);
      }
    };
    const session = await fan(h, 'collector');
    const events = await Promise.all(
      Array.from({ length: MAX_QUEUE_TICKETS + 2 }, () => h.createEvent({ saleStartsAt: soon(1500) })),
    );
    // Straight in SQL: twelve joins by one fan would meet the per-fan join limit.
    for (const e of events) await bulkJoin(h, e.eventId, ['collector']);
    for (const e of events) await closed(e.eventId);
    for (const e of events) {
      // The browser sends the index cookie (path /buffer) back, as it would.
      const cookie = [session, ...[...jar].filter(([n]) => n === 'ts_qt_index').map(([n, v]) => `${n}=${v}`)];
      const me = await h.api(`/buffer/api/events/${e.eventId}/entries/me`, { cookie: cookie.join('; ') });
      expect(me.status).toBe(200);
      keep(me.headers);
      expect(jar.has(`ts_qt_${e.eventId}`)).toBe(true);
      expect([...jar.keys()].filter((n) => /^ts_qt_[0-9a-f-]{36}$/.test(n)).length).toBeLessThanOrEqual(
        MAX_QUEUE_TICKETS,
      );
    }
    const held = events.filter((e) => jar.has(`ts_qt_${e.eventId}`)).map((e) => e.eventId);
    expect(held).toEqual(events.slice(2).map((e) => e.eventId));
  });
});
