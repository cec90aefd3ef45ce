import { readFileSync } from 'node:fs';
import path from 'node:path';
import { openPass, parsePdf, type WalletCertificates } from '../dev/test-support';
import {
  becomeOrganiser,
  entryUrl,
  expected401,
  expectStatus,
  apiCall,
  freshTicketCode,
  joinInWaitingRoom,
  login,
  publishEvent,
  registerVerifiedFan,
  shownTicketCode,
  uniqueEmail,
  useBrowser,
  usePlatform,
  type ConsoleEntry,
  payOnStripePage,
  stripeOrigin,
  ticketRefOf,
} from './support';

/**
 * Tickets that work offline on the fan's phone once the ticket page was loaded (issue 20.6):
 * a fan buys a seat, opens "My tickets" on their phone once, and at the door, with no network,
 * reloads it. The page comes from the purchase frontend's service worker, the tickets from the
 * copy the page kept on the phone, with a notice saying from when, and the live QR code keeps
 * turning every 30 s. Signing out forgets that copy: offline, the page then has no tickets.
 */
const platform = usePlatform({ label: 'keeptickets' });
const browser = useBrowser({ baseUrl: async () => (await platform).url, axe: true });
/** Accounts are made before the event: the sale only has to leave room for the join. */
const SALE_IN_MS = 20_000;
const UI_WAIT = 45_000;

/** What Chromium logs for a request made with the network off. */
const offlineFailure = (e: ConsoleEntry) => /ERR_INTERNET_DISCONNECTED/.test(e.text);

