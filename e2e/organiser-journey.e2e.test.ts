import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import QRCode from 'qrcode';
import { chromium } from 'playwright-core';
import { waitForMail } from '../dev/standins';
import {
  apiCall,
  E2E_PASSWORD,
  expectStatus,
  freshTicketCode,
  shownTicketCode,
  joinInWaitingRoom,
  login,
  promoteInDatabase,
  publishEvent,
  registerVerifiedFan,
  uniqueEmail,
  useBrowser,
  usePlatform,
  type Fan,
  type Platform,
  payOnStripePage,
  doorVerdict,
} from './support';
import { RESULTS_DIR } from './support/browser';

/**
 * The organiser's journey (issue 16): a user applies to organise, an admin (made with the
 * admin command) approves, the new owner invites a door member, publishes an event, two
 * fans buy, the orders list shows them, the owner refunds one ticket (the fan gets the
 * mail and sees it void), and the door member scans a ticket with the phone's camera
 * (Chromium's fake camera showing the live QR code on the fan's phone): admitted, then
 * refused; the code the fan's phone showed 90 s earlier (a screenshot) is refused as
 * expired, online and offline; a scan made offline syncs when the network is back.
 */
const platform = usePlatform({ label: 'organiserjourney' });
const browser = useBrowser({ baseUrl: async () => (await platform).url, axe: true });
const UI_WAIT = 45_000;

/** A Y4M video (what Chromium's fake camera plays) showing `text` as a QR code, black on white. */
function qrVideo(text: string, file: string): void {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const size = qr.modules.size;
  const [w, h] = [640, 480];
  const px = Math.floor(440 / (size + 8));
  const left = Math.floor((w - size * px) / 2);
  const top = Math.floor((h - size * px) / 2);
  const y = Buffer.alloc(w * h, 235);
  for (let r = 0; r < size; r++)
    for (let c = 0; c < size; c++)
      if (qr.modules.get(r, c))
        for (let dy = 0; dy < px; dy++)
          y.fill(16, (top + r * px + dy) * w + left + c * px, (top + r * px + dy) * w + left + (c + 1) * px);
  const chroma = Buffer.alloc((w / 2) * (h / 2), 128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), y, chroma, chroma]);
  writeFileSync(
    file,
    Buffer.concat([Buffer.from(`YUV4MPEG2 W${w} H${h} F5:1 Ip A1:1 C420jpeg\n`), frame, frame, frame]),
  );
}

async function logInThroughUi(fan: Fan, email: string, next: string): Promise<void> {
  await fan.visit(`/feed/login?next=${encodeURIComponent(next)}`, 'login');
  await fan.page.getByLabel('E-mail').fill(email);
  await fan.page.getByLabel('Password').fill(E2E_PASSWORD);
  await fan.page.getByRole('button', { name: 'Log in' }).click();
  await fan.page.waitForURL((u) => u.pathname === next.split('?')[0], { timeout: UI_WAIT });
}

/**
 * From the queue page, in view: the turn is claimed for the fan when it comes; holds `seats`
 * and pays on the Stripe stand-in's page.
 */
async function buys(fan: Fan, p: Platform, seats: string[]): Promise<void> {
  await fan.page.waitForURL(/\/purchase\/\?event=/, { timeout: 180_000 });
  for (const seat of seats) await fan.page.getByRole('button', { name: seat, exact: true }).click();
  await fan.page.getByRole('button', { name: 'Hold seats' }).click();
  await fan.page.getByRole('link', { name: 'Continue to payment' }).click();
  await fan.page.getByRole('button', { name: 'Pay with Stripe' }).click();
  await payOnStripePage(fan, p, { timeout: UI_WAIT });
  await fan.page.getByText(/Paid/).first().waitFor({ timeout: UI_WAIT });
  await fan.screenshot('paid');
}

const ticketsOf = async (fan: Fan, p: Platform) =>
  (
    await expectStatus(
      apiCall<{ tickets: { ticketId: string; code: string; status: string; row: string; seat: number }[] }>(
        fan.context.request,
        p,
        'GET',
        '/purchase/api/tickets',
      ),
      200,
      'my tickets',
    )
  ).tickets;

