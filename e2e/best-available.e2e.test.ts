import {
  apiCall,
  becomeOrganiser,
  entryUrl,
  expected401,
  expectStatus,
  joinInWaitingRoom,
  publishEvent,
  registerVerifiedFan,
  uniqueEmail,
  useBrowser,
  usePlatform,
  payOnStripePage,
  stripeOrigin,
} from './support';

/**
 * Best available (issue 20.4) in Chromium: a fan admitted from the queue sees the purchase
 * window before holding anything, adds two standing places, asks for the best 4 seats
 * together in one click, gets the centred block of the front row in the hold panel with the
 * standing places in the same order, and pays for it all on the Stripe stand-in: six tickets.
 */
const platform = usePlatform({ label: 'bestavailable' });
const browser = useBrowser({ baseUrl: async () => (await platform).url, axe: true });
/** Long enough for one fan to register and join before the buffer closes at the sale. */
const SALE_IN_MS = 30_000;

describe('best available through the gateway', () => {
  browser.it(
    'best-available hold of 4 adjacent seats, with 2 standing places in the same order, paid into tickets',
    async () => {
      const p = await platform;
      const organiser = await browser.fan('organiser');
      await becomeOrganiser(organiser.context.request, p);
      const event = await publishEvent(organiser.context.request, p, {
        saleInMs: SALE_IN_MS,
        bufferGraceSeconds: 0,
        perUserLimit: 6,
        categories: [
          {
            kind: 'reserved',
            id: 'stalls',
            name: 'Stalls',
            priceMinor: 4500,
            currency: 'EUR',
            sections: [{ name: 'Stalls', rows: [{ from: 'A', to: 'C', seats: 8 }] }],
          },
          { kind: 'ga', id: 'standing', name: 'Standing', priceMinor: 2000, currency: 'EUR', capacity: 20 },
        ],
      });

      const fan = await browser.fan('dana');
      await registerVerifiedFan(fan.context.request, p, uniqueEmail('dana'));
      await joinInWaitingRoom(fan, p, event.id);
      // The waiting room's "not joined yet" 404 before the join is expected; judge what follows.
      fan.log.length = 0;
      // The buffer closes at the sale; the queue page, in view, claims the turn and moves on.
      await fan.page.waitForURL(/\/purchase\/\?event=/, { timeout: SALE_IN_MS + 90_000 });

      // Before any hold: the purchase window, and the Best available control.
      const window = fan.page.getByTestId('purchase-window');
      await window.waitFor({ timeout: 45_000 });
      expect(await window.textContent()).toMatch(/Your purchase window closes at \d{1,2}:\d{2}/);
      expect(await fan.page.getByTestId('hold-panel').count()).toBe(0);
      const best = fan.page.getByTestId('best-available');
      await best.waitFor();

      await fan.page.getByRole('spinbutton', { name: 'Quantity' }).fill('2');
      await best.getByLabel('Seats').selectOption('4');
      await best.getByText('With 2 × Standing in the same order.').waitFor();
      await fan.screenshot('best-available-chosen');
      await best.getByRole('button', { name: 'Hold the best 4 seats together' }).click();

      // One click: the hold panel with the centred block of the front row (8 seats: 3–6).
      const panel = fan.page.getByTestId('hold-panel');
      await panel.waitFor({ timeout: 45_000 });
      for (const n of [3, 4, 5, 6]) await panel.getByText(`Stalls · Row A · Seat ${n}`).waitFor();
      expect(await panel.getByText('Standing · general admission', { exact: true }).count()).toBe(2);
      await panel.getByText('€220.00').waitFor();
      await fan.screenshot('best-available-held');
      const map = await expectStatus(
        apiCall<{ sections: { rows: { label: string; seats: string }[] }[] }>(
          fan.context.request,
          p,
          'GET',
          `/purchase/api/events/${event.id}/seatmap`,
        ),
        200,
        'seat map',
      );
      expect(map.sections[0]!.rows.find((r) => r.label === 'A')!.seats).toBe('aahhhhaa');

      // The mixed order goes through payment: one Checkout for all six places.
      await fan.page.getByRole('link', { name: 'Continue to payment' }).click();
      await fan.page.waitForURL(/\/payment\/\?order=/, { timeout: 45_000 });
      await fan.page.getByRole('button', { name: 'Pay with Stripe' }).click();
      await payOnStripePage(fan, p);
      await fan.page.getByText(/Paid/).first().waitFor({ timeout: 30_000 });
      await fan.visit('/purchase/tickets', 'tickets');
      await fan.page
        .getByRole('img', { name: /^Live QR code of ticket/ })
        .first()
        .waitFor({ timeout: 45_000 });
      const { tickets } = await expectStatus(
        apiCall<{ tickets: { unitId: string; status: string }[] }>(
          fan.context.request,
          p,
          'GET',
          '/purchase/api/tickets',
        ),
        200,
        'my tickets',
      );
      expect(tickets.map((t) => t.unitId).sort()).toEqual([
        'stalls/Stalls/A/3',
        'stalls/Stalls/A/4',
        'stalls/Stalls/A/5',
        'stalls/Stalls/A/6',
        'standing/ga/1',
        'standing/ga/2',
      ]);
      expect(tickets.every((t) => t.status === 'valid')).toBe(true);
      await fan.screenshot('tickets');
      // The Stripe stand-in's hosted page is another site (it has no favicon).
      expect(fan.errors((e) => expected401(e) || !!entryUrl(e)?.startsWith(stripeOrigin(p)))).toEqual([]);
    },
    300_000,
  );
});