describe('keep your tickets', () => {
  browser.it(
    'when the phone opened My tickets once, then after a reload with no network it shows the saved tickets with a live code that keeps turning',
    async () => {
      const p = await platform;
      const organiser = await browser.fan('organiser');
      const fan = await browser.fan('kim');
      const email = uniqueEmail('kim');
      await Promise.all([
        becomeOrganiser(organiser.context.request, p),
        registerVerifiedFan(fan.context.request, p, email),
      ]);
      const event = await publishEvent(organiser.context.request, p, {
        saleInMs: SALE_IN_MS,
        bufferGraceSeconds: 0,
      });

      // The shortest purchase: join, the turn, one seat, paid on the Stripe stand-in.
      await joinInWaitingRoom(fan, p, event.id);
      // The waiting room's "not joined yet" 404 before the join is expected; judge what follows.
      fan.log.length = 0;
      await fan.page.waitForURL(/\/purchase\/\?event=/, { timeout: SALE_IN_MS + 90_000 });
      await fan.page.getByRole('button', { name: 'Row A, seat 1', exact: true }).click();
      await fan.page.getByRole('button', { name: 'Hold seats' }).click();
      await fan.page.getByRole('link', { name: 'Continue to payment' }).click();
      await fan.page.getByRole('button', { name: 'Pay with Stripe' }).click();
      await payOnStripePage(fan, p, { timeout: UI_WAIT });
      await fan.page.getByText(/Paid/).first().waitFor({ timeout: UI_WAIT });
      await fan.screenshot('paid');

      // The fan's phone opens My tickets once, online.
      const phone = await browser.fan('kim-phone', 'mobile');
      await login(phone.context.request, p, email);
      const { tickets } = await expectStatus(
        apiCall<{ tickets: { ticketId: string; code: string; status: string }[] }>(
          phone.context.request,
          p,
          'GET',
          '/purchase/api/tickets',
        ),
        200,
        'my tickets',
      );
      expect(tickets).toHaveLength(1);
      const ticket = tickets[0]!;
      await phone.visit('/purchase/tickets', 'tickets-online');
      const online = await shownTicketCode(phone.page, ticket.ticketId);
      expect(online.split('~')[0]).toBe(ticket.code);
      expect(await phone.page.getByTestId('offline-notice').count()).toBe(0);

      // Keep your tickets (issue 20.7): the PDF and the Wallet pass download from the page and
      // open as a reader and Wallet would (the pass's signature against the platform's signing
      // certificate); the calendar file is the main journey's.
      const saved = async (name: RegExp): Promise<Buffer> => {
        const download = phone.page.waitForEvent('download');
        await phone.page.getByRole('link', { name }).first().click();
        return readFileSync(await (await download).path());
      };
      const ref = ticketRefOf(ticket.ticketId);
      const pdf = parsePdf(await saved(/^Download PDF/));
      expect(pdf.pages).toBe(1);
      expect(pdf.text).toContain(ref);
      expect(pdf.text).toContain('changes every 30 seconds');
      const signing = JSON.parse(
        readFileSync(path.join(p.localDir, 'keys', 'wallet-pass-signing.json'), 'utf8'),
      ) as WalletCertificates;
      const pass = openPass(await saved(/^Add to Apple Wallet/), signing);
      expect(JSON.stringify(pass.passJson)).toContain(ref);

      // The service worker is installed (the shell and assets precached), and after one
      // reload it controls the page (it does not claim the page that registered it).
      const script = await phone.page.evaluate(async () => {
        const registration = await Promise.race([
          navigator.serviceWorker.ready,
          new Promise<null>((resolve) => setTimeout(() => resolve(null), 30_000)),
        ]);
        if (registration) return registration.active?.scriptURL ?? null;
        const all = await navigator.serviceWorker.getRegistrations();
        return `no active service worker in 30 s: ${JSON.stringify(
          all.map((r) => ({ scope: r.scope, installing: r.installing?.state, waiting: r.waiting?.state })),
        )}`;
      });
      expect(script).toBe(`${p.url}/purchase/sw.js`);
      await phone.page.reload({ waitUntil: 'load' });
      expect(await phone.page.evaluate(() => navigator.serviceWorker.controller?.scriptURL ?? null)).toBe(
        `${p.url}/purchase/sw.js`,
      );
      await shownTicketCode(phone.page, ticket.ticketId);
      expect(phone.errors(expected401)).toEqual([]);

      // At the door: no network, a reload (a closed tab comes back the same way).
      await phone.context.setOffline(true);
      const page = await phone.page.reload({ waitUntil: 'load' });
      expect(page?.fromServiceWorker()).toBe(true);
      const notice = phone.page.getByTestId('offline-notice');
      await notice.waitFor({ timeout: UI_WAIT });
      expect(await notice.textContent()).toMatch(
        /^Showing the tickets saved on this phone at .*\d{1,2}:\d{2}.*: the codes still change and still get you in\.$/,
      );
      await phone.screenshot('tickets-offline');
      const before = await shownTicketCode(phone.page, ticket.ticketId);
      // The next window's code: a new TOTP for the same signed ticket, made on the phone.
      const after = await freshTicketCode(phone.page, ticket.ticketId);
      const [signedBefore, windowBefore, otpBefore] = before.split('~');
      const [signedAfter, windowAfter, otpAfter] = after.split('~');
      expect(signedBefore).toBe(ticket.code);
      expect(signedAfter).toBe(ticket.code);
      expect(Number(windowAfter)).toBeGreaterThan(Number(windowBefore));
      expect(otpAfter).toMatch(/^\d{6}$/);
      expect(otpAfter).not.toBe(otpBefore);
      await phone.screenshot('tickets-offline-next-code');

      // Back online, the fan signs out on the phone: offline again, the page has no tickets.
      await phone.context.setOffline(false);
      await phone.page.reload({ waitUntil: 'load' });
      await shownTicketCode(phone.page, ticket.ticketId);
      await phone.page.getByRole('button', { name: 'Open menu' }).click();
      await phone.page.getByRole('button', { name: 'Log out' }).click();
      await phone.page.waitForURL(/\/feed\/$/, { timeout: UI_WAIT });
      await phone.context.setOffline(true);
      await phone.page.goto('/purchase/tickets', { waitUntil: 'load' });
      await phone.page.getByText("We couldn't load your tickets").waitFor({ timeout: UI_WAIT });
      expect(await phone.page.getByRole('img', { name: /^Live QR code of ticket/ }).count()).toBe(0);
      await phone.screenshot('signed-out-offline');

      expect(fan.errors((e) => expected401(e) || !!entryUrl(e)?.startsWith(stripeOrigin(p)))).toEqual([]);
      expect(phone.errors((e) => expected401(e) || offlineFailure(e))).toEqual([]);
    },
    // 145 s alone; in CI, next to two other suites on two cores, it went past 240 s.
    480_000,
  );
});
