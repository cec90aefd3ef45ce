import { eventually } from '../dev/test-support';
import {
  apiCall,
  becomeOrganiser,
  expectStatus,
  joinInWaitingRoom,
  publishEvent,
  registerVerifiedFan,
  uniqueEmail,
  useBrowser,
  usePlatform,
  type Fan,
} from './support';

/**
 * The main journey (e2e/main-journey.md), as far as the services carry it today:
 * organiser publishes; three fans join the buffer before the sale; the organiser
 * closes it; each fan claims the turn on the queue page, picks a seat, pays on the
 * Stripe stand-in's hosted page and gets a ticket with a QR code; the organiser
 * checks a ticket in once and is refused the second time.
 */
const platform = usePlatform({ label: 'mainjourney' });
/** Long enough for three fans to register and join, short enough not to slow the test. */
const SALE_IN_MS = 25_000;
const browser = useBrowser({ baseUrl: async () => (await platform).url });

interface Ticket {
  ticketId: string;
  code: string;
  qr: string;
}

async function waitForNumber(fan: Fan, eventId: string): Promise<number> {
  const p = await platform;
  const entry = await eventually(
    async () => {
      const r = await apiCall<{ queueNumber: number | null }>(
        fan.context.request,
        p,
        'GET',
        `/buffer/api/events/${eventId}/entries/me`,
      );
      return r.status === 200 && r.body.queueNumber !== null ? r.body : undefined;
    },
    { timeoutMs: 30_000, message: `${fan.name} got no queue number` },
  );
  return entry.queueNumber!;
}

describe('the main journey through the gateway', () => {
  browser.it(
    'three fans join before the sale, are admitted, buy a seat each with Stripe and get tickets that check in once',
    async () => {
      const p = await platform;
      const organiser = await browser.fan('organiser');
      await becomeOrganiser(organiser.context.request, p);
      // The queue admits nobody before the sale time, however early the buffer closes:
      // the sale opens moments after the fans have joined.
      const event = await publishEvent(organiser.context.request, p, { saleInMs: SALE_IN_MS });
      await eventually(
        async () =>
          (await apiCall(organiser.context.request, p, 'GET', `/buffer/api/events/${event.id}`)).status ===
          200,
        { timeoutMs: 20_000, message: 'buffer never saw the published event' },
      );

      const fans: Fan[] = [];
      for (const [name, device] of [
        ['alice', 'desktop'],
        ['bob', 'mobile'],
        ['chloe', 'desktop'],
      ] as const) {
        const fan = await browser.fan(name, device);
        await registerVerifiedFan(fan.context.request, p, uniqueEmail(name));
        await joinInWaitingRoom(fan, p, event.id);
        fans.push(fan);
      }

      await expectStatus(
        apiCall(organiser.context.request, p, 'POST', `/buffer/api/events/${event.id}/close`, {}),
        202,
        'close the buffer',
      );
      const numbered = await Promise.all(
        fans.map(async (fan) => ({ fan, n: await waitForNumber(fan, event.id) })),
      );
      expect(numbered.map((x) => x.n).sort()).toEqual([1, 2, 3]);
      numbered.sort((a, b) => a.n - b.n);
      // The early close drew the numbers; turns start at the announced sale time. The
      // waiting room has already moved each fan on to the queue page, before the sale opens.
      const codes: string[] = [];
      for (const [i, { fan }] of numbered.entries()) {
        // Queue: the turn comes; the fan claims it and lands in purchase with the admission cookie.
        await fan.visit(`/queue/?event=${event.id}`, 'queue');
        await fan.page.getByRole('button', { name: 'Claim my turn' }).click({ timeout: 60_000 });
        await fan.page.waitForURL(/\/purchase\/\?event=/, { timeout: 15_000 });
        await fan.page.waitForLoadState('load');
        await fan.screenshot('seat-map');

        // Purchase: one seat each (row A, seats 1..3), held.
        await fan.page.getByRole('button', { name: `Row A, seat ${i + 1}`, exact: true }).click();
        await fan.page.getByRole('button', { name: 'Hold seats' }).click();
        await fan.page.getByRole('link', { name: 'Continue to payment' }).waitFor({ timeout: 15_000 });
        await fan.screenshot('held');
        await fan.page.getByRole('link', { name: 'Continue to payment' }).click();

        // Payment: Stripe Checkout on the stand-in's hosted page, back to "Paid".
        await fan.page.waitForURL(/\/payment\/\?order=/, { timeout: 15_000 });
        await fan.page.getByRole('button', { name: 'Pay with Stripe' }).click();
        await fan.page.waitForURL(`${p.stripe.url.replace('127.0.0.1', 'localhost')}/pay/**`, {
          timeout: 15_000,
        });
        await fan.page.getByLabel(/card number/i).fill('4242424242424242');
        await fan.page.getByLabel(/expir/i).fill('12/34');
        await fan.page.getByLabel(/cvc/i).fill('123');
        await fan.screenshot('stripe');
        await fan.page.getByRole('button', { name: /^Pay / }).click();
        await fan.page.waitForURL(/result=success/, { timeout: 15_000 });
        await fan.page.getByText(/Paid/).first().waitFor({ timeout: 30_000 });
        await fan.screenshot('paid');

        // Tickets: a QR code per ticket.
        await fan.visit('/purchase/tickets', 'tickets');
        await fan.page
          .getByAltText(/QR code of ticket/)
          .first()
          .waitFor({ timeout: 15_000 });
        const { tickets } = await expectStatus(
          apiCall<{ tickets: Ticket[] }>(fan.context.request, p, 'GET', '/purchase/api/tickets'),
          200,
          'my tickets',
        );
        expect(tickets).toHaveLength(1);
        codes.push(tickets[0]!.code);
      }

      // Check-in at the door: once, then refused.
      const first = await apiCall(organiser.context.request, p, 'POST', '/purchase/api/checkin', {
        code: codes[0],
      });
      expect(first.status).toBe(200);
      const second = await apiCall(organiser.context.request, p, 'POST', '/purchase/api/checkin', {
        code: codes[0],
      });
      expect(second.status).toBe(409);
    },
    300_000,
  );
});
