import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { CODE_EXPIRED, liveTicketCode, ticketSecret } from '@ticketslave/contracts';
import { eventually } from '@ticketslave/dev/test-support';
import { call, seat, snapshot, startHarness, type Harness } from './harness';

let h: Harness;
const ORG = randomUUID();
const OTHER_ORG = randomUUID();
const snap = snapshot({ organisationId: ORG, organiserId: 'u-owner', timeZone: 'Europe/Lisbon' });
const E = snap.eventId;
const otherSnap = snapshot({ organisationId: OTHER_ORG, organiserId: 'u-other' });

beforeAll(async () => {
  h = await startHarness('checkin');
  await organisation(ORG, [
    { userId: 'u-owner', role: 'owner' },
    { userId: 'u-door', role: 'door' },
    { userId: 'u-door2', role: 'door' },
  ]);
  await organisation(OTHER_ORG, [{ userId: 'u-other', role: 'owner' }]);
  await h.publishEvent(snap);
  await h.publishEvent(otherSnap);
}, 90_000);
afterAll(async () => {
  await h?.stop();
});

async function organisation(id: string, members: { userId: string; role: 'owner' | 'manager' | 'door' }[]) {
  await h.publish('organisation.updated', {
    organisationId: id,
    version: 1,
    name: `Org ${id.slice(0, 4)}`,
    settings: { releaseSeatsOnExternalRefund: true },
    members,
  });
  await eventually(
    async () => (await h.sql(`SELECT 1 FROM organisations WHERE organisation_id = $1`, [id])).length === 1,
    { timeoutMs: 20_000, message: 'organisation.updated was not applied' },
  );
}

const as = (id: string) => h.identity.sessionCookie({ id, role: 'organiser' });
const get = async (who: string, path: string) => call(h, 'GET', path, await as(who));
const post = async (who: string, path: string, body: unknown) => call(h, 'POST', path, await as(who), body);

interface Ticket {
  ticket_id: string;
  unit_id: string;
  /** The live code the fan's page shows now. */
  code: string;
  /** The ticket's static (signed) part. */
  signed: string;
  /** The live code the page showed at `ms`. */
  at: (ms: number) => string;
}

/** A fan holds, pays and gets tickets; returns them with their live codes. */
async function paidOrder(user: string, units: string[], eventId = E) {
  const hold = await call(h, 'POST', `/events/${eventId}/holds`, await h.fan(user, eventId), {
    seats: units,
  });
  expect(hold.status).toBe(201);
  const { orderId, amountMinor } = hold.body as { orderId: string; amountMinor: number };
  const pay = {
    orderId,
    eventId,
    paymentIntentId: `pi_${orderId.slice(0, 8)}`,
    amountMinor,
    currency: 'EUR',
  };
  await h.publish('payment.authorized', { ...pay, buyerName: `Buyer ${user}` });
  await h.publish('payment.captured', pay);
  await eventually(
    async () => (await h.sql(`SELECT 1 FROM tickets WHERE order_id = $1`, [orderId])).length === units.length,
  );
  const rows = await h.sql<{ ticket_id: string; unit_id: string; code: string; code_key: string }>(
    `SELECT t.ticket_id, t.unit_id, t.code, e.code_key FROM tickets t JOIN events e USING (event_id)
     WHERE t.order_id = $1 ORDER BY t.unit_id`,
    [orderId],
  );
  const tickets: Ticket[] = rows.map((r) => {
    const at = (ms: number) => liveTicketCode(r.code, ticketSecret(r.code_key, r.ticket_id), ms);
    return { ticket_id: r.ticket_id, unit_id: r.unit_id, signed: r.code, code: at(Date.now()), at };
  });
  return { orderId, tickets };
}

interface Verdict {
  scanId: string;
  verdict: string;
  ticket: {
    ticketId: string;
    category: string;
    row: string | null;
    seat: number | null;
    holder: string;
  } | null;
  firstScan: { deviceId: string; scannedAt: string } | null;
}

