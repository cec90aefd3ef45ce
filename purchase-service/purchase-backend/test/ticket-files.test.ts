import { createHash, randomUUID } from 'node:crypto';
import { unzipSync, zipSync } from 'fflate';
import {
  eventually,
  makeWalletCertificates,
  openPass,
  parsePdf,
  qrCodesIn,
} from '@ticketslave/dev/test-support';
import { NO_PRINTED_CODE } from '../src/domain/ticket-pdf';
import { ticketRef } from '../src/domain/ticket-text';
import { NO_WALLET_BARCODE } from '../src/domain/wallet-pass';
import { call, seat, snapshot, startHarness, type Harness } from './harness';

/**
 * The tickets a fan keeps (issue 20.7): the PDF and the Apple Wallet pass of one ticket,
 * downloaded over HTTP from the real service and read as a PDF reader and Wallet would, and
 * held to what the door accepts: a code only where the organiser allows printed codes.
 */
let h: Harness;
const wallet = makeWalletCertificates();
const ORG = randomUUID();
// Tokyo and yen: the time in the venue's zone with the zone named, money with no decimals.
const snap = snapshot({
  organisationId: ORG,
  organiserId: 'u-owner',
  title: 'Night Shift Orchestra',
  venue: 'Blue Note Hall',
  timeZone: 'Asia/Tokyo',
  startsAt: '2027-03-05T11:00:00.000Z',
  doorsAt: '2027-03-05T10:00:00.000Z',
  categories: [
    {
      id: 'stalls',
      name: 'Stalls',
      kind: 'reserved',
      priceMinor: 8800,
      currency: 'JPY',
      sections: [{ name: 'Main', rows: [{ from: 'A', to: 'E', seats: 20 }] }],
    },
    { id: 'standing', name: 'Standing', kind: 'ga', priceMinor: 5500, currency: 'JPY', capacity: 50 },
  ],
});
const E = snap.eventId;

beforeAll(async () => {
  h = await startHarness('ticketfiles', { env: { WALLET_PASS_SIGNING: JSON.stringify(wallet) } });
  await h.publish('organisation.updated', {
    organisationId: ORG,
    version: 1,
    name: 'Night Shift',
    settings: { releaseSeatsOnExternalRefund: true },
    members: [
      { userId: 'u-owner', role: 'owner' },
      { userId: 'u-door', role: 'door' },
    ],
  });
  await eventually(
    async () => (await h.sql(`SELECT 1 FROM organisations WHERE organisation_id = $1`, [ORG])).length === 1,
    { timeoutMs: 20_000, message: 'organisation.updated was not applied' },
  );
  await h.publishEvent(snap);
}, 90_000);
afterAll(async () => {
  await h?.stop();
});

const staff = (id: string) => h.identity.sessionCookie({ id, role: 'organiser' });

async function staticCodes(allowed: boolean) {
  const r = await call(h, 'PUT', `/organiser/events/${E}/ticket-codes`, await staff('u-owner'), {
    staticCodes: allowed,
  });
  expect(r.status).toBe(200);
}

/** A fan holds, pays and gets their tickets (as `GET /tickets` shows them). */
async function paidTickets(user: string, selection: Record<string, unknown>) {
  const hold = await call(h, 'POST', `/events/${E}/holds`, await h.fan(user, E), selection);
  expect(hold.status).toBe(201);
  const { orderId, amountMinor } = hold.body as { orderId: string; amountMinor: number };
  const pay = {
    orderId,
    eventId: E,
    paymentIntentId: `pi_${orderId.slice(0, 8)}`,
    amountMinor,
    currency: 'JPY',
  };
  await h.publish('payment.authorized', { ...pay, buyerName: `Buyer ${user}` });
  await h.publish('payment.captured', pay);
  await eventually(
    async () => (await h.sql(`SELECT 1 FROM tickets WHERE order_id = $1`, [orderId])).length > 0,
  );
  const mine = await call(h, 'GET', '/tickets', await h.identity.sessionCookie({ id: user }));
  const tickets = (
    mine.body.tickets as { ticketId: string; orderId: string; code: string; unitId: string }[]
  ).filter((t) => t.orderId === orderId);
  return { orderId, tickets };
}

async function download(path: string, user?: string) {
  const res = await fetch(`${h.svc.url}/purchase/api${path}`, {
    headers: user ? { cookie: await h.identity.sessionCookie({ id: user }) } : {},
  });
  return { res, bytes: Buffer.from(await res.arrayBuffer()) };
}

const scan = async (code: string) =>
  (
    await call(h, 'POST', `/organiser/events/${E}/checkin/scans`, await staff('u-door'), {
      deviceId: 'door-1',
      code,
    })
  ).body;