describe('the organiser journey', () => {
  browser.it(
    'apply, approve, invite the door, publish, sell, refund one ticket, and check tickets in with the camera, online and offline',
    async () => {
      const p = await platform;

      // 1. A user applies to organise.
      const owner = await browser.fan('owner');
      const ownerEmail = uniqueEmail('owner');
      await registerVerifiedFan(owner.context.request, p, ownerEmail);
      await logInThroughUi(owner, ownerEmail, '/feed/organise');
      await owner.page.getByLabel('Organisation name').fill('Loopback Live');
      await owner.page.getByLabel('Your name').fill('Olive Owner');
      await owner.page.getByLabel('Website').fill('https://loopback.example');
      await owner.page.getByLabel('Expected audience').selectOption('up_to_500');
      await owner.screenshot('application');
      await owner.page.getByRole('button', { name: 'Send application' }).click();

      // 2. An admin, made with the admin command, approves it on the admin page.
      const admin = await browser.fan('admin');
      const adminEmail = uniqueEmail('admin');
      await registerVerifiedFan(admin.context.request, p, adminEmail);
      await promoteInDatabase(p, adminEmail, 'admin');
      await login(admin.context.request, p, adminEmail);
      await admin.visit('/feed/admin/applications', 'applications');
      await admin.page.getByText('Loopback Live').first().waitFor({ timeout: UI_WAIT });
      await admin.page.getByRole('button', { name: 'Approve…' }).first().click();
      await admin.page.getByRole('dialog').getByRole('button', { name: 'Approve', exact: true }).click();
      await waitForMail(p.inboxUrl, {
        to: ownerEmail,
        subjectIncludes: 'can now sell tickets',
        timeoutMs: 30_000,
      });

      // 3. The owner invites a door member, who accepts from the invitation e-mail.
      await login(owner.context.request, p, ownerEmail);
      await owner.visit('/feed/dashboard', 'dashboard');
      await owner.page.getByRole('link', { name: 'Team' }).first().click();
      const doorEmail = uniqueEmail('door');
      await owner.page.getByLabel('E-mail').fill(doorEmail);
      await owner.page.getByLabel('Role', { exact: true }).selectOption('door');
      await owner.page.getByRole('button', { name: 'Send invitation' }).click();
      await owner.page.getByText(doorEmail).first().waitFor({ timeout: UI_WAIT });
      await owner.screenshot('team-invited');
      const invitation = await waitForMail(p.inboxUrl, {
        to: doorEmail,
        subjectIncludes: 'Join Loopback Live',
        timeoutMs: 30_000,
      });
      const acceptLink = /(\S*\/feed\/invitations\/accept\?token=\S+)/.exec(invitation.text)![1]!;
      const doorDesk = await browser.fan('door-desk');
      await registerVerifiedFan(doorDesk.context.request, p, doorEmail);
      await doorDesk.visit(acceptLink, 'invitation');
      await doorDesk.page.getByRole('button', { name: /^Join Loopback Live/ }).click();
      await doorDesk.page.waitForURL(/\/feed\/dashboard$/, { timeout: UI_WAIT });
      await doorDesk.page.getByText('Your role: Door staff').waitFor({ timeout: UI_WAIT });
      await doorDesk.screenshot('door-joined');

      // 4. The owner publishes an event of the organisation (sale moments away).
      const event = await publishEvent(owner.context.request, p, {
        saleInMs: 20_000,
        bufferGraceSeconds: 600,
      });

      // 5. Two fans join, the owner closes the buffer, both buy.
      const [ann, ben] = [await browser.fan('ann'), await browser.fan('ben')];
      const annEmail = (await registerVerifiedFan(ann.context.request, p, uniqueEmail('ann'))).email;
      const benEmail = (await registerVerifiedFan(ben.context.request, p, uniqueEmail('ben'))).email;
      await joinInWaitingRoom(ann, p, event.id);
      await joinInWaitingRoom(ben, p, event.id);
      await expectStatus(
        apiCall(owner.context.request, p, 'POST', `/buffer/api/events/${event.id}/close`, {}),
        202,
        'close the buffer',
      );
      await Promise.all([
        buys(ann, p, ['Row A, seat 1', 'Row A, seat 2']),
        buys(ben, p, ['Row B, seat 1', 'Row B, seat 2']),
      ]);

      // 6. The orders list shows both; the sale panel counts them.
      await owner.visit(`/feed/dashboard/events/${event.id}/orders`, 'orders');
      for (const email of [annEmail, benEmail])
        await owner.page.getByText(email).first().waitFor({ timeout: UI_WAIT });
      await owner.screenshot('orders-list');

      // 7. The owner refunds one of Ann's tickets.
      await owner.page.getByRole('link', { name: new RegExp(annEmail) }).click();
      await owner.page.getByRole('heading', { name: 'Tickets', exact: true }).waitFor({ timeout: UI_WAIT });
      await owner.page.getByLabel('Stalls, Row A, seat 1', { exact: true }).check();
      await owner.page.getByLabel('Reason for the refund').fill('seat A1 has no view');
      await owner.page.getByRole('button', { name: /^Refund 1 ticket/ }).click();
      await owner.page
        .getByRole('list', { name: 'Refunds' })
        .getByText('refunded', { exact: true })
        .waitFor({ timeout: 60_000 });
      await owner.screenshot('order-refunded');
      await owner.visit(`/feed/dashboard/events/${event.id}`, 'sale-panel');
      const revenue = owner.page.getByRole('region', { name: 'Revenue' });
      await revenue.getByText('€180.00').waitFor({ timeout: UI_WAIT });
      await revenue.getByText('€45.00').waitFor({ timeout: UI_WAIT });
      await revenue.getByText('€135.00').waitFor({ timeout: UI_WAIT });
      await owner.screenshot('sale-panel-after-refund');
      // Printed (static) codes are off until the organiser allows them.
      const printed = owner.page.getByLabel('Also accept printed tickets (a static code)');
      await printed.waitFor({ timeout: UI_WAIT });
      expect(await printed.isChecked()).toBe(false);

      // 8. Ann's inbox has the refund mail; My tickets shows that ticket void.
      const refundMail = await waitForMail(p.inboxUrl, {
        to: annEmail,
        subjectIncludes: 'Refund for',
        timeoutMs: 30_000,
      });
      expect(refundMail.text).toContain('seat A1 has no view');
      await ann.visit('/purchase/tickets', 'my-tickets');
      await ann.page.getByText('This ticket was voided').waitFor({ timeout: UI_WAIT });
      expect((await ticketsOf(ann, p)).map((t) => t.status).sort()).toEqual(['valid', 'void']);
      await ann.screenshot('ticket-void');

      // 9. Ben opens his tickets, then loses the network: the live codes keep turning. What his
      // phone shows now for his second ticket is kept, as a screenshot would keep it.
      const [benFirst, benSecond] = (await ticketsOf(ben, p)).sort((a, b) => a.seat - b.seat);
      await ben.visit('/purchase/tickets', 'my-tickets');
      await ben.context.setOffline(true);
      const screenshot = await shownTicketCode(ben.page, benSecond!.ticketId);
      const screenshotAt = Date.now();
      await ben.screenshot('live-code');
      // The door member's phone: Chromium's camera plays Ben's first ticket as his phone shows
      // it (offline). The door logs in and opens the check-in app first; the code is read just
      // after its window turned and the camera file rewritten with it right before the camera
      // starts, so it is live when scanned however long the door took (Chromium opens the file
      // when the camera starts; at launch it only reads its format).
      const dir = path.join(RESULTS_DIR, 'organiser-journey-camera');
      mkdirSync(dir, { recursive: true });
      const video = path.join(dir, 'ticket-qr.y4m');
      qrVideo(await shownTicketCode(ben.page, benFirst!.ticketId), video);
      const phone = await chromium.launch({
        executablePath: '/usr/bin/chromium',
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--use-fake-ui-for-media-stream',
          '--use-fake-device-for-media-stream',
          `--use-file-for-fake-video-capture=${video}`,
        ],
      });
      try {
        const ctx = await phone.newContext({
          baseURL: p.url,
          viewport: { width: 390, height: 844 },
          isMobile: true,
          hasTouch: true,
          permissions: ['camera'],
        });
        const door = await ctx.newPage();
        const shot = (name: string) =>
          door.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
        await login(ctx.request, p, doorEmail);
        await door.goto('/feed/dashboard');
        await door.getByRole('link', { name: 'Check-in' }).first().click();
        await door.waitForURL(`**/purchase/checkin/${event.id}`, { timeout: UI_WAIT });
        await door.getByTestId('checkin-counts').waitFor({ timeout: UI_WAIT });
        await expect(door.getByTestId('checkin-counts').textContent()).resolves.toMatch(
          /^\s*0\s*\/\s*3 checked in/,
        );
        await shot('01-door-ready');
        const shown = await freshTicketCode(ben.page, benFirst!.ticketId);
        expect(shown.startsWith(`${benFirst!.code}~`)).toBe(true);
        qrVideo(shown, video);
        await door.getByRole('button', { name: 'Scan with the camera' }).click();
        const verdict = door.getByTestId('verdict');
        expect(await doorVerdict(door, UI_WAIT)).toBe('admitted');
        await expect(verdict.textContent()).resolves.toContain('row B');
        await shot('02-admitted');
        await door.getByRole('button', { name: 'Next scan' }).click();
        await door.locator('[data-verdict="already_used"]').waitFor({ timeout: UI_WAIT });
        await shot('03-refused');
        await door.getByRole('button', { name: 'Next scan' }).click();
        await door.getByRole('button', { name: 'Stop camera' }).click();

        // The code Ben's phone showed 90 s ago is refused: expired, open the ticket. So is the
        // bare signed code (no printed codes at this event).
        const expired = async (code: string, shotName: string) => {
          await door.getByLabel('Ticket code').fill(code);
          await door.getByRole('button', { name: 'Check in' }).click();
          await door.locator('[data-verdict="expired"]').waitFor({ timeout: UI_WAIT });
          await expect(door.getByTestId('verdict').textContent()).resolves.toContain(
            'code expired — open your ticket',
          );
          await shot(shotName);
          await door.getByRole('button', { name: 'Next scan' }).click();
        };
        await door.waitForTimeout(Math.max(0, screenshotAt + 90_000 - Date.now()));
        await expired(screenshot, '04-screenshot-expired');
        await expired(benSecond!.code, '05-static-code-expired');
        // The API says the same, as problem+json.
        const api = await apiCall<{ type: string; detail: string }>(
          owner.context.request,
          p,
          'POST',
          '/purchase/api/checkin',
          { code: screenshot },
        );
        expect(api.status).toBe(410);
        expect(api.body).toMatchObject({ detail: 'Code expired — open your ticket.' });

        // Offline: the door phone refuses the old code on its own too, and admits what Ben's
        // phone (offline all along) shows now, from its own list; then syncs.
        await ctx.setOffline(true);
        await expired(screenshot, '06-offline-screenshot-expired');
        await door.getByLabel('Ticket code').fill(await shownTicketCode(ben.page, benSecond!.ticketId));
        await door.getByRole('button', { name: 'Check in' }).click();
        expect(await doorVerdict(door, UI_WAIT)).toBe('admitted');
        await expect(door.getByTestId('verdict').textContent()).resolves.toContain('offline');
        await shot('07-offline-admitted');
        await door.getByRole('button', { name: 'Next scan' }).click();
        await door.getByText('1 scan waiting to sync').waitFor({ timeout: UI_WAIT });
        await ctx.setOffline(false);
        await door.getByText('Everything synced').waitFor({ timeout: UI_WAIT });
        await expect(door.getByTestId('checkin-counts').textContent()).resolves.toMatch(
          /^\s*2\s*\/\s*3 checked in/,
        );
        await shot('08-synced');
        await ctx.close();
      } finally {
        await phone.close();
      }
      const attendees = await expectStatus(
        apiCall<{ items: { ticketId: string; checkedInAt: string | null }[] }>(
          owner.context.request,
          p,
          'GET',
          `/purchase/api/organiser/events/${event.id}/attendees`,
        ),
        200,
        'attendees',
      );
      const inAt = (id: string) => attendees.items.find((t) => t.ticketId === id)?.checkedInAt;
      expect(inAt(benFirst!.ticketId)).toBeTruthy();
      expect(inAt(benSecond!.ticketId)).toBeTruthy();

      // Door staff may not refund or export: 403, as the dashboard hides those.
      const doorApi = doorDesk.context.request;
      await login(doorApi, p, doorEmail);
      expect(
        (await apiCall(doorApi, p, 'GET', `/purchase/api/organiser/events/${event.id}/orders.csv`)).status,
      ).toBe(403);
      for (const f of [owner, admin, ann, ben])
        expect(f.log.filter((e) => e.kind === 'pageerror').map((e) => e.text)).toEqual([]);
    },
    600_000,
  );
});