describe('GET /purchase/api/organiser/events/:id/checkin/bundle', () => {
  it('gives a door member every ticket with its holder and seat, and the key that verifies the codes offline', async () => {
    const o = await paidOrder('bundle-fan', [seat('A', 1), seat('A', 2)]);
    const res = await get('u-door', `/organiser/events/${E}/checkin/bundle`);
    expect(res.status).toBe(200);
    const bundle = res.body as unknown as {
      event: { title: string; timeZone: string };
      verification: { issuer: string; audience: string; keys: JSONWebKeySet };
      tickets: {
        ticketId: string;
        holder: string;
        category: string;
        row: string;
        seat: number;
        status: string;
      }[];
      counts: { valid: number; checkedIn: number };
    };
    expect(bundle.event.timeZone).toBe('Europe/Lisbon');
    const mine = bundle.tickets.find((t) => t.ticketId === o.tickets[0]!.ticket_id);
    expect(mine).toMatchObject({
      holder: 'Buyer bundle-fan',
      category: 'Stalls',
      row: 'A',
      seat: 1,
      status: 'valid',
    });
    expect(bundle.counts.valid).toBe(
      Number(
        (
          await h.sql<{ n: string }>(
            `SELECT count(*) AS n FROM tickets WHERE event_id = $1 AND status = 'valid'`,
            [E],
          )
        )[0]!.n,
      ),
    );
    // The device checks a code with nothing but the bundle.
    const { payload } = await jwtVerify(o.tickets[1]!.signed, createLocalJWKSet(bundle.verification.keys), {
      issuer: bundle.verification.issuer,
      audience: bundle.verification.audience,
    });
    expect(payload).toMatchObject({ sub: o.tickets[1]!.ticket_id, evt: E });
  });
});

