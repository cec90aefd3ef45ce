import { eventually } from '../dev/test-support';
import {
  apiCall,
  becomeOrganiser,
  expectStatus,
  expected401,
  focused,
  Keyboard,
  publishEvent,
  registerVerifiedFan,
  uniqueEmail,
  useBrowser,
  usePlatform,
  type ConsoleEntry,
  type Fan,
  type Platform,
  stripeOrigin,
} from './support';

/**
 * The fan's whole purchase with the keyboard alone (issue 20.3), on a desktop and on a phone's
 * screen, through the gateway: Tab, Shift+Tab, Enter, Space and the arrow keys — no mouse, no
 * `element.click()`. Every Tab stop must show where focus is; after each page change focus
 * must start somewhere sensible (the top of a freshly loaded page, the new page's heading
 * after a client-side route, the next step after an action that removed the focused button).
 * The phone fan waits on "My queues" (issue 20.1), which follows the place live from
 * "waiting for the draw" to "#N in line" and on to the queue. axe-core checks every fan page
 * on the way (zero serious or critical WCAG 2.2 AA violations).
 */
const platform = usePlatform({ label: 'fanaccess' });
const browser = useBrowser({ baseUrl: async () => (await platform).url, axe: true });

/** Long enough for two fans to register and join, and for the draw to reach them before the sale. */
const SALE_IN_MS = 60_000;
const UI_WAIT = 45_000;

interface Cast {
  name: string;
  device: 'desktop' | 'mobile';
  /** Arrow keys from the map's first free seat (Row A, seat 1) to the seat this fan picks. */
  arrows: string[];
  seat: string;
}
const CAST: Cast[] = [
  { name: 'dana', device: 'desktop', arrows: ['ArrowRight'], seat: 'Row A, seat 2' },
  { name: 'eli', device: 'mobile', arrows: ['ArrowDown', 'ArrowRight', 'ArrowRight'], seat: 'Row B, seat 3' },
];

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** A freshly loaded page starts with nothing focused: the first Tab reaches "Skip to content". */
async function startsAtTheTop(kb: Keyboard): Promise<void> {
  expect((await focused(kb.page)).tag).toBe('body');
}

/** On a phone the main navigation is behind the menu button. */
async function openNavLink(kb: Keyboard, fan: Fan, name: RegExp): Promise<void> {
  if (fan.device === 'mobile') {
    await kb.tabTo(/^Open menu$/);
    await kb.press('Enter');
  }
  await kb.tabTo(name);
  await kb.press('Enter');
}

/** Opens a page and photographs it (axe-core runs on it) once its content, not a spinner, is there. */
async function settled(fan: Fan, path: string, shot: string): Promise<void> {
  await fan.page.goto(path, { waitUntil: 'load' });
  await fan.page.locator('main h1, main h2').first().waitFor({ timeout: UI_WAIT });
  await fan.page.waitForLoadState('networkidle', { timeout: 3_000 }).catch(() => undefined);
  await fan.screenshot(shot);
}

async function numberOf(fan: Fan, p: Platform, eventId: string): Promise<number> {
  return eventually(
    async () => {
      const r = await apiCall<{ queueNumber: number | null }>(
        fan.context.request,
        p,
        'GET',
        `/buffer/api/events/${eventId}/entries/me`,
      );
      return r.status === 200 && r.body.queueNumber !== null ? r.body.queueNumber : undefined;
    },
    { timeoutMs: 30_000, message: `${fan.name} got no queue number` },
  );
}

