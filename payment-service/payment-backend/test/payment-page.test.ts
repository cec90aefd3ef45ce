import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { TOKENS } from '@ticketslave/common';
import { eventually } from '@ticketslave/dev/test-support';
import { PaymentHarness } from './payment-harness';

const SHOTS = path.resolve(__dirname, '../../../.local/test-results/payment-page');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const h = new PaymentHarness();
let browser: Browser;
beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  await h.start('paypage', { publicPort: await freePort() });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await h.stop();
});

async function fanPage(cookie: string, viewport = { width: 1280, height: 800 }): Promise<Page> {
  const context = await browser.newContext({ viewport });
  const [name, value] = cookie.split(/=(.*)/s) as [string, string];
  expect(name).toBe(TOKENS.session.cookie);
  await context.addCookies([{ name, value, url: h.service.url }]);
  return context.newPage();
}

async function payOnStripe(page: Page, card: string): Promise<void> {
  await page.getByLabel(/card number/i).fill(card);
  await page.getByLabel(/expir/i).fill('12/34');
  await page.getByLabel(/cvc/i).fill('123');
  await page.getByRole('button', { name: /^Pay / }).click();
}

describe('the payment page (/payment/?order=…)', () => {
  it('takes the fan to Stripe, back after a declined card, and on to "Paid" once the seats are secured', async () => {
    const order = await h.holdOrder({ amountMinor: 9000 });
    const page = await fanPage(order.cookie);
    await page.goto(`${h.service.url}/payment/?order=${order.orderId}`);
    await expect(page.getByTestId('total').textContent()).resolves.toMatch(/90[.,]00/);
    await page.getByRole('timer').first().waitFor();
    await page.screenshot({ path: `${SHOTS}/01-summary.png`, fullPage: true });

    await page.getByRole('button', { name: 'Pay with Stripe' }).click();
    await page.waitForURL(`${h.standIn.url}/pay/**`);
    await payOnStripe(page, '4000 0000 0000 0002');
    await page
      .getByText(/declined/i)
      .first()
      .waitFor();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.waitForURL(/result=cancelled/);
    await page.getByText('Payment not completed').waitFor();
    await page.screenshot({ path: `${SHOTS}/02-cancelled.png`, fullPage: true });

    await page.getByRole('button', { name: 'Try again' }).click();
    await page.waitForURL(`${h.standIn.url}/pay/**`);
    await payOnStripe(page, '4242 4242 4242 4242');
    await page.waitForURL(/result=success/);
    await page.getByText(/securing your seats|Confirming your payment/).waitFor();
    await page.screenshot({ path: `${SHOTS}/03-confirming.png`, fullPage: true });

    // purchase secures the seats; the page, polling, follows the capture.
    await h.messages('payment.authorized', order.orderId);
    await h.publish('order.completed', order.ref);
    await page.getByText('Paid — your tickets are in My tickets').waitFor({ timeout: 20_000 });
    expect(await page.getByRole('link', { name: 'Go to My tickets' }).getAttribute('href')).toBe(
      '/purchase/tickets',
    );
    await page.screenshot({ path: `${SHOTS}/04-paid.png`, fullPage: true });
    await page.context().close();
  });

  it('says honestly when the hold has expired, on a phone', async () => {
    const order = await h.holdOrder();
    await h.publish('order.expired', order.ref);
    await eventually(async () => (await h.status(order.orderId, order.cookie)) === 'expired');
    const page = await fanPage(order.cookie, { width: 390, height: 844 });
    await page.goto(`${h.service.url}/payment/?order=${order.orderId}`);
    await page.getByText('Your hold has expired').waitFor();
    expect(await page.getByRole('button', { name: 'Pay with Stripe' }).count()).toBe(0);
    await page.screenshot({ path: `${SHOTS}/05-expired-mobile.png`, fullPage: true });
    await page.context().close();
  });
});