describe('POST /purchase/api/organiser/events/:id/checkin/scans', () => {
  it('admits a ticket once for door staff (by code or by ticket id); then already used, void, another event or a forged code are refused with the reason', async () => {
    const o = await paidOrder('scan-fan', [seat('B', 1), seat('B', 2), seat('B', 3)]);
    const other = await paidOrder('scan-other', [seat('A', 1)], otherSnap.eventId);
    const scan = (body: Record<string, unknown>) =>
      post('u-door', `/organiser/events/${E}/checkin/scans`, { deviceId: 'phone-1', ...body });

    const first = await scan({ code: o.tickets[0]!.code });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      verdict: 'admitted',
      ticket: { category: 'Stalls', row: 'B', seat: 1, holder: 'Buyer scan-fan' },
    });
    const again = await scan({ code: o.tickets[0]!.code });
    expect(again.body).toMatchObject({ verdict: 'already_used', firstScan: { deviceId: 'phone-1' } });
    expect((await scan({ ticketId: o.tickets[1]!.ticket_id })).body).toMatchObject({ verdict: 'admitted' });

    await h.sql(`UPDATE tickets SET status = 'void', voided_at = now() WHERE ticket_id = $1`, [
      o.tickets[2]!.ticket_id,
    ]);
    expect((await scan({ code: o.tickets[2]!.code })).body).toMatchObject({ verdict: 'void' });
    expect((await scan({ code: other.tickets[0]!.code })).body).toMatchObject({ verdict: 'wrong_event' });
    const signed = o.tickets[2]!.signed;
    const forged = o.tickets[2]!.code.replace(
      signed,
      signed.slice(0, -4) + (signed.endsWith('AAAA') ? 'BBBB' : 'AAAA'),
    );
    expect((await scan({ code: forged })).body).toMatchObject({ verdict: 'invalid', ticket: null });

    const rows = await h.sql<{ checked_in_at: Date | null }>(
      `SELECT checked_in_at FROM tickets WHERE order_id = $1 ORDER BY unit_id`,
      [o.orderId],
    );
    expect(rows.map((r) => r.checked_in_at !== null)).toEqual([true, true, false]);
    // Neither a code and a ticket id nor neither: 400 with the field named.
    const both = await scan({ code: o.tickets[0]!.code, ticketId: o.tickets[0]!.ticket_id });
    expect(both.status).toBe(400);
  });

  it('admits a ticket scanned at the same moment on two doors exactly once: the other door is told it was already used', async () => {
    const o = await paidOrder('two-doors-fan', [seat('C', 11)]);
    const code = o.tickets[0]!.code;
    const answers = await Promise.all(
      ['door-left', 'door-right', 'door-left', 'door-right'].map(async (deviceId, i) =>
        post(i % 2 ? 'u-door2' : 'u-door', `/organiser/events/${E}/checkin/scans`, { deviceId, code }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    const verdicts = answers.map((a) => (a.body as unknown as Verdict).verdict).sort();
    expect(verdicts).toEqual(['admitted', 'already_used', 'already_used', 'already_used']);
    const scans = await h.sql<{ n: string }>(`SELECT count(*) AS n FROM checkin_scans WHERE ticket_id = $1`, [
      o.tickets[0]!.ticket_id,
    ]);
    expect(Number(scans[0]!.n)).toBe(1);
  });

  it('admits nothing for a member whose organisation does not run the event, nor for a fan account', async () => {
    const o = await paidOrder('foreign-fan', [seat('C', 12)]);
    const foreign = await post('u-other', `/organiser/events/${E}/checkin/scans`, {
      deviceId: 'phone-x',
      code: o.tickets[0]!.code,
    });
    expect(foreign.status).toBe(404);
    const fan = await call(h, 'POST', `/organiser/events/${E}/checkin/scans`, await as('foreign-fan'), {
      deviceId: 'phone-y',
      code: o.tickets[0]!.code,
    });
    expect(fan.status).toBe(404);
    const rows = await h.sql<{ checked_in_at: Date | null }>(
      `SELECT checked_in_at FROM tickets WHERE ticket_id = $1`,
      [o.tickets[0]!.ticket_id],
    );
    expect(rows[0]!.checked_in_at).toBeNull();
    expect(
      await h.sql(`SELECT 1 FROM checkin_scans WHERE ticket_id = $1`, [o.tickets[0]!.ticket_id]),
    ).toHaveLength(0);
  });

  it('when door staff call a refund or an export, answers 403 and nothing changes; another organisation gets 404 for every check-in route', async () => {
    const o = await paidOrder('access-fan', [seat('C', 1)]);
    const refund = await post('u-door', `/organiser/orders/${o.orderId}/refunds`, {
      reason: 'door staff try',
    });
    expect(refund.status).toBe(403);
    expect((await h.sql(`SELECT 1 FROM refunds WHERE order_id = $1`, [o.orderId])).length).toBe(0);
    expect((await get('u-door', `/organiser/events/${E}/orders.csv`)).status).toBe(403);
    expect((await get('u-door', `/organiser/events/${E}/orders`)).status).toBe(403);

    const stranger = [
      await get('u-other', `/organiser/events/${E}/checkin/bundle`),
      await post('u-other', `/organiser/events/${E}/checkin/scans`, {
        deviceId: 'x-phone',
        code: o.tickets[0]!.code,
      }),
      await post('u-other', `/organiser/events/${E}/checkin/sync`, {
        deviceId: 'x-phone',
        scans: [
          { scanId: randomUUID(), ticketId: o.tickets[0]!.ticket_id, scannedAt: new Date().toISOString() },
        ],
      }),
      await get('u-other', `/organiser/events/${E}/checkin/conflicts`),
    ];
    expect(stranger.map((r) => r.status)).toEqual([404, 404, 404, 404]);
    expect(
      (await h.sql(`SELECT checked_in_at FROM tickets WHERE ticket_id = $1`, [o.tickets[0]!.ticket_id]))[0],
    ).toEqual({ checked_in_at: null });
    // The legacy door route follows the same roles.
    expect(
      (await call(h, 'POST', '/checkin', await as('u-other'), { code: o.tickets[0]!.code })).status,
    ).toBe(404);
    expect((await call(h, 'POST', '/checkin', await as('u-door'), { code: o.tickets[0]!.code })).status).toBe(
      200,
    );
  });
});

describe('POST /purchase/api/organiser/events/:id/checkin/sync', () => {
  it('when two offline devices admitted the same ticket, the first scan wins whichever syncs first, and the other is reported as a conflict', async () => {
    const o = await paidOrder('sync-fan', [seat('D', 1), seat('D', 2)]);
    const [t1, t2] = o.tickets as [Ticket, Ticket];
    const early = new Date(Date.now() - 120_000).toISOString();
    const late = new Date(Date.now() - 60_000).toISOString();
    const scanA = {
      scanId: randomUUID(),
      ticketId: t1.ticket_id,
      code: t1.at(Date.parse(early)),
      scannedAt: early,
    };
    const scanB = {
      scanId: randomUUID(),
      ticketId: t1.ticket_id,
      code: t1.at(Date.parse(late)),
      scannedAt: late,
    };
    const other = { scanId: randomUUID(), ticketId: t2.ticket_id, scannedAt: late };
    const sync = (who: string, deviceId: string, scans: unknown[]) =>
      post(who, `/organiser/events/${E}/checkin/sync`, { deviceId, scans });

    // B scanned later but syncs first: admitted for now.
    const b = await sync('u-door2', 'phone-b', [scanB, other]);
    expect(b.status).toBe(200);
    expect((b.body.results as Verdict[]).map((r) => r.verdict)).toEqual(['admitted', 'admitted']);
    // A scanned first: A wins, A's answer says admitted; the ticket's check-in time is A's scan.
    const a = await sync('u-door', 'phone-a', [scanA]);
    expect((a.body.results as Verdict[])[0]).toMatchObject({ scanId: scanA.scanId, verdict: 'admitted' });
    const [row] = await h.sql<{ checked_in_at: Date }>(
      `SELECT checked_in_at FROM tickets WHERE ticket_id = $1`,
      [t1.ticket_id],
    );
    expect(new Date(row!.checked_in_at).toISOString()).toBe(early);
    // B's next sync (the same scan again: recorded once) says conflict, naming A's scan.
    const bAgain = await sync('u-door2', 'phone-b', [scanB]);
    expect((bAgain.body.results as Verdict[])[0]).toMatchObject({
      verdict: 'conflict',
      firstScan: { deviceId: 'phone-a', scannedAt: early },
    });
    expect((await h.sql(`SELECT 1 FROM checkin_scans WHERE ticket_id = $1`, [t1.ticket_id])).length).toBe(2);
    // Every device sees the conflict: the ticket, both scans, the winner first.
    const conflicts = (await get('u-owner', `/organiser/events/${E}/checkin/conflicts`)).body.items as {
      ticket: { ticketId: string };
      scans: { deviceId: string; scannedAt: string }[];
    }[];
    const c = conflicts.filter((x) => x.ticket.ticketId === t1.ticket_id);
    expect(c).toHaveLength(1);
    expect(c[0]!.scans.map((s) => s.deviceId)).toEqual(['phone-a', 'phone-b']);
    expect(conflicts.some((x) => x.ticket.ticketId === t2.ticket_id)).toBe(false);
    // And an online scan afterwards is refused.
    const online = await post('u-door', `/organiser/events/${E}/checkin/scans`, {
      deviceId: 'phone-c',
      code: t1.code,
    });
    expect(online.body).toMatchObject({ verdict: 'already_used', firstScan: { deviceId: 'phone-a' } });
  });

  it('when two devices sync the same tickets at the same moment, each ticket ends with both scans, one check-in time (the earliest) and one conflict', async () => {
    const o = await paidOrder('race-fan', [
      seat('E', 1),
      seat('E', 2),
      seat('E', 3),
      seat('E', 4),
      seat('E', 5),
      seat('E', 6),
    ]);
    const base = Date.now() - 300_000;
    const scans = (offsetMs: number) =>
      o.tickets.map((t, i) => ({
        scanId: randomUUID(),
        ticketId: t.ticket_id,
        scannedAt: new Date(base + i * 1000 + offsetMs).toISOString(),
      }));
    // Device 1 scanned the even tickets first, device 2 the odd ones.
    const one = scans(0).map((s, i) =>
      i % 2 ? { ...s, scannedAt: new Date(Date.parse(s.scannedAt) + 500).toISOString() } : s,
    );
    const two = scans(250).map((s, i) =>
      i % 2 ? s : { ...s, scannedAt: new Date(Date.parse(s.scannedAt) + 500).toISOString() },
    );
    const [r1, r2] = await Promise.all([
      post('u-door', `/organiser/events/${E}/checkin/sync`, { deviceId: 'race-1', scans: one }),
      post('u-door2', `/organiser/events/${E}/checkin/sync`, { deviceId: 'race-2', scans: two }),
    ]);
    expect([r1.status, r2.status]).toEqual([200, 200]);
    const rows = await h.sql<{ ticket_id: string; checked_in_at: Date; first: Date; n: number }>(
      `SELECT t.ticket_id, t.checked_in_at, min(s.scanned_at) AS first, count(*)::int AS n
       FROM tickets t JOIN checkin_scans s USING (ticket_id) WHERE t.order_id = $1 GROUP BY t.ticket_id`,
      [o.orderId],
    );
    expect(rows).toHaveLength(6);
    for (const r of rows) {
      expect(r.n).toBe(2);
      expect(new Date(r.checked_in_at).getTime()).toBe(new Date(r.first).getTime());
    }
    const conflicts = (await get('u-door', `/organiser/events/${E}/checkin/conflicts`)).body.items as {
      ticket: { ticketId: string };
      scans: { deviceId: string }[];
    }[];
    const mine = conflicts.filter((c) => o.tickets.some((t) => t.ticket_id === c.ticket.ticketId));
    expect(mine.map((c) => c.scans[0]!.deviceId).sort()).toEqual([
      'race-1',
      'race-1',
      'race-1',
      'race-2',
      'race-2',
      'race-2',
    ]);
  });

  it('refuses a scan from the future (400, the field named) and records nothing', async () => {
    const o = await paidOrder('future-fan', [seat('D', 9)]);
    const res = await post('u-door', `/organiser/events/${E}/checkin/sync`, {
      deviceId: 'phone-f',
      scans: [
        {
          scanId: randomUUID(),
          ticketId: o.tickets[0]!.ticket_id,
          scannedAt: new Date(Date.now() + 3_600_000).toISOString(),
        },
      ],
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.errors)).toContain('scans.0.scannedAt');
    expect(
      (await h.sql(`SELECT 1 FROM checkin_scans WHERE ticket_id = $1`, [o.tickets[0]!.ticket_id])).length,
    ).toBe(0);
  });
});

describe('live ticket codes (issue 20.6): a screenshot does not get in', () => {
  const scan = (code: string, deviceId = 'phone-live') =>
    post('u-door', `/organiser/events/${E}/checkin/scans`, { deviceId, code });
  const scansOf = async (ticketId: string) =>
    (await h.sql(`SELECT 1 FROM checkin_scans WHERE ticket_id = $1`, [ticketId])).length;

  it('when the fan shows the code made now from the secret GET /tickets gave them, it is admitted; the code from 90 s earlier is refused as expired (problem+json on /checkin) and nothing is recorded', async () => {
    const o = await paidOrder('live-fan', [seat('A', 15), seat('A', 16)]);
    const mine = (await get('live-fan', '/tickets')).body as unknown as {
      tickets: {
        ticketId: string;
        code: string;
        secret: string | null;
        qr: string | null;
        staticCode: boolean;
      }[];
      serverTime: string;
    };
    expect(Math.abs(Date.parse(mine.serverTime) - Date.now())).toBeLessThan(5_000);
    const [first, second] = o.tickets.map((t) => mine.tickets.find((x) => x.ticketId === t.ticket_id)!);
    // Rotating only, by default: no static image to print.
    expect(first).toMatchObject({ staticCode: false, qr: null, code: o.tickets[0]!.signed });
    expect(first!.secret).toMatch(/^[A-Z2-7]{32}$/);

    const screenshot = liveTicketCode(second!.code, second!.secret!, Date.now() - 90_000);
    const stale = await scan(screenshot);
    expect(stale.body).toMatchObject({ verdict: 'expired', ticket: null });
    const api = await call(h, 'POST', '/checkin', await as('u-door'), { code: screenshot });
    expect(api.status).toBe(410);
    expect(api.body).toMatchObject({
      type: 'https://ticketslave.dev/problems/code_expired',
      detail: 'Code expired — open your ticket.',
    });
    expect(CODE_EXPIRED).toBe('code expired — open your ticket');
    expect(await scansOf(second!.ticketId)).toBe(0);

    expect((await scan(liveTicketCode(first!.code, first!.secret!, Date.now()))).body).toMatchObject({
      verdict: 'admitted',
      ticket: { row: 'A', seat: 15 },
    });
    // The previous window is still accepted (a code shown just before the turn of the window).
    expect(
      (await scan(liveTicketCode(second!.code, second!.secret!, Date.now() - 30_000))).body,
    ).toMatchObject({
      verdict: 'admitted',
      ticket: { row: 'A', seat: 16 },
    });
    // Another ticket's secret makes a wrong TOTP: not a ticket.
    const mixed = liveTicketCode(first!.code, second!.secret!, Date.now());
    expect((await scan(mixed)).body).toMatchObject({ verdict: 'invalid' });
  });

  it('when the organiser has not allowed static codes, the bare signed code is refused as expired; once an owner allows them, it admits and the fan gets a printable QR; door staff cannot change it', async () => {
    const o = await paidOrder('print-fan', [seat('B', 15), seat('B', 16)]);
    expect((await get('u-door', `/organiser/events/${E}/ticket-codes`)).body).toEqual({
      periodSeconds: 30,
      staticCodes: false,
    });
    expect((await scan(o.tickets[0]!.signed)).body).toMatchObject({ verdict: 'expired' });

    const denied = await call(h, 'PUT', `/organiser/events/${E}/ticket-codes`, await as('u-door'), {
      staticCodes: true,
    });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ type: 'https://ticketslave.dev/problems/role_forbids' });
    const bad = await call(h, 'PUT', `/organiser/events/${E}/ticket-codes`, await as('u-owner'), {
      staticCodes: 'yes',
    });
    expect(bad.status).toBe(400);
    expect((await h.sql(`SELECT static_codes FROM events WHERE event_id = $1`, [E]))[0]).toEqual({
      static_codes: false,
    });

    try {
      const on = await call(h, 'PUT', `/organiser/events/${E}/ticket-codes`, await as('u-owner'), {
        staticCodes: true,
      });
      expect(on.body).toEqual({ periodSeconds: 30, staticCodes: true });
      const printed = (await get('print-fan', '/tickets')).body.tickets as {
        ticketId: string;
        qr: string | null;
      }[];
      expect(printed.find((t) => t.ticketId === o.tickets[0]!.ticket_id)!.qr).toMatch(
        /^data:image\/png;base64,/,
      );
      const bundle = (await get('u-door', `/organiser/events/${E}/checkin/bundle`)).body as {
        verification: { rotation: { periodSeconds: number; codeKey: string; staticCodes: boolean } };
      };
      expect(bundle.verification.rotation).toMatchObject({ periodSeconds: 30, staticCodes: true });
      expect(bundle.verification.rotation.codeKey).toMatch(/^[0-9a-f]{64}$/);
      expect((await scan(o.tickets[0]!.signed)).body).toMatchObject({ verdict: 'admitted' });
      // Live codes still work alongside.
      expect((await scan(o.tickets[1]!.code)).body).toMatchObject({ verdict: 'admitted' });
    } finally {
      await call(h, 'PUT', `/organiser/events/${E}/ticket-codes`, await as('u-owner'), {
        staticCodes: false,
      });
    }
  });

  it('refuses an old code of a ticket already checked in as already used (with the first scan), on the door and as 409 on /checkin, and records nothing more', async () => {
    const o = await paidOrder('used-old-code-fan', [seat('D', 15)]);
    const [t] = o.tickets as [Ticket];
    const screenshot = t.at(Date.now() - 5_000);
    expect((await scan(t.code, 'phone-first')).body).toMatchObject({ verdict: 'admitted' });
    const old = t.at(Date.now() - 120_000);
    expect((await scan(old, 'phone-second')).body).toMatchObject({
      verdict: 'already_used',
      ticket: { row: 'D', seat: 15 },
      firstScan: { deviceId: 'phone-first' },
    });
    const api = await call(h, 'POST', '/checkin', await as('u-door'), { code: old });
    expect(api.status).toBe(409);
    expect(api.body).toMatchObject({ type: 'https://ticketslave.dev/problems/already_checked_in' });
    // The code shown a moment before the first scan: the same answer.
    expect((await scan(screenshot)).body).toMatchObject({ verdict: 'already_used' });
    expect(await scansOf(t.ticket_id)).toBe(1);
  });

  it('when an offline device syncs, each code is judged at the moment it was scanned: live then is admitted, stale then is refused as expired and not recorded', async () => {
    const o = await paidOrder('offline-live-fan', [seat('C', 15), seat('C', 16)]);
    const [t1, t2] = o.tickets as [Ticket, Ticket];
    const at = Date.now() - 200_000;
    const scannedAt = new Date(at).toISOString();
    const res = await post('u-door', `/organiser/events/${E}/checkin/sync`, {
      deviceId: 'phone-offline-live',
      scans: [
        { scanId: randomUUID(), ticketId: t1.ticket_id, code: t1.at(at - 10_000), scannedAt },
        { scanId: randomUUID(), ticketId: t2.ticket_id, code: t2.at(at - 90_000), scannedAt },
      ],
    });
    expect(res.status).toBe(200);
    expect((res.body.results as Verdict[]).map((r) => r.verdict)).toEqual(['admitted', 'expired']);
    expect(await scansOf(t1.ticket_id)).toBe(1);
    expect(await scansOf(t2.ticket_id)).toBe(0);
  });
});