describe('the fan journey by keyboard alone', () => {
  browser.it(
    'two fans, on a desktop and a phone, buy tickets with the keyboard alone from the event page to their tickets; My queues follows the place live',
    async () => {
      const p = await platform;
      const organiser = await browser.fan('organiser');
      await becomeOrganiser(organiser.context.request, p);
      const event = await publishEvent(organiser.context.request, p, { saleInMs: SALE_IN_MS });
      await eventually(
        async () =>
          (await apiCall(organiser.context.request, p, 'GET', `/buffer/api/events/${event.id}`)).status ===
          200,
        { timeoutMs: 20_000, message: 'buffer never saw the published event' },
      );

      const joined = CAST.map(() => deferred());
      /** The phone fan's "My queues" has shown the place before the draw (the close waits for it). */
      const seenBeforeTheDraw = deferred();
      if (!CAST.some((c) => c.device === 'mobile')) seenBeforeTheDraw.resolve();
      const drawn = deferred();
      const report: string[] = [];

      const journey = async (c: Cast, i: number) => {
        const fan = await browser.fan(c.name, c.device);
        await registerVerifiedFan(fan.context.request, p, uniqueEmail(c.name));
        const page = fan.page;
        const kb = new Keyboard(page);

        // The event page: one Enter on "Join the queue" joins (the waiting room solves the proof of work).
        await fan.visit(`/feed/events/${event.id}`, 'event-page');
        await page.getByRole('link', { name: 'Join the queue' }).waitFor({ timeout: UI_WAIT });
        await startsAtTheTop(kb);
        const fromEventPage = kb.keys.length;
        await kb.tabTo(/^Join the queue$/);
        await kb.press('Enter');
        await page.waitForURL(`**/buffer/?event=${event.id}&join`, { timeout: UI_WAIT });
        await page
          .getByText(/You're in/)
          .first()
          .waitFor({ timeout: UI_WAIT });
        await startsAtTheTop(kb);
        // The navigation knows the new place at once (the waiting room tells it).
        const indicator =
          c.device === 'mobile'
            ? page.getByTestId('my-place-indicator-mobile')
            : page.getByRole('navigation', { name: 'Main' }).getByTestId('my-place-indicator');
        await indicator.getByText('In the draw').waitFor({ timeout: UI_WAIT });
        await fan.screenshot('joined');
        joined[i]!.resolve();

        let detour: [number, number] = [0, 0];
        if (c.device === 'mobile') {
          // The phone fan goes to "My queues" by the place indicator beside the menu button.
          const before = kb.keys.length;
          await kb.tabTo(/^My queues: In the draw$/);
          await kb.press('Enter');
          await page.waitForURL('**/feed/queues', { timeout: UI_WAIT });
          const row = page.getByTestId('my-queue').filter({ hasText: event.title });
          await row.getByText('Waiting for the draw').waitFor({ timeout: UI_WAIT });
          await fan.screenshot('my-queues-in-the-draw');
          seenBeforeTheDraw.resolve();
          // The draw happens while the page is open: the row turns into the number, no reload.
          await drawn.promise;
          const n = await numberOf(fan, p, event.id);
          await row.getByText(`#${n} in line`).waitFor({ timeout: 20_000 });
          expect(await row.getAttribute('data-state')).toBe('waiting');
          await fan.screenshot('my-queues-numbered');
          await kb.tabTo(new RegExp(`^Open my place in the queue: ${event.title}$`));
          await kb.press('Enter');
          await page.waitForURL(`**/queue/?event=${event.id}`, { timeout: UI_WAIT });
          detour = [before, kb.keys.length];
        }

        // The queue page claims the turn for the fan when it comes with the tab open.
        await page.waitForURL(/\/queue\/\?event=/, { timeout: UI_WAIT });
        await page.getByTestId('number').waitFor({ timeout: UI_WAIT });
        await fan.screenshot('queue');
        await page.waitForURL(/\/purchase\/\?event=/, { timeout: SALE_IN_MS + 60_000 });
        await page.getByRole('button', { name: 'Hold seats' }).waitFor({ timeout: UI_WAIT });
        await startsAtTheTop(kb);
        await fan.screenshot('seat-map');

        // The seat map is one Tab stop; arrows move, Space picks.
        await kb.tabTo(/^Row A, seat 1$/);
        for (const arrow of c.arrows) await kb.press(arrow);
        expect((await focused(page)).name).toBe(c.seat);
        await kb.press('Space');
        await page
          .getByRole('button', { name: c.seat, exact: true, pressed: true })
          .waitFor({ timeout: 10_000 });
        await kb.tabTo(/^Hold seats$/);
        await kb.press('Enter');
        await page.getByRole('link', { name: 'Continue to payment' }).waitFor({ timeout: UI_WAIT });
        // "Hold seats" is gone: focus moved on to the next step, visibly.
        await eventually(async () => (await focused(page)).name === 'Continue to payment', {
          timeoutMs: 5_000,
          message: `focus after the hold is on "${(await focused(page)).name}", not on "Continue to payment"`,
        });
        const next = await focused(page);
        expect(next.focusVisible && next.indicator).toBe(true);
        await fan.screenshot('held');
        const toHeld = kb.tally(fromEventPage, kb.keys.length, detour);
        // The keyboard's clicks (issue 20.1: at most 3 from the event page to seats held): join, pick, hold.
        expect(toHeld.activations).toBeLessThanOrEqual(3);
        report.push(
          `${c.name} (${c.device}): event page → seats held in ${toHeld.total} key presses ` +
            `(${toHeld.activations} Enter/Space, ${toHeld.tab} Tab, ${toHeld.arrows} arrows), 0 clicks` +
            (detour[1] > detour[0] ? `; plus ${detour[1] - detour[0]} for the detour through My queues` : ''),
        );

        // Payment: Enter on the focused "Continue to payment", then on "Pay with Stripe".
        await kb.press('Enter');
        await page.waitForURL(/\/payment\/\?order=/, { timeout: UI_WAIT });
        await page.getByRole('button', { name: 'Pay with Stripe' }).waitFor({ timeout: UI_WAIT });
        await startsAtTheTop(kb);
        await fan.screenshot('payment');
        await kb.tabTo(/^Pay with Stripe$/);
        await kb.press('Enter');
        // The Stripe stand-in's hosted page (another origin) focuses the card number itself.
        await page.waitForURL(`${stripeOrigin(p)}/pay/**`, {
          timeout: UI_WAIT,
        });
        await page.getByLabel('Card number').waitFor({ timeout: UI_WAIT });
        expect((await focused(page)).name).toBe('Card number');
        await kb.type('4242424242424242');
        await kb.tabTo(/^Expiry/);
        await kb.type('12/34');
        await kb.tabTo(/^CVC$/);
        await kb.type('123');
        await kb.tabTo(/^Pay /);
        await kb.press('Enter');
        await page.waitForURL(/\/payment\/.*result=success/, { timeout: UI_WAIT });
        const toTickets = page.getByRole('link', { name: 'Go to My tickets' });
        await toTickets.waitFor({ timeout: UI_WAIT });
        await fan.screenshot('paid');
        await kb.tabTo(/^Go to My tickets$/);
        await kb.press('Enter');
        await page.waitForURL('**/purchase/tickets', { timeout: UI_WAIT });
        await page
          .getByRole('img', { name: /^Live QR code of ticket/ })
          .first()
          .waitFor({ timeout: UI_WAIT });
        await startsAtTheTop(kb);
        await fan.screenshot('tickets');

        // A client-side route change (tickets → orders, one app) moves focus to the new page's heading.
        await openNavLink(kb, fan, /^My orders$/);
        await page.waitForURL('**/purchase/orders', { timeout: UI_WAIT });
        await page.getByRole('heading', { level: 1, name: 'My orders' }).waitFor({ timeout: UI_WAIT });
        await eventually(async () => (await focused(page)).tag === 'h1', {
          timeoutMs: 5_000,
          message: `focus after the route change is on ${JSON.stringify(await focused(page))}`,
        });
        expect((await focused(page)).name).toBe('My orders');
        await page.getByText('Paid', { exact: true }).first().waitFor({ timeout: UI_WAIT });
        await fan.screenshot('orders');

        expect(kb.invisible).toEqual([]);
        // The waiting room asks for the fan's entry before the join: 404 is its honest answer.
        // The Stripe stand-in's page (another origin) has no favicon.
        const expected = (e: ConsoleEntry) =>
          expected401(e) ||
          (/status of 404/.test(e.text) && /\/entries\/me$/.test(e.url ?? '')) ||
          !(e.url ?? p.url).startsWith(p.url);
        expect(fan.errors(expected)).toEqual([]);
        console.log(
          `keyboard journey: ${c.name} pressed ${kb.keys.length} keys in all: ${kb.keys.join(' ')}`,
        );
      };

      const runs = CAST.map(journey);
      // Both fans are in the buffer and the phone fan's "My queues" shows the place waiting for
      // the draw: the organiser closes it, which draws the numbers (closing as soon as both had
      // joined raced the phone fan's way to "My queues", and lost on a loaded CI machine).
      await Promise.race([
        Promise.all([...joined.map((j) => j.promise), seenBeforeTheDraw.promise]),
        Promise.all(runs),
      ]);
      await expectStatus(
        apiCall(organiser.context.request, p, 'POST', `/buffer/api/events/${event.id}/close`, {}),
        202,
        'close the buffer',
      );
      drawn.resolve();
      await Promise.all(runs);
      for (const line of report) console.log(`keyboard journey: ${line}`);
    },
    300_000,
  );

  /**
   * The fan pages the journeys above do not reach, or reach only in one state: signed out, signed
   * in with nothing yet, empty lists, pages opened without what they need, an unknown event.
   */
  browser.it(
    'every fan page, signed out and signed in with nothing yet, on a desktop and a phone, has no serious or critical axe-core violation',
    async () => {
      const p = await platform;
      const organiser = await browser.fan('organiser');
      await becomeOrganiser(organiser.context.request, p);
      const event = await publishEvent(organiser.context.request, p, { saleInMs: 3_600_000 });
      await eventually(
        async () =>
          (await apiCall(organiser.context.request, p, 'GET', `/buffer/api/events/${event.id}`)).status ===
          200,
        { timeoutMs: 20_000, message: 'buffer never saw the published event' },
      );
      const pages: [string, string][] = [
        ['/feed/', 'events'],
        [`/feed/events/${event.id}`, 'event'],
        ['/feed/events/00000000-0000-4000-8000-000000000000', 'unknown-event'],
        ['/feed/queues', 'my-queues'],
        [`/buffer/?event=${event.id}`, 'waiting-room'],
        ['/buffer/', 'waiting-room-without-event'],
        [`/queue/?event=${event.id}`, 'queue-without-ticket'],
        ['/queue/', 'queue-without-event'],
        ['/purchase/', 'seats-without-admission'],
        ['/purchase/orders', 'orders'],
        ['/purchase/tickets', 'tickets'],
        ['/payment/', 'payment-without-order'],
      ];
      const signedOutOnly: [string, string][] = [
        ['/feed/login', 'login'],
        ['/feed/register', 'register'],
        ['/feed/forgot-password', 'forgot-password'],
        ['/feed/reset-password?token=not-a-token', 'reset-password'],
        ['/feed/verify-email', 'verify-email'],
      ];
      for (const device of ['desktop', 'mobile'] as const) {
        const visitor = await browser.fan(`visitor-${device}`, device);
        for (const [path, name] of [...pages, ...signedOutOnly])
          await settled(visitor, path, `signed-out-${name}`);
        const fan = await browser.fan(`fan-${device}`, device);
        await registerVerifiedFan(fan.context.request, p, uniqueEmail(`fan-${device}`));
        for (const [path, name] of pages) await settled(fan, path, `signed-in-${name}`);
      }
    },
    300_000,
  );
});
