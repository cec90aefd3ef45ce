import type { Page } from 'playwright-core';
import {
  becomeOrganiser,
  entryUrl,
  expected401,
  login,
  publishEvent,
  registerVerifiedFan,
  uniqueEmail,
  useBrowser,
  usePlatform,
  type Fan,
  payOnStripePage,
  stripeOrigin,
} from './support';

/**
 * The German UI end to end (issue 20.9): a browser whose language is German (de-DE) gets every
 * fan page in German without choosing anything — event page, waiting room, queue, seats, hold,
 * payment, tickets — with times on the venue's clock and its zone shown (Europe/Berlin: "MEZ"
 * in December, "MESZ" in summer). The language switch in the header turns the page English at
 * once, and the choice holds on the next page and after a reload. Then every fan page is
 * photographed in both languages on a desktop and on a phone, axe-core checking each.
 */
const platform = usePlatform({ label: 'german' });
const browser = useBrowser({ baseUrl: async () => (await platform).url, axe: true });
/** Long enough for one fan to register and join before the buffer closes at the sale. */
const SALE_IN_MS = 30_000;
const UI_WAIT = 45_000;
const VENUE_ZONE = 'Europe/Berlin';

/** The zone's German short name at an instant, as the pages must show it ("MEZ", "MESZ"). */
const germanZone = (iso: string) =>
  new Intl.DateTimeFormat('de-DE', { timeZone: VENUE_ZONE, timeZoneName: 'short' })
    .formatToParts(new Date(iso))
    .find((p) => p.type === 'timeZoneName')!.value;

const htmlLang = (page: Page) => page.evaluate(() => document.documentElement.lang);

/** Clicks a language in the header's switch (on a phone, in the menu). */
async function switchLanguage(fan: Fan, name: 'English' | 'Deutsch'): Promise<void> {
  if (fan.device === 'mobile') {
    await fan.page.getByRole('button', { name: /Menü öffnen|Open menu/ }).click();
  }
  await fan.page.getByTestId('language-switch').getByRole('button', { name }).last().click();
}

