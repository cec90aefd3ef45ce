import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { createLogger, UpgradeRouter } from '@ticketslave/common';
import { eventually } from '@ticketslave/dev/test-support';
import { PgUnitStore } from '../src/data/units-repo';
import type { UnitStore } from '../src/domain/ports';
import { seatFeed } from '../src/ws/seat-feed';
import { call, seat, snapshot, startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('seatfeed');
});
afterAll(() => h?.stop());

const ORIGIN = 'http://localhost:8080';

/** Opens `/purchase/ws?event=<id>` and collects what it receives until it closes. */
function watch(base: string, eventId: string) {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/purchase/ws?event=${eventId}`, { origin: ORIGIN });
  const messages: { type: string }[] = [];
  ws.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString()) as { type: string }));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return { ws, messages, closed };
}

describe('WebSocket /purchase/ws', () => {
  it('when the event does not exist, closes with 4404 and watches nothing', async () => {
    const unknown = watch(h.svc.url, randomUUID());
    const { code, reason } = await unknown.closed;
    expect(code).toBe(4404);
    expect(reason).toMatch(/no sale for this event/);
    expect(unknown.messages).toEqual([]);
  });

  it('when the event exists, greets the socket and pushes seat changes', async () => {
    const snap = snapshot();
    await h.publishEvent(snap);
    const fan = watch(h.svc.url, snap.eventId);
    await eventually(() => fan.messages.some((m) => m.type === 'hello'));
    const held = await call(h, 'POST', `/events/${snap.eventId}/holds`, await h.fan('u-seat', snap.eventId), {
      seats: [seat('B', 7)],
    });
    expect(held.status).toBe(201);
    await eventually(() => fan.messages.some((m) => m.type === 'seats'), { timeoutMs: 10_000 });
    expect(fan.messages.find((m) => m.type === 'seats')).toEqual({
      type: 'seats',
      changes: [[seat('B', 7), 'held']],
    });
    fan.ws.close();
  });
});

describe('GET /purchase/api/events/:id/calendar.ics (issue 20.7)', () => {
  /** The file's properties, long lines unfolded (RFC 5545 3.1). */
  const properties = (ics: string) =>
    new Map(
      ics
        .replace(/\r?\n[ \t]/g, '')
        .split(/\r?\n/)
        .filter((l) => l.includes(':'))
        .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)] as const),
    );

  it('answers the event as one calendar entry: start in UTC, venue, doors in the venue zone, a link to the tickets', async () => {
    const snap = snapshot({
      title: 'Calendar Night, Part 2',
      venue: 'Hall; Berlin',
      timeZone: 'Europe/Berlin',
      startsAt: '2027-03-05T19:30:00.000Z',
      doorsAt: '2027-03-05T18:30:00.000Z',
    });
    await h.publishEvent(snap);
    const res = await fetch(`${h.svc.url}/purchase/api/events/${snap.eventId}/calendar.ics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="event-[0-9a-f]{8}\.ics"$/);
    const ics = await res.text();
    expect(ics.startsWith('BEGIN:VCALENDAR')).toBe(true);
    const p = properties(ics);
    expect(p.get('UID')).toBe(`${snap.eventId}@ticketslave`);
    expect(p.get('DTSTART')).toBe('20270305T193000Z');
    expect(p.get('DURATION')).toBe('PT3H');
    expect(p.get('SUMMARY')).toBe('Calendar Night\\, Part 2');
    expect(p.get('LOCATION')).toBe('Hall\\; Berlin');
    expect(p.get('STATUS')).toBe('CONFIRMED');
    expect(p.get('DESCRIPTION')).toContain('Doors open 19:30 (Europe/Berlin).');
    expect(p.get('URL')).toMatch(/\/purchase\/tickets$/);
  });

  it('refuses an event there is no sale for with problem+json 404', async () => {
    const res = await fetch(`${h.svc.url}/purchase/api/events/${randomUUID()}/calendar.ics`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await res.json()) as { type?: string }).type).toMatch(/event_not_found/);
  });
});

describe('seat feed polling', () => {
  let server: Server;
  let base: string;
  const polls = new Map<string, number>();
  let stopFeed: () => Promise<void>;

  beforeAll(async () => {
    const real = new PgUnitStore(h.svc.kit.ds);
    // The real store, counting its polls per event.
    const counting = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop === 'changesSince')
          return (eventId: string, ...rest: [number, number | null]) => {
            polls.set(eventId, (polls.get(eventId) ?? 0) + 1);
            return target.changesSince(eventId, ...rest);
          };
        return Reflect.get(target, prop, receiver) as unknown;
      },
    }) as UnitStore;
    const upgrades = new UpgradeRouter(createLogger('seatfeed', 'silent'));
    const parts = seatFeed({
      units: counting,
      eventExists: async (id) => (await h.sql(`SELECT 1 FROM events WHERE event_id = $1`, [id])).length > 0,
      upgrades,
      logger: createLogger('seatfeed', 'silent'),
      allowedOrigins: [ORIGIN],
      pollMs: 50,
    });
    for (const p of parts) await p.start();
    stopFeed = async () => {
      for (const p of [...parts].reverse()) await p.stop();
    };
    server = createServer();
    upgrades.attach(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await stopFeed();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('when many sockets watch one event, costs one poll per tick, as one socket on another event does', async () => {
    const busy = snapshot();
    const quiet = snapshot();
    await h.publishEvent(busy);
    await h.publishEvent(quiet);
    const crowd = Array.from({ length: 60 }, () => watch(base, busy.eventId));
    const lone = watch(base, quiet.eventId);
    await eventually(() => [...crowd, lone].every((s) => s.messages.some((m) => m.type === 'hello')));
    polls.clear();
    await eventually(() => (polls.get(quiet.eventId) ?? 0) >= 10, { timeoutMs: 20_000 });
    const [crowded, single] = [polls.get(busy.eventId) ?? 0, polls.get(quiet.eventId) ?? 0];
    // Both are polled once per tick: sixty sockets cost what one does (±1 for the tick in flight).
    expect(Math.abs(crowded - single)).toBeLessThanOrEqual(1);
    // Unknown ids are refused before they could be watched, so they are never polled.
    const madeUp = randomUUID();
    expect((await watch(base, madeUp).closed).code).toBe(4404);
    expect(polls.has(madeUp)).toBe(false);
    for (const s of [...crowd, lone]) s.ws.close();
  });
});
