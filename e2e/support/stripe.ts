import type { Fan } from './browser';
import type { Platform } from './platform';

/** Where fans' browsers reach the Stripe stand-in's hosted page (its own origin). */
export const stripeOrigin = (p: Platform): string => p.stripe.url.replace('127.0.0.1', 'localhost');

/** Types a test card into the Stripe stand-in's hosted page (expiry 12/34, CVC 123). */
export async function fillCard(fan: Fan, number: string): Promise<void> {
  await fan.page.getByLabel(/card number/i).fill(number);
  await fan.page.getByLabel(/expir/i).fill('12/34');
  await fan.page.getByLabel(/cvc/i).fill('123');
}

/**
 * After the fan pressed the payment page's "Pay with Stripe": waits for the stand-in's hosted
 * page, pays with `card` and waits to be sent back to the payment page with `result=success`.
 */
export async function payOnStripePage(
  fan: Fan,
  p: Platform,
  opts: { card?: string; timeout?: number } = {},
): Promise<void> {
  const timeout = opts.timeout ?? 45_000;
  await fan.page.waitForURL(`${stripeOrigin(p)}/pay/**`, { timeout });
  await fillCard(fan, opts.card ?? '4242424242424242');
  await fan.page.getByRole('button', { name: /^Pay / }).click();
  await fan.page.waitForURL(/result=success/, { timeout });
}