describe('the German UI', () => {
  browser.it(
    'when the browser speaks German, then the whole purchase is in German with venue times and their zone, and the switch turns it English',
    async () => {
      const p = await platform;
      const organiser = await browser.fan('organiser');
      await becomeOrganiser(organiser.context.request, p);
      const event = await publishEvent(organiser.context.request, p, {
        saleInMs: SALE_IN_MS,
        bufferGraceSeconds: 0,
        timeZone: VENUE_ZONE,
      });
      const zone = germanZone(event.saleStartsAt);

      const fan = await browser.fan('greta', 'desktop', { locale: 'de-DE' });
      const email = uniqueEmail('greta');
      await registerVerifiedFan(fan.context.request, p, email);

      // The event page: German without a choice, the show and the sale on the venue's clock.
      await fan.visit(`/feed/events/${event.id}`, 'event-de');
      expect(await htmlLang(fan.page)).toBe('de');
      await fan.page.getByRole('heading', { name: 'Über die Veranstaltung' }).waitFor({ timeout: UI_WAIT });
      const startsAt = (await fan.page.getByTestId('starts-at').textContent()) ?? '';
      expect(startsAt).toMatch(new RegExp(`\\d{1,2}:\\d{2} ${zone}$`));
      expect(
        await fan.page
          .getByTestId('language-switch')
          .getByRole('button', { name: 'Deutsch' })
          .getAttribute('aria-pressed'),
      ).toBe('true');

      // One click joins: the waiting room, in German, says when the buffer closes, with the zone.
      await fan.page.getByRole('link', { name: 'In die Warteschlange' }).click();
      await fan.page.waitForURL(/\/buffer\/\?event=/, { timeout: UI_WAIT });
      await fan.page.getByText('Sie sind dabei').first().waitFor({ timeout: UI_WAIT });
      await fan.page.getByText(new RegExp(`Schließt .*${zone}`)).waitFor({ timeout: UI_WAIT });
      await fan.screenshot('waiting-room-de');
      // The waiting room's "not joined yet" 404 before the join is expected; judge what follows.
      fan.log.length = 0;

      // The draw, the queue page in German, and the turn claimed for the fan: the seats.
      await fan.page.waitForURL(/\/queue\/\?event=/, { timeout: SALE_IN_MS + 60_000 });
      await fan.page
        .getByRole('heading', { name: 'Ihr Platz in der Warteschlange' })
        .waitFor({ timeout: UI_WAIT })
        .catch(() => undefined); // the turn may already have moved the page on
      await fan.screenshot('queue-de');
      await fan.page.waitForURL(/\/purchase\/\?event=/, { timeout: SALE_IN_MS + 90_000 });
      const window = fan.page.getByTestId('purchase-window');
      await window.waitFor({ timeout: UI_WAIT });
      expect(await window.textContent()).toMatch(
        new RegExp(`Ihr Kaufzeitfenster schließt um \\d{1,2}:\\d{2} ${zone}`),
      );
      await fan.page.getByRole('button', { name: 'Reihe A, Platz 1', exact: true }).click();
      await fan.screenshot('seats-de');
      await fan.page.getByRole('button', { name: 'Plätze reservieren' }).click();

      // The hold: German labels, money the German way.
      const panel = fan.page.getByTestId('hold-panel');
      await panel.waitFor({ timeout: UI_WAIT });
      await panel.getByText('Ihre Plätze sind reserviert').waitFor();
      await panel.getByText('Stalls · Reihe A · Platz 1').waitFor();
      expect(await panel.textContent()).toContain('45,00\u00a0€');
      await fan.screenshot('hold-de');

      // Payment on the Stripe stand-in (its own page stays English, as Stripe's would be set).
      await fan.page.getByRole('link', { name: 'Weiter zur Bezahlung' }).click();
      await fan.page.waitForURL(/\/payment\/\?order=/, { timeout: UI_WAIT });
      await fan.page.getByRole('heading', { name: 'Bezahlung' }).waitFor({ timeout: UI_WAIT });
      await fan.screenshot('payment-de');
      await fan.page.getByRole('button', { name: 'Mit Stripe bezahlen' }).click();
      await payOnStripePage(fan, p, { timeout: UI_WAIT });
      await fan.page
        .getByText(/Bezahlt – |Ihre Tickets sind bereit/)
        .first()
        .waitFor({ timeout: UI_WAIT });
      await fan.screenshot('paid-de');

      // The tickets: German, the show on the venue's clock with its zone.
      await fan.visit('/purchase/tickets', 'tickets-de');
      await fan.page.getByRole('heading', { name: 'Meine Tickets' }).waitFor({ timeout: UI_WAIT });
      await fan.page
        .getByRole('img', { name: /^Live-QR-Code von Ticket / })
        .first()
        .waitFor({ timeout: UI_WAIT });
      await fan.page
        .getByText(new RegExp(`Loopback Hall · .*\\d{1,2}:\\d{2} ${zone}`))
        .first()
        .waitFor({ timeout: UI_WAIT });
      await fan.screenshot('tickets-de');

      // The switch: English at once, on the next page and after a reload (the choice is kept).
      await switchLanguage(fan, 'English');
      await fan.page.getByRole('heading', { name: 'My tickets' }).waitFor({ timeout: UI_WAIT });
      expect(await htmlLang(fan.page)).toBe('en');
      await fan.screenshot('tickets-en');
      await fan.visit(`/feed/events/${event.id}`, 'event-en');
      await fan.page.getByRole('heading', { name: 'About' }).waitFor({ timeout: UI_WAIT });
      expect(await fan.page.getByTestId('starts-at').textContent()).toMatch(/GMT\+[12]$/);
      await fan.page.reload();
      await fan.page.getByRole('heading', { name: 'About' }).waitFor({ timeout: UI_WAIT });
      await switchLanguage(fan, 'Deutsch');
      await fan.page.getByRole('heading', { name: 'Über die Veranstaltung' }).waitFor({ timeout: UI_WAIT });

      // The same fan on a German phone: the pages they come back to, in German.
      const phone = await browser.fan('greta-phone', 'mobile', { locale: 'de-DE' });
      await login(phone.context.request, p, email);
      await phone.visit('/purchase/tickets', 'tickets-de');
      await phone.page.getByRole('heading', { name: 'Meine Tickets' }).waitFor({ timeout: UI_WAIT });
      await phone.page
        .getByRole('img', { name: /^Live-QR-Code von Ticket / })
        .first()
        .waitFor({ timeout: UI_WAIT });
      await phone.screenshot('tickets-de');
      await phone.visit('/purchase/orders', 'orders-de');
      await phone.page.getByText('Bezahlt', { exact: true }).first().waitFor({ timeout: UI_WAIT });
      await phone.screenshot('orders-de');
      await switchLanguage(phone, 'English');
      await phone.page.getByRole('heading', { name: 'My orders' }).waitFor({ timeout: UI_WAIT });
      await phone.screenshot('orders-en');

      // The Stripe stand-in's hosted page is another site (it has no favicon).
      expect(fan.errors((e) => expected401(e) || !!entryUrl(e)?.startsWith(stripeOrigin(p)))).toEqual([]);
      expect(phone.errors(expected401)).toEqual([]);
    },
    300_000,
  );

  /** The fan pages a visitor and a signed-in fan reach without a sale under way. */
  const PAGES = (eventId: string) => [
    { shot: 'events', url: '/feed/' },
    { shot: 'event', url: `/feed/events/${eventId}` },
    { shot: 'login', url: '/feed/login' },
    { shot: 'register', url: '/feed/register' },
    { shot: 'forgot-password', url: '/feed/forgot-password' },
    { shot: 'my-queues', url: '/feed/queues' },
    { shot: 'waiting-room', url: `/buffer/?event=${eventId}` },
    { shot: 'queue-no-event', url: '/queue/' },
    { shot: 'seats-not-admitted', url: '/purchase/' },
    { shot: 'my-tickets', url: '/purchase/tickets' },
    { shot: 'my-orders', url: '/purchase/orders' },
    { shot: 'payment-no-order', url: '/payment/' },
    { shot: 'not-found', url: '/feed/no-such-page' },
  ];

  browser.it(
    'when every fan page is opened in German and in English, on a desktop and on a phone, then it speaks that language and axe finds nothing serious',
    async () => {
      const p = await platform;
      const organiser = await browser.fan('organiser');
      await becomeOrganiser(organiser.context.request, p);
      const event = await publishEvent(organiser.context.request, p, { timeZone: VENUE_ZONE });
      const email = uniqueEmail('viewer');
      await registerVerifiedFan(organiser.context.request, p, email);

      const expectations = {
        'de-DE': { lang: 'de', events: 'Kommende Veranstaltungen', zone: germanZone(event.saleStartsAt) },
        'en-US': { lang: 'en', events: 'Upcoming events', zone: 'GMT+' },
      } as const;
      for (const locale of ['de-DE', 'en-US'] as const) {
        for (const device of ['desktop', 'mobile'] as const) {
          const viewer = await browser.fan(`${locale}-${device}`, device, { locale });
          await login(viewer.context.request, p, email);
          for (const page of PAGES(event.id)) {
            // The language in the step's name: axe checks each page once per language and device.
            await viewer.visit(page.url, `${page.shot}-${expectations[locale].lang}`);
            expect(await htmlLang(viewer.page)).toBe(expectations[locale].lang);
          }
          await viewer.visit('/feed/', 'events');
          await viewer.page
            .getByRole('heading', { name: expectations[locale].events })
            .waitFor({ timeout: UI_WAIT });
          await viewer.page.getByText(expectations[locale].zone).first().waitFor({ timeout: UI_WAIT });
          // A page that does not exist on a declared path answers 404; nothing else may go wrong.
          expect(viewer.errors((e) => expected401(e) || /404/.test(e.text))).toEqual([]);
        }
      }
    },
    300_000,
  );
});