describe('GET /purchase/api/tickets/:id.pdf', () => {
  it('when the organiser allows printed codes, the PDF names the event, its time and doors in the venue’s zone, the seat, the price in yen, the order and the reference, and its QR is the static code the door admits', async () => {
    await staticCodes(true);
    try {
      const { orderId, tickets } = await paidTickets('pdf-fan', { seats: [seat('A', 1)] });
      const t = tickets[0]!;
      const { res, bytes } = await download(`/tickets/${t.ticketId}.pdf`, 'pdf-fan');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/pdf');
      const ref = ticketRef(t.ticketId);
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="ticket-${ref}.pdf"`);
      expect(res.headers.get('cache-control')).toBe('private, no-store');

      const pdf = parsePdf(bytes);
      expect(pdf.pages).toBe(1);
      expect(pdf.info.Title).toBe(`Ticket ${ref}: Night Shift Orchestra`);
      for (const shown of [
        'Night Shift Orchestra',
        'Blue Note Hall',
        // 11:00 UTC is 20:00 in Tokyo, named as such; doors an hour before.
        'Friday, 5 March 2027 at 20:00 GMT+9 (Asia/Tokyo)',
        'Doors open 19:00 GMT+9',
        'Main, row A, seat 1',
        'Stalls',
        '¥8,800',
        orderId,
        ref,
      ])
        expect(pdf.text).toContain(shown);
      expect(pdf.text).not.toContain(NO_PRINTED_CODE);

      // The page's QR, scanned from its pixels, is the ticket's static code, and the door takes it.
      expect(qrCodesIn(pdf)).toEqual([t.code]);
      expect(await scan(qrCodesIn(pdf)[0]!)).toMatchObject({ verdict: 'admitted' });
    } finally {
      await staticCodes(false);
    }
  });

  it('when the event admits live codes only (the default), the PDF carries no QR at all and says to show the live code on the phone, naming the tickets page and the reference', async () => {
    const { tickets } = await paidTickets('live-only-fan', { categoryId: 'standing', quantity: 1 });
    const t = tickets[0]!;
    const { res, bytes } = await download(`/tickets/${t.ticketId}.pdf`, 'live-only-fan');
    expect(res.status).toBe(200);
    const pdf = parsePdf(bytes);
    expect(pdf.images).toEqual([]);
    expect(pdf.text).toContain(NO_PRINTED_CODE);
    expect(pdf.text).toContain('changes every 30 seconds');
    expect(pdf.text).toContain('http://localhost:8080/purchase/tickets');
    expect(pdf.text).toContain(ticketRef(t.ticketId));
    expect(pdf.text).toContain('Standing (general admission)');
    expect(pdf.text).toContain('¥5,500');
    // What a printout of the static code would get at the door: refused.
    expect(await scan(t.code)).toMatchObject({ verdict: 'expired' });
  });

  it('answers problem+json: 401 without a session, 404 for another fan’s ticket and for an unknown one, 410 for a void ticket, 400 for a malformed id', async () => {
    const { tickets } = await paidTickets('owner-fan', { seats: [seat('B', 1), seat('B', 2)] });
    const [kept, voided] = tickets;
    const problem = async (path: string, user?: string) => {
      const { res, bytes } = await download(path, user);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      return { status: res.status, type: (JSON.parse(bytes.toString('utf8')) as { type: string }).type };
    };
    expect(await problem(`/tickets/${kept!.ticketId}.pdf`)).toMatchObject({ status: 401 });
    expect(await problem(`/tickets/${kept!.ticketId}.pdf`, 'someone-else')).toEqual({
      status: 404,
      type: 'https://ticketslave.dev/problems/ticket_not_found',
    });
    expect(await problem(`/tickets/${randomUUID()}.pdf`, 'owner-fan')).toMatchObject({ status: 404 });
    expect(await problem(`/tickets/not-a-ticket.pdf`, 'owner-fan')).toMatchObject({ status: 400 });
    await h.sql(`UPDATE tickets SET status = 'void', voided_at = now() WHERE ticket_id = $1`, [
      voided!.ticketId,
    ]);
    expect(await problem(`/tickets/${voided!.ticketId}.pdf`, 'owner-fan')).toEqual({
      status: 410,
      type: 'https://ticketslave.dev/problems/ticket_void',
    });
    expect(await problem(`/tickets/${voided!.ticketId}.pkpass`, 'owner-fan')).toMatchObject({ status: 410 });
    expect(await problem(`/tickets/${kept!.ticketId}.pkpass`, 'someone-else')).toMatchObject({ status: 404 });
  });
});

describe('GET /purchase/api/tickets/:id.pkpass', () => {
  it('when the organiser allows printed codes, the pass is signed over a manifest of every file (checked against the signing certificate), names the event, time, venue and seat, and its QR barcode is the static code the door admits', async () => {
    await staticCodes(true);
    try {
      const { orderId, tickets } = await paidTickets('wallet-fan', { seats: [seat('C', 7)] });
      const t = tickets[0]!;
      const { res, bytes } = await download(`/tickets/${t.ticketId}.pkpass`, 'wallet-fan');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/vnd.apple.pkpass');
      const pass = openPass(bytes, wallet);
      expect(Object.keys(pass.manifest).sort()).toEqual(
        [
          'icon.png',
          'icon@2x.png',
          'icon@3x.png',
          'logo.png',
          'logo@2x.png',
          'logo@3x.png',
          'pass.json',
        ].sort(),
      );
      expect(pass.passJson).toMatchObject({
        formatVersion: 1,
        passTypeIdentifier: wallet.passTypeIdentifier,
        teamIdentifier: wallet.teamIdentifier,
        serialNumber: t.ticketId,
        relevantDate: snap.startsAt,
        barcodes: [{ format: 'PKBarcodeFormatQR', message: t.code, messageEncoding: 'iso-8859-1' }],
      });
      const fields = JSON.stringify(pass.passJson.eventTicket);
      for (const shown of [
        'Night Shift Orchestra',
        'Friday, 5 March 2027 at 20:00 GMT+9 (Asia/Tokyo)',
        'Blue Note Hall',
        'Main, row C, seat 7',
        '¥8,800',
        orderId,
      ])
        expect(fields).toContain(shown);
      expect(await scan(pass.passJson.barcodes![0]!.message)).toMatchObject({ verdict: 'admitted' });
    } finally {
      await staticCodes(false);
    }
  });

  it('when the event admits live codes only, the pass carries no barcode and its back says to show the live code from the tickets page', async () => {
    const { tickets } = await paidTickets('wallet-live-fan', { seats: [seat('C', 8)] });
    const { res, bytes } = await download(`/tickets/${tickets[0]!.ticketId}.pkpass`, 'wallet-live-fan');
    expect(res.status).toBe(200);
    const pass = openPass(bytes, wallet);
    expect(pass.passJson.barcodes ?? []).toEqual([]);
    expect(pass.passJson.barcode).toBeUndefined();
    const back = (pass.passJson.eventTicket as { backFields: { key: string; value: string }[] }).backFields;
    expect(back.find((f) => f.key === 'door')!.value).toContain(NO_WALLET_BARCODE);
  });

  it('when a pass is changed after signing, or checked against another certificate, the check refuses it: the manifest and the signature are really verified', async () => {
    const { tickets } = await paidTickets('tamper-fan', { seats: [seat('C', 9)] });
    const { bytes } = await download(`/tickets/${tickets[0]!.ticketId}.pkpass`, 'tamper-fan');
    expect(() => openPass(bytes, wallet)).not.toThrow();
    const files = unzipSync(bytes);
    const rezip = (changes: Record<string, Uint8Array>) => Buffer.from(zipSync({ ...files, ...changes }));
    const edited = new TextEncoder().encode(
      new TextDecoder().decode(files['pass.json']).replace('Night Shift Orchestra', 'Free Entry'),
    );
    expect(() => openPass(rezip({ 'pass.json': edited }), wallet)).toThrow(/pass\.json has SHA-1/);
    const manifest = JSON.parse(new TextDecoder().decode(files['manifest.json'])) as Record<string, string>;
    manifest['pass.json'] = createHash('sha1').update(edited).digest('hex');
    expect(() =>
      openPass(
        rezip({ 'pass.json': edited, 'manifest.json': new TextEncoder().encode(JSON.stringify(manifest)) }),
        wallet,
      ),
    ).toThrow(/signed digest/);
    expect(() => openPass(bytes, makeWalletCertificates())).toThrow(/signer certificate/);
  });

  it('when no signing certificate is configured, GET /tickets says there are no passes and the pass route answers 503 wallet_unavailable', async () => {
    const { tickets } = await paidTickets('no-wallet-fan', { seats: [seat('C', 10)] });
    expect(
      (await call(h, 'GET', '/tickets', await h.identity.sessionCookie({ id: 'no-wallet-fan' }))).body,
    ).toMatchObject({
      walletPasses: true,
    });
    const bare = await h.startAnother({ WALLET_PASS_SIGNING: '' });
    try {
      const get = async (path: string) =>
        fetch(`${bare.url}/purchase/api${path}`, {
          headers: { cookie: await h.identity.sessionCookie({ id: 'no-wallet-fan' }) },
        });
      expect(await (await get('/tickets')).json()).toMatchObject({ walletPasses: false });
      const res = await get(`/tickets/${tickets[0]!.ticketId}.pkpass`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ type: 'https://ticketslave.dev/problems/wallet_unavailable' });
      // The PDF needs no certificate.
      expect((await get(`/tickets/${tickets[0]!.ticketId}.pdf`)).status).toBe(200);
    } finally {
      await bare.stop();
    }
  });
});
